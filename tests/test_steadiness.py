"""The steadiness gates: a flickering joint, a pose that jumps to another body and a skeleton that shrinks
are kept out of the checks; real motion is not. Also the fast row median the flicker gate uses."""

import warnings

import numpy as np
import pytest

from stretches.steadiness import (
    BONE_REFERENCE_MIN_FRAMES,
    BONES,
    MAX_BODY_SPEED_SIZES_S,
    MAX_FLICKER_TRUNKS,
    MIN_BONE_RATIO,
    SkeletonReference,
    angle_misreads,
    bone_lengths_m,
    flicker_trunks,
    flickering,
    pose_jumps,
    row_nanmedian,
    segment_starts,
    skeleton_collapsed,
    skeleton_ratios,
)
from vision.landmarks import MIRRORED
from vision.landmarks import Landmark as L

FPS = 30.0
FRAMES = 60
TRUNK_PX = 100.0


def _still_person(frames: int = FRAMES) -> np.ndarray:
    """(F, 33, 2) pixels: a standing figure with a 100 px trunk, every landmark somewhere distinct."""
    rng = np.random.default_rng(0)
    base = rng.uniform(100, 400, size=(33, 2))
    base[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER]] = [[240, 100], [260, 100]]
    base[[L.LEFT_HIP, L.RIGHT_HIP]] = [[240, 100 + TRUNK_PX], [260, 100 + TRUNK_PX]]
    return np.repeat(base[None], frames, axis=0)


def _t_s(frames: int = FRAMES) -> np.ndarray:
    return np.arange(frames) / FPS


def _fast_pull(xy: np.ndarray) -> np.ndarray:
    """The whole body accelerating hard (3 trunk lengths/s²), as in a fast pull: real motion."""
    t = _t_s(len(xy))
    return xy + (0.5 * 3.0 * TRUNK_PX * t**2)[:, None, None] * np.array([1.0, 0.0])


def _even_jitter(xy: np.ndarray) -> np.ndarray:
    """Estimator noise that shakes every landmark alike (1 % of a 640 px image)."""
    return xy + np.random.default_rng(1).normal(0.0, 6.4, xy.shape)


