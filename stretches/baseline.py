"""Checks judged against the client's own resting posture instead of an absolute value.

Why: some quantities depend on where the camera stands as much as on the body. The image height difference
between a lying client's shoulders is about 0.1 trunk lengths from a level side view and 0.3 from a high
camera, while a shoulder rising off the floor changes it by about 0.4. Such a check compares each value
with the same quantity while the client rested just before the hold (lying flat before the twist), or,
when the camera did not see that rest, with the first seconds of the hold.

Stateful and fed one frame at a time, so the batch path (`against_baseline`) and the live path (one
`HoldBaseline` per check) give the same numbers by construction.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

MIN_BASELINE_SAMPLES = 3  # a baseline from fewer frames is a guess


@dataclass
class HoldBaseline:
    window_s: float
    _rest: deque[tuple[float, float]] = field(default_factory=deque)  # (t_s, value) seen at rest
    _hold_samples: list[tuple[float, float]] = field(default_factory=list)
    _baseline: float | None = None
    _in_hold: bool = False

    def feed(self, t_s: float, value: float, judged: bool, at_rest: bool) -> tuple[float, bool]:
        """(|value - baseline|, settled) for one frame.

        judged: the check is in its phase on this frame; at_rest: the client is at rest (the baseline's
        source). Outside its phase the value passes through unchanged (it is not judged anyway). settled is
        False there and while a hold's baseline is still being gathered (value NaN): the check then does not
        judge, and the frame is neither bad nor hidden.
        """
        finite = bool(np.isfinite(value))
        if not judged:
            self._in_hold = False
            self._baseline = None
            self._hold_samples.clear()
            if at_rest and finite:
                self._rest.append((t_s, float(value)))
                while self._rest and self._rest[0][0] < t_s - self.window_s:
                    self._rest.popleft()
            return float(value), False
        if not self._in_hold:
            self._in_hold = True
            if len(self._rest) >= MIN_BASELINE_SAMPLES:
                self._baseline = float(np.median([v for _, v in self._rest]))
        if self._baseline is None:
            if finite:
                self._hold_samples.append((t_s, float(value)))
            gathered_s = t_s - self._hold_samples[0][0] if self._hold_samples else 0.0
            if len(self._hold_samples) < MIN_BASELINE_SAMPLES or gathered_s < self.window_s:
                return float("nan"), False
            self._baseline = float(np.median([v for _, v in self._hold_samples]))
        return abs(float(value) - self._baseline) if finite else float("nan"), True


def against_baseline(
    t_s: np.ndarray, values: np.ndarray, judged: np.ndarray, at_rest: np.ndarray, window_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Batch twin of HoldBaseline: (distance from the baseline per frame, settled per frame)."""
    baseline = HoldBaseline(window_s)
    distance = np.full(len(values), np.nan)
    settled = np.zeros(len(values), dtype=bool)
    for i in range(len(values)):
        distance[i], settled[i] = baseline.feed(float(t_s[i]), float(values[i]), bool(judged[i]),
                                                bool(at_rest[i]))
    return distance, settled
