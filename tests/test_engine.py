"""The engine end to end: faults are found when and where they happen, and the live path equals the batch."""

import json
from dataclasses import replace

import numpy as np
import pytest

from stretches.catalog import get_stretch
from stretches.engine import Events, LiveEvaluator, RolesUnavailableError, evaluate, metric_series
from stretches.synthetic import Scenario, simulate
from stretches.thresholds import Thresholds
from vision.landmarks import Landmark as L
from vision.track import Track

SPEC_EVENT_KEYS = {"stretch", "duration_s", "roles", "holds", "warnings", "coverage"}
ROLES = {"client": 0, "partner": 1}


def _live_events(track: Track, roles=ROLES, thresholds=None, skip_absent=False) -> Events:
    live = LiveEvaluator(
        track.meta.get("stretch"), thresholds=thresholds, roles=roles, image_size=track.image_size
    )
    world = track.world
    for i in range(track.num_frames):
        frame = track.landmarks[i]
        if skip_absent and np.isnan(frame[..., 0]).all():
            continue
        live.update(int(track.t_ms[i]), frame, None if world is None else world[i])
    return live.events()


def _without_empty_frames(track: Track) -> Track:
    keep = ~np.isnan(track.landmarks[..., 0]).all(axis=(1, 2))
    world = None if track.world is None else track.world[keep]
    return Track(
        track.t_ms[keep], track.landmarks[keep], track.image_size, world, track.roles, dict(track.meta)
    )


def _client_spread_over_both(track: Track, start_s: float = 14.0, end_s: float = 17.0):
    """The track with the client's pose (person 0) halfway between the two bodies from start_s to end_s,
    as the pose model draws a pose spread over both (mid-hold here), and that window's frames."""
    t_s = track.t_ms / 1000.0
    merged = (t_s > start_s) & (t_s < end_s)
    landmarks, world = track.landmarks.copy(), track.world.copy()
    both = track.landmarks[merged, :, :, :3]
    landmarks[merged, 0, :, :3] = 0.5 * (both[:, 0] + both[:, 1])
    world[merged, 0] = 0.5 * (track.world[merged, 0] + track.world[merged, 1])
    return replace(track, landmarks=landmarks, world=world), merged


# ---------------------------------------------------------------- batch == live


LIVE_CASES = [
    # (stretch, fault, side, extra scenario settings)
    ("supine_twist", "supine_twist.shoulder_lift", "left", {"drop_rate": 0.08, "jitter_frac": 0.012}),
    ("seated_forward_fold", "seated_forward_fold.pull_speed", None, {"drop_rate": 0.05}),
    (
        "standing_backbend",
        "standing_backbend.support_hands",
        None,
        {
            "hidden_landmarks": (("partner", int(L.LEFT_WRIST)), ("partner", int(L.RIGHT_WRIST))),
            "hidden_window_s": (8.0, 10.0),
            "fps": 20.0,
        },
    ),
    ("prone_quad", "common.hold_short", "right", {"drop_rate": 0.1, "fps": 15.0}),
]


@pytest.mark.parametrize(("stretch_id", "fault", "side", "extra"), LIVE_CASES)
def test_live_frame_by_frame_gives_identical_events(stretch_id, fault, side, extra):
    session = simulate(Scenario(stretch_id, fault=fault, side=side, seed=7, **extra))
    track = session.track
    batch = evaluate(track, stretch_id, roles=ROLES)
    live = _live_events(track)
    assert live.to_dict() == batch.to_dict()
    # Not a vacuous equality: the session has a hold and the injected fault was found.
    assert batch.holds
    assert any(w.check == fault for w in batch.warnings), batch.to_dict()["warnings"]


def test_live_with_dropped_frames_skipped_equals_batch_on_the_same_frames():
    session = simulate(
        Scenario(
            "supine_hamstring",
            fault="supine_hamstring.hips_lifting",
            side="right",
            seed=3,
            drop_rate=0.15,
            fps=20.0,
        )
    )
    track = _without_empty_frames(session.track)
    assert track.num_frames < session.track.num_frames
    batch = evaluate(track, "supine_hamstring", roles=ROLES)
    assert _live_events(session.track, skip_absent=True).to_dict() == batch.to_dict()
    assert any(w.check == "supine_hamstring.hips_lifting" for w in batch.warnings)