def _flipping_knee(xy: np.ndarray) -> np.ndarray:
    """The right knee's guess jumping a trunk length away and back every few frames."""
    xy = xy.copy()
    xy[(np.arange(len(xy)) // 3) % 2 == 1, L.RIGHT_KNEE, 0] += TRUNK_PX
    return xy


@pytest.mark.parametrize(
    ("name", "make", "hidden"),
    [
        ("still", lambda xy: xy, set()),
        ("fast pull", _fast_pull, set()),
        ("even jitter", _even_jitter, set()),
        ("flipping knee", _flipping_knee, {L.RIGHT_KNEE, L.LEFT_KNEE}),
    ],
)
def test_only_a_flickering_joint_and_its_mirror_are_hidden(name, make, hidden):
    gated = flickering(make(_still_person()), _t_s())
    hidden_late = {L(i) for i in np.flatnonzero(gated[20:].any(axis=0))}
    assert hidden_late == hidden, name


def test_the_gate_is_causal():
    xy = _flipping_knee(_still_person())
    whole = flickering(xy, _t_s())
    for stop in (10, 25, 40):
        np.testing.assert_array_equal(flickering(xy[:stop], _t_s(stop)), whole[:stop])


def test_flicker_is_measured_in_trunk_lengths_so_image_scale_does_not_matter():
    xy = _flipping_knee(_still_person())
    small = flicker_trunks(xy, _t_s())
    large = flicker_trunks(xy * 2.0, _t_s())
    np.testing.assert_allclose(small, large, equal_nan=True)
    assert np.nanmax(small[:, L.RIGHT_KNEE]) > MAX_FLICKER_TRUNKS


def test_absent_frames_are_neither_flicker_nor_steady():
    xy = _flipping_knee(_still_person())
    xy[30:36] = np.nan
    flicker = flicker_trunks(xy, _t_s())
    assert np.isnan(flicker[:2]).all()  # no second difference before the third frame
    assert not flickering(xy, _t_s())[30:36, L.NOSE].any()


def test_mirror_pairs_left_with_right():
    assert MIRRORED[L.LEFT_KNEE] == L.RIGHT_KNEE and MIRRORED[L.RIGHT_ANKLE] == L.LEFT_ANKLE
    assert MIRRORED[L.NOSE] == L.NOSE and MIRRORED[L.LEFT_EYE] == L.RIGHT_EYE
    assert MIRRORED[L.MOUTH_LEFT] == L.MOUTH_RIGHT
    assert sorted(MIRRORED) == list(range(33))


def test_a_flickering_ankle_no_longer_reads_as_a_jolt_of_the_main_angle():
    from stretches import metrics as m
    from stretches.catalog import get_stretch
    from stretches.synthetic import Scenario, simulate

    stretch = get_stretch("prone_quad")
    track = simulate(Scenario("prone_quad", side="right", seed=3, jitter_frac=0.003)).track
    roles = track.role_index()
    landmarks = track.landmarks.copy()
    t_s = track.t_ms / 1000.0
    width, height = track.image_size
    client = landmarks[:, roles["client"]]
    trunk = np.nanmedian(np.linalg.norm(client[:, 11, :2] - client[:, 23, :2], axis=-1))
    flips = (t_s > 20.0) & (t_s < 22.0) & ((np.arange(len(t_s)) // 3) % 2 == 1)
    for ankle in (L.LEFT_ANKLE, L.RIGHT_ANKLE):
        client[flips, ankle, 1] += trunk  # the guess drops a trunk length, then comes back
    landmarks[:, roles["client"]] = client
    world = track.world.copy()
    for ankle in (L.LEFT_ANKLE, L.RIGHT_ANKLE):  # the model's 3-D guess jumps with it
        world[flips, roles["client"], ankle, 1] += 0.5
    jerky = stretch.check("common.jerky_motion").default_threshold

    def peak_speed(gate: bool) -> float:
        frames = m.pose_frames(track.t_ms, landmarks, world, roles, (width, height), steadiness_gate=gate)
        speed = m.speed_cached(frames, stretch.main_angle)
        return float(np.nanmax(speed[(t_s > 19.5) & (t_s < 23.0)]))

    assert peak_speed(gate=False) > jerky  # what the checks saw before the gate
    assert peak_speed(gate=True) < jerky


def test_a_dropped_frame_in_fast_motion_is_not_flicker():
    xy = _fast_pull(_still_person())
    xy[:, L.LEFT_WRIST, 0] += 4.0 * TRUNK_PX * _t_s()  # the hand moving fast, the rest of the body slower
    keep = np.ones(FRAMES, dtype=bool)
    keep[[12, 13, 27, 40]] = False  # frames the camera dropped
    assert not flickering(xy[keep], _t_s()[keep]).any()


# ---------------------------------------------------------------- jumps of the whole pose


def _body_size_px(xy: np.ndarray) -> float:
    return float(np.hypot(*np.ptp(xy[0], axis=0)))


def _moved_onto_another_body(xy: np.ndarray) -> np.ndarray:
    """From frame 30 the pose sits one body size to the right: the estimator put it on the other person."""
    xy = xy.copy()
    xy[30:, :, 0] += _body_size_px(xy)
    return xy


def _there_and_back(xy: np.ndarray) -> np.ndarray:
    xy = _moved_onto_another_body(xy)
    xy[40:, :, 0] -= _body_size_px(xy)
    return xy


def _back_after_a_gap(xy: np.ndarray) -> np.ndarray:
    """Lost for a second, found again one body size away: slower than a body can move, so not a jump."""
    xy = _moved_onto_another_body(xy)
    xy[15:45] = np.nan
    return xy


def _slides_across(xy: np.ndarray) -> np.ndarray:
    """The whole body moving at 0.8 × the fastest plausible speed: real motion, however quick."""
    speed_px_s = 0.8 * MAX_BODY_SPEED_SIZES_S * _body_size_px(xy)
    return xy + (speed_px_s * _t_s(len(xy)))[:, None, None] * np.array([1.0, 0.0])


@pytest.mark.parametrize(
    ("name", "make", "jump_frames"),
    [
        ("still", lambda xy: xy, []),
        ("fast pull", _fast_pull, []),
        ("even jitter", _even_jitter, []),
        ("flipping knee", _flipping_knee, []),
        ("slides across", _slides_across, []),
        ("moved onto another body", _moved_onto_another_body, [30]),
        ("there and back", _there_and_back, [30, 40]),
        ("back after a gap", _back_after_a_gap, []),
    ],
)
def test_only_a_pose_moving_faster_than_a_body_jumps(name, make, jump_frames):
    assert list(np.flatnonzero(pose_jumps(make(_still_person()), _t_s()))) == jump_frames, name


def test_a_jump_is_judged_from_timestamps_not_frame_counts():
    xy = _moved_onto_another_body(_still_person())
    t_s = _t_s()
    slow = t_s.copy()
    slow[30:] += 0.5  # half a second between the two poses: one body size in 0.53 s is a plausible move
    assert pose_jumps(xy, t_s)[30]
    assert not pose_jumps(xy, slow).any()


def test_segment_starts_give_the_latest_jump_or_minus_one():
    jumps = np.array([False, False, True, False, True, False])
    assert list(segment_starts(jumps)) == [-1, -1, 2, 2, 4, 4]
    assert list(segment_starts(np.zeros(0, dtype=bool))) == []


def test_no_speed_is_read_across_a_jump():
    from stretches import metrics as m

    t_s = _t_s(90)
    angle = np.full(90, 20.0)
    angle[45:] = 70.0  # the pose on the other body reads 50° more
    floor = segment_starts(np.arange(90) == 45)
    blind = m.angular_speed_deg_s(angle, t_s)
    aware = m.angular_speed_deg_s(angle, t_s, not_before=floor, settle_s=m.LANDMARK_SMOOTHING_S)
    assert np.nanmax(blind) > 100.0  # what a window straddling the jump reads
    settled = t_s >= t_s[45] + m.SPEED_WINDOW_S + m.LANDMARK_SMOOTHING_S
    assert np.isnan(aware[45:][~settled[45:]]).all()  # unknown until a whole window is past the jump
    np.testing.assert_allclose(aware[settled], 0.0)
    np.testing.assert_array_equal(aware[:45], blind[:45])


def test_a_pose_that_moves_onto_the_partner_no_longer_reads_as_a_jolt():
    from stretches import metrics as m
    from stretches.catalog import get_stretch
    from stretches.synthetic import Scenario, simulate

    stretch = get_stretch("seated_forward_fold")
    track = simulate(Scenario("seated_forward_fold", seed=3, jitter_frac=0.003)).track
    roles = track.role_index()
    t_s = track.t_ms / 1000.0
    on_partner = (t_s > 20.0) & (t_s < 22.0)  # the client's pose put on the partner's body for 2 s
    landmarks = track.landmarks.copy()
    world = track.world.copy()
    landmarks[on_partner, roles["client"]] = track.landmarks[on_partner, roles["partner"]]
    world[on_partner, roles["client"]] = track.world[on_partner, roles["partner"]]
    jerky = stretch.check("common.jerky_motion").default_threshold

    def peak_speed(gate: bool) -> float:
        frames = m.pose_frames(track.t_ms, landmarks, world, roles, track.image_size, steadiness_gate=gate)
        speed = m.speed_cached(frames, stretch.main_angle)
        return float(np.nanmax(speed[(t_s > 19.5) & (t_s < 23.5)]))

    assert peak_speed(gate=False) > jerky
    assert peak_speed(gate=True) < jerky


# ---------------------------------------------------------------- a skeleton that shrinks


def _world_skeleton() -> np.ndarray:
    """(33, 3) metres: a standing person, every landmark distinct."""
    rng = np.random.default_rng(2)
    return rng.uniform(-0.9, 0.9, size=(33, 3))


def test_bone_lengths_are_metric_distances():
    world = _world_skeleton()
    lengths = bone_lengths_m(world)
    assert lengths.shape == (len(BONES),)
    a, b = BONES[0]
    assert lengths[0] == pytest.approx(float(np.linalg.norm(world[a] - world[b])))
    np.testing.assert_allclose(bone_lengths_m(np.stack([world, 2.0 * world])), [lengths, 2.0 * lengths])


@pytest.mark.parametrize(
    ("name", "scale", "ratio"),
    [
        ("the same body", 1.0, 1.0),
        ("longer bones count as full length", 1.3, 1.0),
        ("shrunk to 60 %", 0.6, 0.6),
        ("shrunk just under the gate", MIN_BONE_RATIO - 0.01, MIN_BONE_RATIO - 0.01),
    ],
)
def test_a_frame_is_measured_against_the_persons_own_bones(name, scale, ratio):
    world = _world_skeleton()
    reference = SkeletonReference()
    ratios = [reference.feed(world) for _ in range(BONE_REFERENCE_MIN_FRAMES + 10)]
    assert np.isnan(ratios[: BONE_REFERENCE_MIN_FRAMES - 1]).all()  # no reference yet
    assert ratios[-1] == pytest.approx(1.0, abs=0.005)  # the reference is a 2 mm histogram bin's centre
    assert reference.feed(scale * world) == pytest.approx(ratio, abs=0.005), name
    assert bool(skeleton_collapsed(np.array([ratio]))[0]) == (ratio < MIN_BONE_RATIO)


def test_absent_frames_and_missing_world_tell_nothing():
    reference = SkeletonReference()
    assert np.isnan(reference.feed(None))
    assert np.isnan(reference.feed(np.full((33, 3), np.nan)))
    assert np.isnan(skeleton_ratios(None, 5)).all()


def test_batch_ratios_equal_feeding_frame_by_frame():
    rng = np.random.default_rng(4)
    world = _world_skeleton()[None] * rng.uniform(0.5, 1.1, size=(80, 1, 1))
    world[10:14] = np.nan
    reference = SkeletonReference()
    np.testing.assert_array_equal(skeleton_ratios(world, 80), [reference.feed(w) for w in world])


@pytest.mark.parametrize("stretch_id", ["seated_forward_fold", "supine_twist", "childs_pose"])
def test_a_pose_spread_over_both_bodies_collapses_and_a_real_one_does_not(stretch_id):
    from stretches.synthetic import Scenario, simulate

    track = simulate(Scenario(stretch_id, seed=3)).track
    roles = track.role_index()
    client, partner = track.world[:, roles["client"]], track.world[:, roles["partner"]]
    t_s = track.t_ms / 1000.0
    merged = (t_s > 15.0) & (t_s < 17.0)
    world = client.copy()
    world[merged] = 0.5 * (client[merged] + partner[merged])  # the model's pose halfway between the two
    assert not skeleton_collapsed(skeleton_ratios(client, track.num_frames)).any()
    assert skeleton_collapsed(skeleton_ratios(world, track.num_frames))[merged].all()


@pytest.mark.parametrize("rows", [
    [[1.0, 3.0, 2.0]],                       # odd count
    [[4.0, 1.0, 3.0, 2.0]],                  # even count: mean of the middle two
    [[np.nan, 5.0, np.nan, 1.0]],            # NaN ignored
    [[np.nan, np.nan, np.nan]],              # nothing finite: NaN
    [[0.1, 0.7, 0.2, 0.3, 0.9], [np.nan, 0.3, 0.1, 0.2, 0.4]],
])
def test_row_nanmedian_matches_numpy(rows):
    values = np.array(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(values, axis=1)
    assert np.array_equal(row_nanmedian(values), expected, equal_nan=True)


def test_row_nanmedian_matches_numpy_bit_for_bit_on_random_rows():
    rng = np.random.default_rng(3)
    values = rng.random((500, 33)) * 7.0
    values[rng.random(values.shape) < 0.4] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(values, axis=1)
    assert np.array_equal(row_nanmedian(values), expected, equal_nan=True)


T_30FPS = np.arange(0, 2.0, 1 / 30)


def _flip(angle: np.ndarray, start: int, frames: int) -> np.ndarray:
    flipped = angle.copy()
    flipped[start:start + frames] *= -1.0
    return flipped


@pytest.mark.parametrize(
    ("case", "angle", "misread_frames"),
    [
        ("a 250 deg/s jolt, quicker than any clean one", 250.0 * T_30FPS, []),
        ("a lean of 50 deg read with the other sign for 3 frames", _flip(np.full(60, 50.0), 30, 3), [30, 33]),
        ("a 40 deg step across a 0.4 s gap", np.r_[np.zeros(30), np.full(12, np.nan), np.full(18, 40.0)], []),
        ("a 40 deg step across one hidden frame", np.r_[np.zeros(30), np.nan, np.full(29, 40.0)], [31]),
    ],
)
def test_angle_misreads_are_steps_no_body_makes(case, angle, misread_frames):
    assert np.flatnonzero(angle_misreads(angle, T_30FPS)).tolist() == misread_frames, case
