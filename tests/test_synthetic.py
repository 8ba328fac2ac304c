"""The synthetic two-person model itself: geometry, camera, timing, faults, and the sensor model."""

from __future__ import annotations

import numpy as np
import pytest

from stretches.catalog import get_stretch
from stretches.engine import metric_series
from stretches.synthetic import (
    BODY_SIZES,
    INJECTABLE_FAULTS,
    PER_SIDE,
    STRETCH_IDS,
    Camera,
    Scenario,
    ScenarioError,
    list_scenarios,
    simulate,
)
from vision.landmarks import Landmark as L

BONES = (
    (L.LEFT_SHOULDER, L.LEFT_ELBOW), (L.LEFT_ELBOW, L.LEFT_WRIST),
    (L.RIGHT_SHOULDER, L.RIGHT_ELBOW), (L.RIGHT_ELBOW, L.RIGHT_WRIST),
    (L.LEFT_HIP, L.LEFT_KNEE), (L.LEFT_KNEE, L.LEFT_ANKLE),
    (L.RIGHT_HIP, L.RIGHT_KNEE), (L.RIGHT_KNEE, L.RIGHT_ANKLE),
    (L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP),
    (L.LEFT_EAR, L.RIGHT_EAR),
)

_CACHE: dict[tuple, object] = {}


def session(stretch_id: str, **kw):
    key = (stretch_id, tuple(sorted(kw.items())))
    if key not in _CACHE:
        _CACHE[key] = simulate(Scenario(stretch_id, **kw))
    return _CACHE[key]


def test_catalog_and_model_cover_the_same_stretches_and_checks():
    for stretch_id in STRETCH_IDS:
        stretch = get_stretch(stretch_id)
        assert (stretch_id in PER_SIDE) == stretch.per_side
        injectable = set(INJECTABLE_FAULTS[stretch_id])
        declared = {c.id for c in stretch.checks if c.id != "common.not_visible"}
        assert injectable == declared, stretch_id
    assert len(STRETCH_IDS) == 11


@pytest.mark.parametrize("stretch_id", STRETCH_IDS)
def test_bone_lengths_stay_constant(stretch_id):
    scene = session(stretch_id, jitter_frac=0.0).scene_joints
    for person in range(2):
        for a, b in BONES:
            length = np.linalg.norm(scene[:, person, a] - scene[:, person, b], axis=-1)
            assert np.ptp(length) < 1e-3, (stretch_id, person, a.name, b.name, np.ptp(length))


@pytest.mark.parametrize("stretch_id", STRETCH_IDS)
def test_bodies_rest_on_the_floor_and_stay_in_frame(stretch_id):
    s = session(stretch_id, jitter_frac=0.0)
    heights = s.scene_joints[..., 1]
    # Nothing sinks into the floor (beyond a finger's width), and each person touches it.
    assert np.nanmin(heights) > -0.03
    lowest = np.nanmin(heights, axis=2)  # (F, P)
    assert np.all(lowest < 0.12)
    xy = s.track.landmarks[..., :2]
    assert np.all((xy > 0.0) & (xy < 1.0))


def _segment_distance(p1, q1, p2, q2, samples: int = 12) -> float:
    t = np.linspace(0.0, 1.0, samples)[:, None]
    a = p1 + t * (q1 - p1)
    b = p2 + t * (q2 - p2)
    return float(np.min(np.linalg.norm(a[:, None, :] - b[None, :, :], axis=-1)))


def _body_capsules(marks, body):
    """Trunk, head, thighs, shins and upper arms as (a, b, radius): the parts that must not pass through the
    other person (hands and forearms touch the other person by design)."""
    mid_hip = (marks[L.LEFT_HIP] + marks[L.RIGHT_HIP]) / 2
    mid_shoulder = (marks[L.LEFT_SHOULDER] + marks[L.RIGHT_SHOULDER]) / 2
    head = (marks[L.LEFT_EAR] + marks[L.RIGHT_EAR]) / 2
    r = body.surface_radius_m
    return [
        (mid_hip, mid_shoulder, 1.2 * r("chest")),  # about half the torso's front-to-back depth
        (head, head, r("head")),
        (marks[L.LEFT_HIP], marks[L.LEFT_KNEE], r("thigh")),
        (marks[L.RIGHT_HIP], marks[L.RIGHT_KNEE], r("thigh")),
        (marks[L.LEFT_KNEE], marks[L.LEFT_ANKLE], r("shin")),
        (marks[L.RIGHT_KNEE], marks[L.RIGHT_ANKLE], r("shin")),
        (marks[L.LEFT_SHOULDER], marks[L.LEFT_ELBOW], r("upper_arm")),
        (marks[L.RIGHT_SHOULDER], marks[L.RIGHT_ELBOW], r("upper_arm")),
    ]


