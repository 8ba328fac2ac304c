"""The flicker gate: a joint whose guessed position jumps back and forth is hidden, real motion is not."""

import numpy as np
import pytest

from stretches.steadiness import MAX_FLICKER_TRUNKS, flicker_trunks, flickering
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
        frames = m.pose_frames(track.t_ms, landmarks, world, roles, (width, height), flicker_gate=gate)
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