def test_live_equals_batch_when_the_client_pose_jumps_onto_the_partner_and_back():
    session = simulate(Scenario("seated_forward_fold", fault="seated_forward_fold.pull_speed", seed=5))
    track = session.track
    t_s = track.t_ms / 1000.0
    landmarks, world = track.landmarks.copy(), track.world.copy()
    for start_s in (9.0, 15.0):  # twice, mid-hold, for half a second: two jumps each
        on_partner = (t_s > start_s) & (t_s < start_s + 0.5)
        landmarks[on_partner, 0] = track.landmarks[on_partner, 1]
        world[on_partner, 0] = track.world[on_partner, 1]
    jumped = replace(track, landmarks=landmarks, world=world)
    batch = evaluate(jumped, "seated_forward_fold", roles=ROLES)
    assert _live_events(jumped).to_dict() == batch.to_dict()
    assert any(w.check == "seated_forward_fold.pull_speed" for w in batch.warnings)


def test_a_client_pose_merged_with_the_partner_pauses_the_checks_live_and_batch_alike():
    # Lying client, kneeling partner: without the skeleton gate this pose reads as two jolts and a hand
    # off the hip (3 false warnings).
    spread, _merged = _client_spread_over_both(simulate(Scenario("supine_twist", seed=5)).track)
    batch = evaluate(spread, "supine_twist", roles=ROLES)
    assert _live_events(spread).to_dict() == batch.to_dict()
    assert not batch.warnings, batch.to_dict()["warnings"]
    paused = [n for n in batch.not_visible if n.start_s < 17.0 and n.end_s > 14.0]
    assert paused, batch.to_dict()


def test_live_facing_votes_see_the_same_gated_landmarks_as_the_batch():
    # A pose spread over both bodies is hidden by the skeleton gate; it must not vote on which way the
    # client faces live while staying silent in the batch (the live tally once voted from an ungated frame).
    from stretches import metrics as m
    from stretches.engine import FACING_KEYS

    spread, merged = _client_spread_over_both(simulate(Scenario("supine_twist", seed=5)).track)
    batch = m.pose_frames(spread.t_ms, spread.landmarks, spread.world, ROLES, spread.image_size)
    assert not batch.visible["client"][merged].any()  # the gate is on for the whole window
    live = LiveEvaluator("supine_twist", roles=ROLES, image_size=spread.image_size)
    live_votes = {key: [] for key in FACING_KEYS}
    for i in range(spread.num_frames):
        live.update(int(spread.t_ms[i]), spread.landmarks[i], spread.world[i])
        for key in FACING_KEYS:
            live_votes[key].append(live._votes[key][-1][1])
    for key in FACING_KEYS:
        np.testing.assert_array_equal(live_votes[key], m.facing_votes(batch, *key), err_msg=str(key))


def test_live_status_reports_phase_timer_side_and_warnings():
    session = simulate(Scenario("supine_twist", fault="supine_twist.shoulder_lift", side="right", seed=2))
    track = session.track
    live = LiveEvaluator("supine_twist", roles=ROLES, image_size=track.image_size)
    statuses = [
        live.update(int(track.t_ms[i]), track.landmarks[i], track.world[i]) for i in range(track.num_frames)
    ]
    phases = [s.phase for s in statuses]
    assert phases[0] == "rest" and "approach" in phases and "hold" in phases
    holding = [s for s in statuses if s.phase == "hold"]
    assert holding[-1].hold_elapsed_s > 20.0 and holding[-1].side == "right"
    assert holding[-1].hold_target_s == 30.0
    fault = session.faults[0]
    during = [s for s in statuses if fault.start_s + 1.0 < s.t_s < fault.end_s - 0.5]
    assert during and all(any(w.check == "supine_twist.shoulder_lift" for w in s.warnings) for s in during)
    before = [s for s in statuses if s.t_s < fault.start_s - 0.5]
    assert not any(w.check == "supine_twist.shoulder_lift" for s in before for w in s.warnings)
    # The live main angle is the batch one, bit for bit (same functions, same windows).
    batch_main = metric_series(track, "supine_twist", roles=ROLES)["supine_twist.main_angle"].values
    live_main = np.array([s.main_angle_deg for s in statuses])
    assert np.array_equal(live_main, batch_main, equal_nan=True)