@pytest.mark.parametrize("stretch_id", STRETCH_IDS)
def test_the_two_people_do_not_pass_through_each_other(stretch_id):
    s = session(stretch_id, jitter_frac=0.0)
    ph = s.phases
    for t_s in (ph.entry_start_s - 1.0, ph.entry_start_s + ph.entry_s / 2, ph.hold_start_s + 2.0,
                ph.hold_end_s + ph.release_s / 2, ph.release_end_s + 0.5):
        frame = int(round(t_s * s.scenario.fps))
        client = _body_capsules(s.scene_joints[frame, 0], s.scenario.client_body)
        partner = _body_capsules(s.scene_joints[frame, 1], s.scenario.partner_body)
        for a, b, ra in client:
            for c, d, rc in partner:
                # 5 cm of soft-tissue overlap allowed (a foot pressed into a belly, a hand into a back).
                gap = _segment_distance(a, b, c, d) - ra - rc
                assert gap > -0.05, (stretch_id, round(t_s, 1), np.round(a, 2), np.round(c, 2), round(gap, 3))


@pytest.mark.parametrize("stretch_id", STRETCH_IDS)
def test_good_hold_is_inside_the_spec_range(stretch_id):
    s = session(stretch_id)
    low, high = get_stretch(stretch_id).hold_range_s
    assert len(s.holds) == 1
    assert low <= s.holds[0].duration_s <= high
    assert s.faults == []


def test_projection_of_known_points():
    camera = Camera(
        position_m=(0.0, 1.0, 3.0), target_m=(0.0, 1.0, 0.0), focal_px=500.0, image_size=(640, 480)
    )
    points = np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 2.0, -2.0]])
    uv, depth = camera.project(points)
    np.testing.assert_allclose(depth, [3.0, 3.0, 5.0])
    np.testing.assert_allclose(uv[0], [320.0, 240.0])
    np.testing.assert_allclose(uv[1], [320.0 + 500.0 / 3.0, 240.0])  # scene +x is image right
    np.testing.assert_allclose(uv[2], [320.0, 240.0 - 500.0 / 5.0])  # scene up is image up


def test_noise_free_track_matches_projection_and_world_frame():
    s = session("supine_twist", jitter_frac=0.0)
    width, height = s.camera.image_size
    uv, depth = s.camera.project(s.scene_joints)
    np.testing.assert_allclose(s.track.landmarks[..., 0], uv[..., 0] / width, atol=1e-5)
    np.testing.assert_allclose(s.track.landmarks[..., 1], uv[..., 1] / height, atol=1e-5)
    # z: nearer than the hips is negative, like MediaPipe.
    hip_depth = (depth[:, :, L.LEFT_HIP] + depth[:, :, L.RIGHT_HIP]) / 2
    nearer = depth < hip_depth[..., None] - 0.05
    assert np.all(s.track.landmarks[..., 2][nearer] < 0)
    # World: metres, hip-centred, camera-aligned axes (so distances are the scene's).
    world = s.track.world
    np.testing.assert_allclose((world[:, :, L.LEFT_HIP] + world[:, :, L.RIGHT_HIP]) / 2, 0.0, atol=1e-5)
    scene_d = np.linalg.norm(s.scene_joints[:, :, L.LEFT_WRIST] - s.scene_joints[:, :, L.LEFT_ANKLE], axis=-1)
    world_d = np.linalg.norm(world[:, :, L.LEFT_WRIST] - world[:, :, L.LEFT_ANKLE], axis=-1)
    np.testing.assert_allclose(world_d, scene_d, atol=1e-4)
    cam_down = s.camera.rotation[1]
    head_minus_feet = s.scene_joints[:, 1, L.NOSE] - s.scene_joints[:, 1, L.LEFT_ANKLE]
    np.testing.assert_allclose(
        world[:, 1, L.NOSE, 1] - world[:, 1, L.LEFT_ANKLE, 1], head_minus_feet @ cam_down, atol=1e-4
    )


def test_jitter_has_the_requested_size_and_is_deterministic():
    clean = session("butterfly", jitter_frac=0.0).track.landmarks
    noisy = session("butterfly", jitter_frac=0.01, seed=4).track.landmarks
    err = (noisy[..., :2] - clean[..., :2]).reshape(-1)
    assert 0.009 < np.std(err) < 0.011
    again = simulate(Scenario("butterfly", jitter_frac=0.01, seed=4)).track.landmarks
    np.testing.assert_array_equal(noisy, again)
    other = simulate(Scenario("butterfly", jitter_frac=0.01, seed=5)).track.landmarks
    assert not np.array_equal(noisy, other)


