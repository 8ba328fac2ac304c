"""Timing of a synthetic stretch: rest → entry → hold → release → rest, and smooth parameter curves on it.

Every pose parameter is a function of time built from these curves, so speeds and onsets are known exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def min_jerk(s: np.ndarray) -> np.ndarray:
    """Minimum-jerk position profile on s ∈ [0, 1] (0 outside below, 1 above): human reaching motion."""
    s = np.clip(s, 0.0, 1.0)
    return s**3 * (10 - 15 * s + 6 * s**2)


MIN_JERK_PEAK_SPEED = 1.875  # peak of d(min_jerk)/ds, so a move of A over T seconds peaks at 1.875 A / T


def min_jerk_inverse(level: float) -> float:
    """The s ∈ [0, 1] where min_jerk(s) = level (bisection; min_jerk is monotonic)."""
    lo, hi = 0.0, 1.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if min_jerk(np.array(mid)) < level:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def ramp(t: np.ndarray, start_s: float, duration_s: float) -> np.ndarray:
    """0 before start, min-jerk up to 1 over duration, 1 after."""
    if duration_s <= 0:
        return (t >= start_s).astype(float)
    return min_jerk((t - start_s) / duration_s)


def window(t: np.ndarray, start_s: float, end_s: float, ramp_s: float) -> np.ndarray:
    """1 inside [start, end] with min-jerk ramps of ramp_s before start and after end (0 far outside)."""
    return ramp(t, start_s - ramp_s, ramp_s) * (1.0 - ramp(t, end_s, ramp_s))


def constant_speed_ramp(
    t: np.ndarray, start_s: float, duration_s: float, blend_s: float = 0.12
) -> np.ndarray:
    """0 → 1 at (nearly) constant speed 1/duration, with short smooth blends at both ends."""
    s = np.clip((t - start_s) / duration_s, 0.0, 1.0)
    if blend_s <= 0:
        return s
    # Smooth the corners by averaging over a short box window (keeps the plateau speed exact).
    dt = np.median(np.diff(t)) if t.size > 1 else 1.0
    half = max(int(round(blend_s / dt / 2)), 1)
    kernel = np.ones(2 * half + 1) / (2 * half + 1)
    padded = np.concatenate([np.full(half, s[0]), s, np.full(half, s[-1])])
    return np.convolve(padded, kernel, mode="valid")


@dataclass(frozen=True)
class Phases:
    """Times (s) of one hold cycle: rest until entry_start, entry, hold, release, rest until the end."""

    entry_start_s: float
    entry_s: float
    hold_s: float
    release_s: float
    tail_s: float
    fast_entry: bool = False  # entry at constant speed (a pull that is too fast) instead of min-jerk

    @property
    def hold_start_s(self) -> float:
        return self.entry_start_s + self.entry_s

    @property
    def hold_end_s(self) -> float:
        return self.hold_start_s + self.hold_s

    @property
    def release_end_s(self) -> float:
        return self.hold_end_s + self.release_s

    @property
    def duration_s(self) -> float:
        return self.release_end_s + self.tail_s

    def entry_progress(self, t: np.ndarray) -> np.ndarray:
        """0 before the entry, 1 from the hold on: min-jerk, or constant speed for a fast entry."""
        if self.fast_entry:
            return constant_speed_ramp(t, self.entry_start_s, self.entry_s)
        return ramp(t, self.entry_start_s, self.entry_s)

    def release_progress(self, t: np.ndarray) -> np.ndarray:
        """0 until the hold ends, 1 once released."""
        return ramp(t, self.hold_end_s, self.release_s)

    def engagement(self, t: np.ndarray) -> np.ndarray:
        """0 at rest, 1 during the hold, smooth (or, for a fast entry, constant-speed) in between."""
        return self.entry_progress(t) * (1.0 - self.release_progress(t))

    def contact(self, t: np.ndarray, lead_s: float = 1.0) -> np.ndarray:
        """Partner's hands: 0 away, 1 in contact; they arrive `lead_s` before the entry and leave after."""
        start = max(self.entry_start_s - lead_s - 0.8, 0.0)
        up = ramp(t, start, 0.8)
        down = ramp(t, self.release_end_s, 0.8)
        return up * (1.0 - down)


def breathing(t: np.ndarray, period_s: float = 5.0, phase: float = 0.0) -> np.ndarray:
    """A slow breath cycle in [-1, 1], for the small live motion of a real hold."""
    return np.sin(2 * np.pi * t / period_s + phase)
