"""The catalog declares exactly the spec's stretches and check ids, each complete and consistent."""

import json

import pytest

from stretches.catalog import (
    DIRECTIONS,
    PHASES,
    ROUTINE_LOWER_BACK,
    SEVERITIES,
    STRETCHES,
    UNITS,
    UnknownStretchError,
    all_checks,
    catalog_as_dict,
    get_stretch,
)
from vision.errors import StretchGuardError
from vision.roles import POSTURES

SPEC_STRETCHES = [
    "seated_thoracic_extension",
    "supine_thoracic_rotation",
    "seated_forward_fold",
    "standing_backbend",
    "childs_pose",
    "straddle_fold",
    "butterfly",
    "supine_hamstring",
    "supine_figure_four",
    "prone_quad",
    "supine_twist",
]

SPEC_CHECKS = {
    "seated_thoracic_extension.lumbar_arch": (20.0, "deg", "above"),
    "seated_thoracic_extension.hands_on_neck": (0.2, "trunk", "below"),
    "seated_thoracic_extension.neck_extension": (30.0, "deg", "above"),
    "supine_thoracic_rotation.shoulder_lift": (0.25, "trunk", "above"),
    "seated_forward_fold.upper_back_rounding": (35.0, "deg", "above"),
    "seated_forward_fold.pull_speed": (45.0, "deg/s", "above"),
    "standing_backbend.backbend_depth": (25.0, "deg", "above"),
    "standing_backbend.support_hands": (0.35, "trunk", "above"),
    "standing_backbend.partner_stance": (1.0, "ratio", "below"),
    "standing_backbend.client_collapse": (35.0, "deg", "above"),
    "childs_pose.hips_off_heels": (0.35, "trunk", "above"),
    "childs_pose.pressure_position": (0.0, "trunk", "above"),
    "straddle_fold.locked_knees": (172.0, "deg", "above"),
    "straddle_fold.pull_speed": (45.0, "deg/s", "above"),
    "butterfly.soles_apart": (0.35, "trunk", "above"),
    "butterfly.hand_placement": (0.4, "trunk", "above"),
    "supine_hamstring.locked_knee": (172.0, "deg", "above"),
    "supine_hamstring.hips_lifting": (0.15, "trunk", "above"),
    "supine_figure_four.ankle_not_crossed": (0.3, "trunk", "above"),
    "prone_quad.hip_lift": (0.2, "trunk", "above"),
    "prone_quad.knee_overflexion": (35.0, "deg", "below"),
    "supine_twist.shoulder_lift": (0.25, "trunk", "above"),
    "supine_twist.hand_placement": (0.35, "trunk", "above"),
    "common.jerky_motion": (60.0, "deg/s", "above"),
}
COMMON = ("common.jerky_motion", "common.hold_short", "common.hold_long", "common.not_visible")
SPEC_HOLDS = {
    "seated_thoracic_extension": ((15, 30), False),
    "supine_thoracic_rotation": ((20, 45), True),
    "seated_forward_fold": ((20, 45), False),
    "standing_backbend": ((10, 20), False),
    "childs_pose": ((60, 60), False),
    "straddle_fold": ((30, 30), False),
    "butterfly": ((30, 30), False),
    "supine_hamstring": ((30, 30), True),
    "supine_figure_four": ((30, 30), True),
    "prone_quad": ((30, 30), True),
    "supine_twist": ((30, 30), True),
}


def test_eleven_stretches_in_spec_order():
    assert list(STRETCHES) == SPEC_STRETCHES


def test_every_spec_check_declared_with_spec_default_unit_and_direction():
    checks = all_checks()
    for check_id, (threshold, unit, direction) in SPEC_CHECKS.items():
        assert check_id in checks, check_id
        check = checks[check_id]
        declared = (check.default_threshold, check.unit, check.direction)
        assert declared == (threshold, unit, direction), check_id
    own = {c for c in checks if not c.startswith("common.")}
    assert own == {c for c in SPEC_CHECKS if not c.startswith("common.")}


@pytest.mark.parametrize("stretch_id", SPEC_STRETCHES)
def test_each_stretch_is_complete(stretch_id):
    stretch = STRETCHES[stretch_id]
    (low, high), per_side = SPEC_HOLDS[stretch_id]
    assert stretch.hold_range_s == (low, high)
    assert stretch.per_side is per_side
    assert stretch.client_posture in POSTURES and stretch.partner_posture in POSTURES
    assert stretch.name and stretch.client_setup and stretch.partner_setup and stretch.camera
    assert stretch.target_muscles and stretch.contraindications
    assert callable(stretch.main_angle) and stretch.engage_deg > 0
    assert (stretch.side_metric is not None) is per_side
    ids = [c.id for c in stretch.checks]
    assert len(ids) == len(set(ids))
    for common in COMMON:
        assert common in ids
    for check in stretch.checks:
        assert check.id.startswith(f"{stretch_id}.") or check.id.startswith("common.")


def test_check_declarations_are_consistent():
    for stretch in STRETCHES.values():
        for check in stretch.checks:
            assert check.unit in UNITS and check.direction in DIRECTIONS and check.severity in SEVERITIES
            assert check.phases in PHASES and check.role in ("client", "partner")
            low, high, step = check.slider_range
            assert low <= check.default_threshold <= high and step > 0, check.id
            assert check.debounce_s >= 0 and check.hysteresis >= 0
            assert check.message.endswith(".") and check.title and check.description
            if check.kind == "frame":
                assert callable(check.metric) and check.landmarks, check.id
            else:
                assert check.metric is None


def test_entry_phase_only_for_jerky_and_pull_speed():
    for check in all_checks().values():
        if check.kind != "frame":
            continue
        expected = "entry_and_hold" if check.id.endswith(("jerky_motion", "pull_speed")) else "hold"
        assert check.phases == expected, check.id


def test_get_stretch_unknown_lists_valid_ids():
    assert get_stretch("butterfly").id == "butterfly"
    with pytest.raises(UnknownStretchError) as info:
        get_stretch("headstand")
    message = str(info.value)
    assert isinstance(info.value, StretchGuardError)
    assert "headstand" in message and "supine_twist" in message and "\n" not in message


def test_catalog_as_dict_is_json_and_complete():
    data = json.loads(json.dumps(catalog_as_dict()))
    assert [s["id"] for s in data] == SPEC_STRETCHES
    twist = data[-1]
    assert twist["per_side"] is True and twist["hold_range_s"] == [30.0, 30.0]
    shoulder = next(c for c in twist["checks"] if c["id"] == "supine_twist.shoulder_lift")
    assert shoulder["threshold"] == 0.25 and shoulder["unit"] == "trunk"
    assert "client.left_shoulder" in shoulder["landmarks"]


def test_routine_lower_back_is_seed_003_order():
    assert ROUTINE_LOWER_BACK == (
        "childs_pose",
        "straddle_fold",
        "butterfly",
        "supine_hamstring",
        "supine_figure_four",
        "prone_quad",
        "supine_twist",
    )


def test_backbend_contraindications_include_its_own():
    reasons = STRETCHES["standing_backbend"].contraindications
    assert {"lower back pain", "disc issues", "osteoporosis"} <= set(reasons)