def test_dropped_frames_are_nan_at_about_the_requested_rate():
    s = simulate(Scenario("standing_backbend", drop_rate=0.1, seed=2))
    missing = ~s.track.present()
    assert 0.06 < missing.mean() < 0.14
    assert np.all(np.isnan(s.track.world[missing]))
    # Both people are never dropped in lockstep by construction; gaps come in bursts.
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], missing[:, 0].astype(int), [0]]))))[::2]
    assert runs.mean() > 1.5


def test_visibility_near_side_far_side_and_hidden():
    hidden = (("client", L.LEFT_KNEE), ("partner", L.RIGHT_WRIST))
    s = simulate(Scenario("supine_hamstring", hidden_landmarks=hidden, seed=1))
    vis = s.track.landmarks[..., 3]
    assert np.all(vis[:, 0, L.LEFT_KNEE] < 0.3)
    assert np.all(vis[:, 1, L.RIGHT_WRIST] < 0.3)
    # The client's left side faces the camera in this layout, the right side is behind the body.
    assert np.median(vis[:, 0, L.LEFT_SHOULDER]) > 0.9
    far = np.median(vis[:, 0, L.RIGHT_SHOULDER])
    assert 0.6 < far < 0.85


def test_hidden_window_only_hides_inside_it():
    hidden = (("client", L.RIGHT_ANKLE),)
    s = simulate(Scenario("prone_quad", hidden_landmarks=hidden, hidden_window_s=(10, 12)))
    vis = s.track.landmarks[:, 0, L.RIGHT_ANKLE, 3]
    t = s.t_s
    assert np.all(vis[(t >= 10) & (t <= 12)] < 0.3)
    assert np.all(vis[(t < 9.9) | (t > 12.1)] > 0.5)


@pytest.mark.parametrize("stretch_id", sorted(PER_SIDE))
def test_left_side_is_the_mirror_image(stretch_id):
    right = session(stretch_id, jitter_frac=0.0, side="right")
    left = session(stretch_id, jitter_frac=0.0, side="left")
    mirrored = right.scene_joints.copy()
    mirrored[..., 0] *= -1
    np.testing.assert_allclose(left.scene_joints[:, :, L.LEFT_KNEE], mirrored[:, :, L.RIGHT_KNEE], atol=1e-9)
    np.testing.assert_allclose(left.scene_joints[:, :, L.NOSE], mirrored[:, :, L.NOSE], atol=1e-9)
    assert left.holds[0].side == "left" and right.holds[0].side == "right"


def _fault_rows():
    return [
        (stretch_id, check_id)
        for stretch_id, faults in INJECTABLE_FAULTS.items()
        for check_id, spec in faults.items()
        if spec.kind != "hold_time"
    ]


@pytest.mark.parametrize(("stretch_id", "check_id"), _fault_rows())
def test_fault_reaches_its_stated_magnitude_at_its_stated_time(stretch_id, check_id):
    """On a noise-free track the check's own metric crosses the default threshold right at the stated onset
    and peaks at the stated magnitude, so the ground truth describes what the body actually did."""
    s = simulate(Scenario(stretch_id, fault=check_id, jitter_frac=0.0))
    (fault,) = s.faults
    check = get_stretch(stretch_id).check(check_id)
    series = metric_series(s.track, stretch_id)[check_id]
    t = series.t_s
    sign = 1.0 if check.direction == "above" else -1.0
    excess = sign * (series.values - check.default_threshold)
    near = (t >= fault.start_s - 1.0) & (t <= fault.end_s + 0.6)
    crossing = t[near & (excess > 0)]
    assert crossing.size, "the fault never crosses the threshold"
    # Speeds are measured over a 0.6 s window, so they cross up to ~0.45 s after the movement starts.
    late_s = 0.45 if fault.unit == "deg/s" else 0.3
    assert -0.1 <= crossing[0] - fault.start_s <= late_s
    peak = np.nanmax(sign * series.values[near]) * sign
    assert abs(peak - fault.magnitude) <= 0.05 * abs(fault.magnitude) + 0.01
    # Clearly past the threshold: half again as far from a neutral zero (or 8 deg for a knee that cannot
    # straighten past 180).
    margin = abs(fault.magnitude - check.default_threshold)
    assert margin >= min(0.35 * abs(check.default_threshold), 8.0)
    # Outside the fault (before its onset, during the good hold) the metric stays on the safe side.
    hold = s.holds[0]
    before = (t > hold.start_s + 1.0) & (t < fault.start_s - 0.8)
    if fault.unit != "deg/s" and before.any():
        assert np.all(excess[before] < 0)