# ---------------------------------------------------------------- faults, timing and gating


@pytest.mark.parametrize(
    ("stretch_id", "fault", "side", "azimuth_deg"),
    [
        ("seated_thoracic_extension", "seated_thoracic_extension.hands_on_neck", None, 0.0),
        ("standing_backbend", "standing_backbend.client_collapse", None, 0.0),
        ("butterfly", "butterfly.hand_placement", None, 0.0),
        ("supine_hamstring", "supine_hamstring.locked_knee", "left", 0.0),
        ("prone_quad", "prone_quad.hip_lift", "right", 0.0),
        # Oblique cameras: the checks degrade, they do not break.
        ("supine_twist", "supine_twist.shoulder_lift", "left", 30.0),
        ("seated_forward_fold", "seated_forward_fold.upper_back_rounding", None, -30.0),
    ],
)
def test_injected_fault_is_reported_in_its_window_with_its_size(stretch_id, fault, side, azimuth_deg):
    scenario = Scenario(stretch_id, fault=fault, side=side, seed=11, camera_azimuth_deg=azimuth_deg)
    session = simulate(scenario)
    events = evaluate(session.track, stretch_id, roles=ROLES)
    truth = session.faults[0]
    hits = [w for w in events.warnings if w.check == fault]
    assert len(hits) == 1, events.to_dict()["warnings"]
    hit = hits[0]
    check = get_stretch(stretch_id).check(fault)
    assert truth.start_s - 0.5 <= hit.start_s <= truth.start_s + check.debounce_s + 1.0
    assert truth.end_s - 1.0 <= hit.end_s <= truth.end_s + 1.5
    # The size the body reached as this camera sees it: the stated magnitude is for the spec's side view
    # (an oblique view foreshortens some quantities and lengthens others), so measure it on the same take
    # without the model's jitter.
    clean = simulate(replace(scenario, jitter_frac=0.0))
    series = metric_series(clean.track, stretch_id, roles=ROLES)[fault]
    window = (series.t_s >= truth.start_s) & (series.t_s <= truth.end_s)
    sign = 1.0 if check.direction == "above" else -1.0
    reached = sign * np.nanmax(sign * series.values[window])
    if azimuth_deg == 0.0:
        assert reached == pytest.approx(truth.magnitude, rel=0.1, abs=0.02)
    assert hit.peak == pytest.approx(reached, rel=0.35, abs=0.06)
    assert hit.role == check.role and hit.unit == check.unit and hit.message == check.message
    # A hold-only warning lies within a recorded hold.
    assert any(h.start_s - 1.0 <= hit.start_s and hit.end_s <= h.end_s for h in events.holds)


@pytest.mark.parametrize(
    ("stretch_id", "side", "azimuth_deg"),
    [
        ("seated_forward_fold", None, 0.0),
        ("childs_pose", None, 0.0),
        ("supine_figure_four", "left", 0.0),
        ("straddle_fold", None, 0.0),
        ("supine_twist", "right", 30.0),
        ("standing_backbend", None, -30.0),
    ],
)
def test_good_form_raises_no_warning(stretch_id, side, azimuth_deg):
    session = simulate(Scenario(stretch_id, side=side, seed=5, camera_azimuth_deg=azimuth_deg))
    events = evaluate(session.track, stretch_id, roles=ROLES)
    assert events.warnings == []
    assert len(events.holds) == 1
    hold, truth = events.holds[0], session.holds[0]
    assert hold.status == "ok" and hold.side == truth.side
    assert abs(hold.start_s - truth.start_s) < 1.5 and abs(hold.end_s - truth.end_s) < 1.5


