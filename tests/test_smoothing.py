"""One Euro smoothing: less jitter when still, little lag when moving, timestamp-driven, gap-aware."""

from __future__ import annotations

import numpy as np
import pytest

from vision.smoothing import (
    DEFAULT_SMOOTHING,
    OneEuroFilter,
    PersonSmoother,
    SmoothingSettings,
    smooth_track_landmarks,
)


def _filter_series(values: np.ndarray, t_ms: np.ndarray, settings=DEFAULT_SMOOTHING, scale=1.0) -> np.ndarray:
    one_euro = OneEuroFilter(settings)
    return np.array([one_euro(np.array([v]), int(t), scale)[0] for v, t in zip(values, t_ms, strict=True)])


def test_jitter_of_a_still_landmark_is_reduced():
    rng = np.random.default_rng(0)
    t_ms = np.arange(300) * 33
    noisy = 0.5 + rng.normal(0, 0.003, t_ms.size)
    smoothed = _filter_series(noisy, t_ms, scale=0.5)
    assert np.std(smoothed[30:]) < 0.5 * np.std(noisy[30:])


@pytest.mark.parametrize("speed_per_s", [0.2, 1.0])
def test_lag_while_moving_is_small(speed_per_s):
    # a landmark moving at constant speed (person sizes per second); lag = distance behind / speed
    t_ms = np.arange(120) * 33
    position = speed_per_s * t_ms / 1000.0
    smoothed = _filter_series(position, t_ms, scale=1.0)
    lag_ms = float(np.mean(position[60:] - smoothed[60:]) / speed_per_s * 1000.0)
    assert 0 <= lag_ms < 50  # under two frames at 30 fps


def test_faster_motion_gets_less_lag_than_the_fixed_cutoff_would_give():
    t_ms = np.arange(120) * 33
    position = 1.0 * t_ms / 1000.0
    adaptive = _filter_series(position, t_ms)
    fixed = _filter_series(position, t_ms, SmoothingSettings(beta=0.0))
    assert np.mean(position[60:] - adaptive[60:]) < 0.5 * np.mean(position[60:] - fixed[60:])


def test_uneven_and_dropped_frames_use_the_real_time_step():
    t_even = np.arange(0, 2000, 33)
    t_dropped = np.sort(np.random.default_rng(1).choice(t_even, size=t_even.size // 2, replace=False))
    step = lambda t: np.where(t >= 1000, 1.0, 0.0)  # noqa: E731
    even = _filter_series(step(t_even), t_even)
    dropped = _filter_series(step(t_dropped), t_dropped)
    # half the frames, same clock: both have converged equally far 300 ms after the step
    at = 1300
    assert abs(np.interp(at, t_even, even) - np.interp(at, t_dropped, dropped)) < 0.1


def test_gap_restarts_instead_of_sliding_from_stale_values():
    one_euro = OneEuroFilter()
    for t in range(0, 330, 33):
        one_euro(np.array([0.0]), t)
    after_gap = one_euro(np.array([1.0]), 330 + int(DEFAULT_SMOOTHING.reset_gap_s * 1000) + 100)
    assert after_gap[0] == 1.0


def test_nan_elements_pass_through_and_restart():
    one_euro = OneEuroFilter()
    one_euro(np.array([0.0, 0.0]), 0)
    out = one_euro(np.array([np.nan, 0.1]), 33)
    assert np.isnan(out[0]) and 0.0 < out[1] < 0.1
    out = one_euro(np.array([0.7, 0.1]), 66)
    assert out[0] == pytest.approx(0.7)


def test_person_smoother_keeps_visibility_and_shapes(figure):
    smoother = PersonSmoother()
    landmarks = figure("standing")
    world = np.zeros((33, 3), dtype=np.float32)
    out, out_world = smoother(landmarks, world, 0)
    assert out.dtype == np.float32 and out.shape == (33, 4) and out_world.shape == (33, 3)
    moved = landmarks.copy()
    moved[:, 0] += 0.01
    moved[:, 3] = 0.3
    out, _ = smoother(moved, world, 33)
    np.testing.assert_array_equal(out[:, 3], moved[:, 3])
    assert np.all((out[:, 0] > landmarks[:, 0]) & (out[:, 0] <= moved[:, 0] + 1e-6))


def test_track_smoothing_resets_where_the_person_is_absent(figure):
    frames = 20
    landmarks = np.repeat(figure("standing")[None, None], frames, axis=0).repeat(2, axis=1)
    landmarks[10:, 0, :, 0] += 0.2  # person 0 jumps right after an absence
    landmarks[8:10, 0] = np.nan
    t_ms = np.arange(frames, dtype=np.int64) * 33
    smoothed, _ = smooth_track_landmarks(t_ms, landmarks, None)
    np.testing.assert_allclose(smoothed[10, 0], landmarks[10, 0])  # restarted, not blended with old values
    assert np.isnan(smoothed[8:10, 0]).all()
