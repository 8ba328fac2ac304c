"""Which landmarks flicker: the pose model's guess for a joint jumping back and forth between frames.

A body moves smoothly, so the second difference of a real joint's position from one frame to the next is
tiny (a fast pull accelerating at 5 trunk lengths/s² moves it by 0.006 trunk lengths at 30 fps). When the
pose model cannot see a joint (covered by the partner, folded under the body) its guess jumps between
candidates, and the second difference becomes a good share of a trunk length. Such a landmark is treated
as hidden, like a low-visibility one: a check pauses instead of reading the jumps as a jerk, a bent knee or
a broken hold. Causal (past frames only), so the live view and the batch analysis agree.
"""

from __future__ import annotations

import warnings

import numpy as np

from stretches.windows import causal_window_mean
from vision import geometry as g
from vision.landmarks import MIRRORED
from vision.landmarks import Landmark as L

FLICKER_WINDOW_S = 0.3  # mean frame-to-frame second difference over this window
MAX_FLICKER_TRUNKS = 0.05  # above this mean second difference (in trunk lengths) a landmark flickers
MAX_FLICKER_RATIO = 2.0  # ... and this many times the person's median landmark
TRUNK_WINDOW_S = 0.5  # the person's size: causal mean trunk length over this window
TRUNK = [L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP]


def trunk_length_px(xy_px: np.ndarray, t_s: np.ndarray, window_s: float = TRUNK_WINDOW_S) -> np.ndarray:
    """(F,) mid-hip → mid-shoulder length in pixels, averaged over the last `window_s` of visible frames."""
    shoulder = g.mean_of_visible(xy_px[:, L.LEFT_SHOULDER], xy_px[:, L.RIGHT_SHOULDER])
    hip = g.mean_of_visible(xy_px[:, L.LEFT_HIP], xy_px[:, L.RIGHT_HIP])
    trunk = g.distance(shoulder, hip)
    return causal_window_mean(trunk, t_s, window_s, 0.0)


def flicker_trunks(xy_px: np.ndarray, t_s: np.ndarray, window_s: float = FLICKER_WINDOW_S) -> np.ndarray:
    """(F, 33) mean error of a constant-velocity prediction from the two previous frames (|x[i] - 2 x[i-1]
    + x[i-2]| at a steady frame rate) over the last `window_s`, in the person's trunk lengths.

    xy_px: (F, 33, 2) one person's landmark pixels, NaN where absent. NaN where it cannot be told (fewer than
    three consecutive frames with the landmark, or no trunk yet).
    """
    xy_px = np.asarray(xy_px, dtype=np.float64)
    t_s = np.asarray(t_s, dtype=np.float64)
    frames = xy_px.shape[0]
    second = np.full(xy_px.shape[:2], np.nan)
    if frames >= 3:
        # Distance from where the last two frames' velocity would put the landmark, from the timestamps: a
        # dropped frame in a fast pull is not a flicker.
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = (t_s[2:] - t_s[1:-1]) / (t_s[1:-1] - t_s[:-2])
        predicted = xy_px[1:-1] + (xy_px[1:-1] - xy_px[:-2]) * ratio[:, None, None]
        second[2:] = np.linalg.norm(xy_px[2:] - predicted, axis=-1)
    trunk = trunk_length_px(xy_px, t_s)
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = second / np.where(trunk > 0, trunk, np.nan)[:, None]
    return causal_window_mean(relative, t_s, window_s, 0.0)


def flickering(xy_px: np.ndarray, t_s: np.ndarray, max_trunks: float = MAX_FLICKER_TRUNKS,
               window_s: float = FLICKER_WINDOW_S, max_ratio: float = MAX_FLICKER_RATIO) -> np.ndarray:
    """(F, 33) bool: landmarks whose recent frame-to-frame second difference says the model is guessing.

    A landmark flickers when its second difference is both large (over `max_trunks`) and well above the
    same person's typical landmark (over `max_ratio` × the median across landmarks): estimator noise that
    shakes the whole body alike is left to the smoothing, and only the joints the model loses are hidden.
    """
    flicker = flicker_trunks(xy_px, t_s, window_s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a frame with no landmark: its median is NaN
        typical = np.nanmedian(flicker, axis=1, keepdims=True)
    flickers = (flicker > max_trunks) & (flicker > max_ratio * typical)
    # Hide the mirror landmark too: a metric that falls back to the other side when one side is hidden would
    # otherwise jump to the other leg or arm for the frames the gate is on, which reads as a jolt.
    flickers |= flickers[:, list(MIRRORED)]
    # The trunk anchors every metric and is the model's surest guess; a flickering trunk means the whole pose
    # is off, which is the tracker's business, and hiding it would blank every check for a frame.
    flickers[:, TRUNK] = False
    return flickers