@pytest.mark.parametrize("check_id", ["common.hold_short", "common.hold_long"])
def test_hold_time_faults_set_the_hold_duration(check_id):
    s = simulate(Scenario("supine_twist", fault=check_id))
    (fault,) = s.faults
    hold = s.holds[0]
    assert (fault.start_s, fault.end_s) == (hold.start_s, hold.end_s)
    assert fault.magnitude == pytest.approx(hold.duration_s)
    low, high = get_stretch("supine_twist").hold_range_s
    assert hold.duration_s < low - 3.0 if check_id.endswith("short") else hold.duration_s > high + 5.0


def test_scenario_variation_changes_camera_and_bodies():
    base = session("standing_backbend", jitter_frac=0.0)
    oblique = simulate(
        Scenario(
            "standing_backbend", jitter_frac=0.0, camera_azimuth_deg=30, camera_height="high",
            client_body=BODY_SIZES["small"], partner_body=BODY_SIZES["broad"], image_size=(1280, 720),
        )
    )
    assert oblique.camera.image_size == (1280, 720)
    assert oblique.camera.position_m[1] == pytest.approx(1.7)
    assert abs(oblique.camera.position_m[0] - base.camera.position_m[0]) > 0.3
    small_height = np.ptp(oblique.scene_joints[0, 0, :, 1])
    assert small_height < np.ptp(base.scene_joints[0, 0, :, 1])
    fast = simulate(Scenario("standing_backbend", speed=2.0))
    assert fast.phases.entry_s == pytest.approx(base.phases.entry_s / 2)


def test_bad_scenarios_name_the_problem():
    with pytest.raises(ScenarioError, match="unknown stretch"):
        simulate(Scenario("headstand"))
    with pytest.raises(ScenarioError, match="cannot be injected"):
        simulate(Scenario("butterfly", fault="supine_twist.shoulder_lift"))
    with pytest.raises(ScenarioError, match="side"):
        simulate(Scenario("prone_quad", side="middle"))


def test_list_scenarios_enumerates_good_form_and_every_fault():
    scenarios = list_scenarios()
    good = [s for s in scenarios if s.fault is None]
    assert {s.stretch_id for s in good} == set(STRETCH_IDS)
    faults = {(s.stretch_id, s.fault) for s in scenarios if s.fault}
    assert faults == {(sid, cid) for sid, f in INJECTABLE_FAULTS.items() for cid in f}


def test_variation_is_seeded_and_changes_the_take():
    a = simulate(Scenario("supine_hamstring", variation=1.0, seed=3, jitter_frac=0.0))
    b = simulate(Scenario("supine_hamstring", variation=1.0, seed=3, jitter_frac=0.0))
    c = simulate(Scenario("supine_hamstring", variation=1.0, seed=4, jitter_frac=0.0))
    np.testing.assert_array_equal(a.scene_joints, b.scene_joints)
    assert (a.phases.entry_s, a.phases.hold_s) != (c.phases.entry_s, c.phases.hold_s)
    low, high = get_stretch("supine_hamstring").hold_range_s
    assert low - 1.0 <= a.holds[0].duration_s <= high + 1.0


def test_a_take_cut_short_keeps_only_what_it_shows():
    s = simulate(Scenario("standing_backbend", duration_s=10.0))
    assert s.t_s[-1] == pytest.approx(10.0)
    assert s.holds[0].end_s == pytest.approx(10.0)


def test_left_right_swaps_exchange_the_labels_in_bursts():
    clean = simulate(Scenario("prone_quad", jitter_frac=0.0, seed=5)).track.landmarks
    swapped = simulate(Scenario("prone_quad", jitter_frac=0.0, seed=5, lr_swap_rate=0.05)).track.landmarks
    flipped = ~np.isclose(clean[:, :, L.LEFT_KNEE, 0], swapped[:, :, L.LEFT_KNEE, 0])
    assert 0.02 < flipped.mean() < 0.09
    np.testing.assert_allclose(swapped[flipped][:, L.LEFT_KNEE], clean[flipped][:, L.RIGHT_KNEE])
    np.testing.assert_allclose(swapped[:, :, L.NOSE], clean[:, :, L.NOSE])
