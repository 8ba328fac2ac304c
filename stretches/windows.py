"""Causal window means over timestamped frames, shared by landmark smoothing, speeds and the steadiness gate.

Each result depends only on the frames inside its own window, so the live path (a short history buffer)
and the batch path (the whole track) compute bit-identical numbers.
"""

from __future__ import annotations

import numpy as np


def window_mean(values: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Mean of the finite values[start[i]:stop[i]] along axis 0 for every i (NaN where there are none).

    Summed newest-first, offset by offset, so each result depends only on the values inside its own window
    (not on how much history precedes it): the live path, which sees a short buffer, gets bit-identical
    numbers to the batch path, which sees the whole track.
    """
    values = np.asarray(values, dtype=np.float64)
    frames = values.shape[0]
    total = np.zeros(values.shape)
    count = np.zeros(values.shape, dtype=np.int32)
    if frames == 0:
        return total
    width = stop - start
    longest = int(width.max())
    finite = np.isfinite(values)
    zeroed = np.where(finite, values, 0.0)
    extra = (1,) * (values.ndim - 1)
    ends_here = bool(np.array_equal(stop, np.arange(1, frames + 1)))
    narrowest = int(width.min())
    for offset in range(longest):
        # Adding in place where a frame counts (not adding 0.0 elsewhere) saves two temporaries per offset;
        # every window still sums newest-first, so the result does not depend on the history before it.
        if ends_here:  # windows end at their own frame: the source is the array shifted by `offset`
            take = finite[: frames - offset]
            if offset >= narrowest:
                take = take & (offset < width[offset:]).reshape(frames - offset, *extra)
            np.add(total[offset:], zeroed[: frames - offset], out=total[offset:], where=take)
            count[offset:] += take
        else:
            src = np.clip(stop - 1 - offset, 0, frames - 1)
            take = (offset < width).reshape(frames, *extra) & finite[src]
            np.add(total, zeroed[src], out=total, where=take)
            count += take
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    return np.where(count > 0, mean, np.nan)


def causal_window_mean(values: np.ndarray, t_s: np.ndarray, lo_s: float, hi_s: float,
                       not_before: np.ndarray | None = None) -> np.ndarray:
    """Mean of the finite values with time in (t_i - lo_s, t_i - hi_s] for every frame i (lo_s > hi_s >= 0).

    values: (F,) or (F, ...), averaged along axis 0. Uses only past frames, so the live path computes the
    same number from a short history buffer. not_before: (F,) int, the earliest frame index each window may
    use (a window never reaches back across a jump of the pose: stretches/steadiness.py).
    """
    start = np.searchsorted(t_s, t_s - lo_s, side="right")
    if not_before is not None:
        start = np.maximum(start, not_before)
    stop = np.searchsorted(t_s, t_s - hi_s, side="right")
    return window_mean(values, start, np.maximum(stop, start))

