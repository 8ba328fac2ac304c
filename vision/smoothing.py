"""One Euro smoothing of landmarks, driven by timestamps (frames may arrive unevenly or be dropped).

The One Euro filter (Casiez et al., 2012) is a low-pass filter whose cutoff rises with speed: still landmarks
are smoothed hard (no jitter in angles during a hold), moving ones lightly (little lag while entering a
stretch). Speeds are measured in person sizes per second, so the same settings suit any camera distance and
resolution. MediaPipe's legacy pose pipeline used min_cutoff 0.1 Hz, beta 40, derivative cutoff 1 Hz; the
Tasks landmarker already smooths its VIDEO-mode output a little, so the defaults here are lighter (see
SmoothingSettings) to keep the added lag small.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SmoothingSettings:
    # Tuned on the footage (min_cutoff, beta → squats p95 error vs reference | multi-person jitter, lag):
    #   unsmoothed          18.2 px | 8.3 px
    #   0.1, 40 (legacy)    14.7 px | 3.0 px,  9 ms
    #   0.5, 10             11.9 px | 1.8 px, 14 ms
    #   1.0, 10 (chosen)    11.7 px | 1.9 px, 14 ms
    #   1.0, 5              14.4 px | 1.5 px, 17 ms
    #   3.0, 10             13.3 px | 2.4 px, 12 ms
    # jitter = median frame-to-frame acceleration of landmarks in pixels on pose2sim_multi_cam01.mp4 (60 fps);
    # lag = how far the smoothed landmark trails the raw one along its motion, in ms.
    min_cutoff_hz: float = 1.0
    beta: float = 10.0  # cutoff rise per (person size / s) of speed
    derivative_cutoff_hz: float = 1.0
    reset_gap_s: float = 0.5  # after a longer gap the filter restarts instead of sliding from stale values


DEFAULT_SMOOTHING = SmoothingSettings()


def _alpha(cutoff_hz: np.ndarray | float, dt_s: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz))
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """Filters arrays of a fixed shape; NaN entries pass through and restart their element."""

    def __init__(self, settings: SmoothingSettings = DEFAULT_SMOOTHING) -> None:
        self.settings = settings
        self._value: np.ndarray | None = None
        self._derivative: np.ndarray | None = None
        self._t_ms: int | None = None

    def reset(self) -> None:
        self._value = self._derivative = None
        self._t_ms = None

    def __call__(self, value: np.ndarray, t_ms: int, scale: float = 1.0) -> np.ndarray:
        s = self.settings
        value = np.asarray(value, dtype=np.float64)
        if self._value is not None and self._t_ms is not None:
            dt_s = (t_ms - self._t_ms) / 1000.0
            if dt_s <= 0 or dt_s > s.reset_gap_s or self._value.shape != value.shape:
                self.reset()
        if self._value is None:
            self._value = value.copy()
            self._derivative = np.zeros_like(value)
            self._t_ms = t_ms
            return value.copy()
        dt_s = (t_ms - self._t_ms) / 1000.0
        restart = np.isnan(self._value) | np.isnan(value)
        raw_derivative = (value - self._value) / dt_s
        derivative_alpha = _alpha(s.derivative_cutoff_hz, dt_s)
        derivative = self._derivative + derivative_alpha * (raw_derivative - self._derivative)
        speed = np.abs(derivative) / max(scale, 1e-6)
        cutoff = s.min_cutoff_hz + s.beta * speed
        filtered = self._value + _alpha(cutoff, dt_s) * (value - self._value)
        filtered = np.where(restart, value, filtered)
        self._derivative = np.where(restart, 0.0, derivative)
        self._value = filtered
        self._t_ms = t_ms
        return filtered.copy()


class PersonSmoother:
    """Smooths one person's image landmarks (x, y, z; visibility passes through) and world landmarks."""

    def __init__(self, settings: SmoothingSettings = DEFAULT_SMOOTHING) -> None:
        self._image = OneEuroFilter(settings)
        self._world = OneEuroFilter(settings)

    def reset(self) -> None:
        self._image.reset()
        self._world.reset()

    def __call__(self, landmarks: np.ndarray, world: np.ndarray | None, t_ms: int
                 ) -> tuple[np.ndarray, np.ndarray | None]:
        xy = landmarks[:, :2]
        span = np.nanmax(xy, axis=0) - np.nanmin(xy, axis=0)
        size = float(np.hypot(*span)) if np.all(np.isfinite(span)) else 1.0
        smoothed = landmarks.astype(np.float32).copy()
        smoothed[:, :3] = self._image(landmarks[:, :3], t_ms, scale=max(size, 1e-3))
        smoothed_world = None
        if world is not None:
            # a person is about 1.7 m, so world speeds are scaled to the same person-size units
            smoothed_world = self._world(world, t_ms, scale=1.7).astype(np.float32)
        return smoothed, smoothed_world


def smooth_track_landmarks(
    t_ms: np.ndarray, landmarks: np.ndarray, world: np.ndarray | None,
    settings: SmoothingSettings = DEFAULT_SMOOTHING,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Smooth (F, P, 33, 4) landmarks (and (F, P, 33, 3) world) frame by frame, as the live path would."""
    out = landmarks.copy()
    out_world = None if world is None else world.copy()
    for person in range(landmarks.shape[1]):
        smoother = PersonSmoother(settings)
        for f in range(landmarks.shape[0]):
            if np.isnan(landmarks[f, person, :, 0]).all():
                smoother.reset()
                continue
            w = None if world is None else world[f, person]
            out[f, person], smoothed_world = smoother(landmarks[f, person], w, int(t_ms[f]))
            if out_world is not None:
                out_world[f, person] = smoothed_world
    return out, out_world