def test_pull_speed_fires_during_the_entry_before_any_hold():
    session = simulate(Scenario("straddle_fold", fault="straddle_fold.pull_speed", seed=4))
    events = evaluate(session.track, "straddle_fold", roles=ROLES)
    pulls = [w for w in events.warnings if w.check == "straddle_fold.pull_speed"]
    assert pulls and pulls[0].start_s < events.holds[0].start_s


# Quick sessions whose entry is over the jerky limit and whose release is quicker still (speed > 1).
FAST_SESSIONS = [("supine_twist", "right", 2.0), ("prone_quad", "right", 2.0), ("childs_pose", None, 2.5)]


@pytest.mark.parametrize(("stretch_id", "side", "speed"), FAST_SESSIONS)
def test_jerky_motion_judges_the_entry_not_the_release(stretch_id, side, speed):
    # The live gating sees the hold for release_confirm_s after the angle leaves its plateau; the release
    # movement in that lag must not read as a jolt, while the quick entry still does.
    track = simulate(Scenario(stretch_id, side=side, speed=speed, seed=1, jitter_frac=0.01)).track
    events = evaluate(track, stretch_id)
    (hold,) = events.holds
    assert hold.released_s is not None and hold.released_s > hold.end_s
    starts = [w.start_s for w in events.warnings if w.check == "common.jerky_motion"]
    assert any(start < hold.start_s for start in starts), starts
    assert all(start < hold.end_s for start in starts), starts
    # the release is quick enough to have fired: its peak speed is over the limit
    speed_series = metric_series(track, stretch_id)["common.jerky_motion"]
    in_release = (speed_series.t_s >= hold.end_s) & (speed_series.t_s < hold.released_s)
    assert np.nanmax(speed_series.values[in_release]) > get_stretch(stretch_id).check(
        "common.jerky_motion").default_threshold


def test_hold_short_and_long_against_the_range():
    short = evaluate(
        simulate(Scenario("supine_twist", fault="common.hold_short", seed=1)).track, "supine_twist"
    )
    long = evaluate(simulate(Scenario("butterfly", fault="common.hold_long", seed=1)).track, "butterfly")
    assert [h.status for h in short.holds] == ["short"]
    assert [w.check for w in short.warnings] == ["common.hold_short"]
    assert [h.status for h in long.holds] == ["long"]
    assert [w.check for w in long.warnings] == ["common.hold_long"]
    assert long.warnings[0].peak == pytest.approx(long.holds[0].duration_s - 30.0, abs=0.01)


def test_hidden_landmarks_pause_the_check_and_name_what_is_hidden():
    hidden = (("client", int(L.LEFT_SHOULDER)), ("client", int(L.RIGHT_SHOULDER)))
    session = simulate(
        Scenario(
            "supine_twist",
            fault="supine_twist.shoulder_lift",
            side="right",
            seed=1,
            hidden_landmarks=hidden,
            hidden_window_s=(10.0, 30.0),
        )
    )
    events = evaluate(session.track, "supine_twist", roles=ROLES)
    # The fault happens while the shoulders are hidden: no guess, a status instead.
    assert not any(w.check == "supine_twist.shoulder_lift" for w in events.warnings)
    paused = [n for n in events.not_visible if n.paused_check == "supine_twist.shoulder_lift"]
    assert paused
    assert "client.left_shoulder" in paused[0].hidden and "client.right_shoulder" in paused[0].hidden
    assert paused[0].start_s == pytest.approx(10.0, abs=0.1)
    assert "left_shoulder" in paused[0].message
    assert paused[0].role == "client"  # whose landmarks are hidden (the check itself addresses the partner)


# ---------------------------------------------------------------- thresholds, roles and the events file


def test_thresholds_override_and_disable():
    session = simulate(Scenario("prone_quad", fault="prone_quad.hip_lift", side="left", seed=2))
    track = session.track
    assert any(w.check == "prone_quad.hip_lift" for w in evaluate(track, "prone_quad").warnings)
    higher = Thresholds().with_threshold("prone_quad.hip_lift", 0.6)
    assert not any(w.check == "prone_quad.hip_lift" for w in evaluate(track, "prone_quad", higher).warnings)
    off = Thresholds().with_settings("prone_quad.hip_lift", enabled=False)
    assert not any(w.check == "prone_quad.hip_lift" for w in evaluate(track, "prone_quad", off).warnings)
    series = metric_series(track, "prone_quad", thresholds=higher)
    assert series["prone_quad.hip_lift"].threshold == 0.6


def test_events_file_has_the_spec_keys_and_is_json():
    session = simulate(Scenario("butterfly", fault="butterfly.soles_apart", seed=1))
    events = evaluate(session.track, "butterfly")  # roles stored in the track
    data = json.loads(json.dumps(events.to_dict()))
    assert set(data) >= SPEC_EVENT_KEYS and set(data) - SPEC_EVENT_KEYS == {"not_visible"}
    assert data["roles"] == ROLES and data["stretch"] == "butterfly"
    assert data["coverage"]["frames"] == session.track.num_frames
    assert data["coverage"]["frames_both_people"] == session.track.num_frames
    hold = data["holds"][0]
    assert set(hold) == {"side", "start_s", "end_s", "duration_s", "target_s", "status"}
    warning = data["warnings"][0]
    assert set(warning) == {
        "check",
        "severity",
        "role",
        "start_s",
        "end_s",
        "peak",
        "threshold",
        "unit",
        "message",
    }


def test_metric_series_match_the_catalog():
    session = simulate(Scenario("standing_backbend", seed=1))
    series = metric_series(session.track, "standing_backbend")
    stretch = get_stretch("standing_backbend")
    frame_checks = {c.id for c in stretch.checks if c.kind == "frame"}
    assert frame_checks | {"standing_backbend.main_angle"} == set(series)
    depth = series["standing_backbend.backbend_depth"]
    assert depth.values.shape == session.track.t_ms.shape and depth.unit == "deg"
    assert np.nanmax(depth.values) < 25.0  # good form stays below the default


def test_roles_must_be_known():
    session = simulate(Scenario("butterfly", seed=1))
    anonymous = session.track.with_roles(None)
    try:
        events = evaluate(anonymous, "butterfly")
    except RolesUnavailableError as error:  # vision.roles not implemented yet: a clear one-line error
        assert "roles" in str(error) and "\n" not in str(error)
    else:  # assigned from posture: the seated person is the client, the standing one the partner
        assert events.roles == ROLES
    swapped = evaluate(session.track, "butterfly", roles={"client": 1, "partner": 0})
    assert swapped.roles == {"client": 1, "partner": 0}


@pytest.mark.parametrize("seed", range(6))
def test_warning_machine_fed_whole_runs_or_single_frames_agrees(seed):
    """Debounce / hysteresis / pauses: any category sequence gives the same records however it is fed."""
    from stretches.engine import CAT_HIDDEN, WarningMachine

    rng = np.random.default_rng(seed)
    frames = 4000
    t = np.cumsum(rng.choice([1 / 30, 2 / 30, 0.4, 1.5], size=frames, p=[0.85, 0.1, 0.04, 0.01]))
    cat = np.empty(frames, dtype=np.int8)
    i = 0
    while i < frames:
        length = int(rng.geometric(1 / 12))
        cat[i : i + length] = rng.choice([0, 1, 2, 3, 4, 4])
        i += length
    bad = rng.normal(0.4, 0.2, frames)
    masks = rng.integers(1, 16, frames)
    check = get_stretch("supine_twist").check("supine_twist.shoulder_lift")
    names = tuple(check.landmark_names())
    whole = WarningMachine(check, names)
    edges = np.append(np.flatnonzero(np.r_[True, cat[1:] != cat[:-1]]), frames)
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        whole.feed(t[a:b], bad[a:b], int(cat[a]), masks[a:b] if cat[a] == CAT_HIDDEN else None)
    single = WarningMachine(check, names)
    for k in range(frames):
        hidden = cat[k] == CAT_HIDDEN
        single.feed(t[k : k + 1], bad[k : k + 1], int(cat[k]), masks[k : k + 1] if hidden else None)
    records, hidden_records = whole.finish(float(t[-1]))
    assert (records, hidden_records) == single.finish(float(t[-1]))
    assert records and hidden_records  # the sequence really produced warnings and pauses
