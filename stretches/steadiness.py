"""Which landmarks flicker: the pose model's guess for a joint jumping back and forth between frames.

A body moves smoothly, so the second difference of a real joint's position from one frame to the next is
tiny (a fast pull accelerating at 5 trunk lengths/s² moves it by 0.006 trunk lengths at 30 fps). When the
pose model cannot see a joint (covered by the partner, folded under the body) its guess jumps between
candidates, and the second difference becomes a good share of a trunk length. Such a landmark is treated
as hidden, like a low-visibility one: a check pauses instead of reading the jumps as a jerk, a bent knee or
a broken hold. Causal (past frames only), so the live view and the batch analysis agree.
"""

from __future__ import annotations

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
        # in place: predicted = x[i-1] + (x[i-1] - x[i-2]) * ratio, then the miss x[i] - predicted
        miss = np.subtract(xy_px[1:-1], xy_px[:-2])
        miss *= ratio[:, None, None]
        miss += xy_px[1:-1]
        np.subtract(xy_px[2:], miss, out=miss)
        second[2:] = np.hypot(miss[..., 0], miss[..., 1])  # ~4x faster than np.linalg.norm on (F, 33, 2)
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
    typical = row_nanmedian(flicker)[:, None]
    flickers = (flicker > max_trunks) & (flicker > max_ratio * typical)
    # Hide the mirror landmark too: a metric that falls back to the other side when one side is hidden would
    # otherwise jump to the other leg or arm for the frames the gate is on, which reads as a jolt.
    flickers |= flickers[:, list(MIRRORED)]
    # The trunk anchors every metric and is the model's surest guess; a flickering trunk means the whole pose
    # is off, which is the tracker's business, and hiding it would blank every check for a frame.
    flickers[:, TRUNK] = False
    return flickers


def row_nanmedian(values: np.ndarray) -> np.ndarray:
    """np.nanmedian(values, axis=1) for a 2-D array, bit for bit, about 4x faster (it sorts instead of
    going through masked arrays); NaN for a row with no finite value."""
    if values.shape[1] == 0:
        return np.full(values.shape[0], np.nan)
    ordered = np.sort(values, axis=1)  # NaN sorts last
    count = np.sum(~np.isnan(values), axis=1)
    rows = np.arange(values.shape[0])
    upper = ordered[rows, count // 2]  # count // 2 < width for any width >= 1
    lower = ordered[rows, np.maximum(count - 1, 0) // 2]
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, (lower + upper) / 2, np.nan)  # an odd count: lower is upper


# A trunk centre never moves this fast in a stretch (the rendered evaluation set's fastest true motion, fast
# pulls included, peaks at 3.4 body sizes/s; a tracked pose that the estimator moves onto the other person
# or a merged pose covers 5-50 in one frame).
MAX_BODY_SPEED_SIZES_S = 5.0


def pose_jumps(xy_px: np.ndarray, t_s: np.ndarray,
               max_speed_sizes_s: float = MAX_BODY_SPEED_SIZES_S) -> np.ndarray:
    """(F,) bool: frames where the pose's trunk centre moved faster than a body can since the person's
    previous frame: the estimator put the pose on another body, so a window over time must not mix frames
    from before and after (their mean is neither body, and their difference reads as a jolt).

    xy_px: (F, 33, 2) one person's raw landmark pixels (every landmark, visible or not), NaN where absent.
    Speed in body sizes (the diagonal of the landmarks' extent, the larger of the two frames) per second.
    """
    xy_px = np.asarray(xy_px, dtype=np.float64)
    t_s = np.asarray(t_s, dtype=np.float64)
    # The pose model gives every landmark of a person it found: a frame is whole or all NaN (absent).
    centre = xy_px[:, TRUNK].mean(axis=1)
    by_axis = np.ascontiguousarray(xy_px.transpose(0, 2, 1))  # (F, 2, 33): 4x faster extent than (F, 33, 2)
    size = np.hypot(*(by_axis.max(axis=2) - by_axis.min(axis=2)).T)
    present = np.flatnonzero(np.isfinite(centre).all(axis=1) & np.isfinite(size) & (size > 0))
    if present.size < 2:
        return np.zeros(xy_px.shape[0], dtype=bool)
    now, before = present[1:], present[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        step_sizes = np.hypot(*(centre[now] - centre[before]).T) / np.maximum(size[now], size[before])
    return _faster_than(xy_px.shape[0], present, step_sizes, t_s, max_speed_sizes_s)


# An angle that changes faster than this between two frames (at most ANGLE_STEP_MAX_GAP_S apart) was misread
# on one of them (a lean whose sign flips with the facing, a pose that slid onto wrong landmarks), so no
# speed is read across that step. Clean motion peaks at 223 deg/s frame to frame on the evaluation clips'
# own landmarks and 275 on the synthetic jolts; the pipeline's tracks step faster than 600 on 53 of 35,777
# frame pairs, flips of 50-100 degrees among them (benchmarks/accuracy.md, session 8).
MAX_ANGLE_STEP_DEG_S = 600.0
ANGLE_STEP_MAX_GAP_S = 0.25


def angle_misreads(angle_deg: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    """(F,) bool: frames whose angle stepped faster than MAX_ANGLE_STEP_DEG_S from the previous visible
    frame (at most ANGLE_STEP_MAX_GAP_S earlier). Causal: each frame looks back only."""
    angle_deg = np.asarray(angle_deg, dtype=np.float64)
    t_s = np.asarray(t_s, dtype=np.float64)
    seen = np.flatnonzero(np.isfinite(angle_deg))
    if seen.size < 2:
        return np.zeros(angle_deg.shape[0], dtype=bool)
    return _faster_than(angle_deg.shape[0], seen, np.abs(np.diff(angle_deg[seen])), t_s,
                        MAX_ANGLE_STEP_DEG_S, ANGLE_STEP_MAX_GAP_S)


def _faster_than(frames: int, present: np.ndarray, steps: np.ndarray, t_s: np.ndarray, max_rate: float,
                 max_gap_s: float = np.inf) -> np.ndarray:
    """(F,) bool: the present frames (indices, ascending) whose step from the previous present frame, no
    more than `max_gap_s` earlier, is faster than `max_rate` per second. steps: (len(present) - 1,)."""
    flags = np.zeros(frames, dtype=bool)
    dt = np.diff(t_s[present])
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = steps / dt
    flags[present[1:][(dt <= max_gap_s) & (rate > max_rate)]] = True
    return flags


def segment_starts(jumps: np.ndarray) -> np.ndarray:
    """(F,) int: for each frame, the index of the latest jump at or before it (-1 when none yet): the
    earliest frame a causal window ending there may use."""
    index = np.where(np.asarray(jumps, dtype=bool), np.arange(len(jumps)), -1)
    return np.maximum.accumulate(index) if len(index) else index.astype(int)


# ---------------------------------------------------------------- a skeleton that shrinks

# Bones whose metric length (MediaPipe world landmarks) is fixed for a person: thighs, shins, upper arms,
# forearms, shoulder and hip width, the two sides of the trunk.
BONES = (
    (L.LEFT_HIP, L.LEFT_KNEE), (L.RIGHT_HIP, L.RIGHT_KNEE), (L.LEFT_KNEE, L.LEFT_ANKLE),
    (L.RIGHT_KNEE, L.RIGHT_ANKLE), (L.LEFT_SHOULDER, L.LEFT_ELBOW), (L.RIGHT_SHOULDER, L.RIGHT_ELBOW),
    (L.LEFT_ELBOW, L.LEFT_WRIST), (L.RIGHT_ELBOW, L.RIGHT_WRIST), (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
    (L.LEFT_HIP, L.RIGHT_HIP), (L.LEFT_SHOULDER, L.LEFT_HIP), (L.RIGHT_SHOULDER, L.RIGHT_HIP),
)
_BONE_STARTS = np.array([int(bone[0]) for bone in BONES])
_BONE_ENDS = np.array([int(bone[1]) for bone in BONES])
BONE_REFERENCE_PERCENTILE = 75.0  # a person's own bone length: this percentile of all their earlier frames
BONE_REFERENCE_MIN_FRAMES = 30  # ... once there are this many
# The reference is brought up to date once every this many frames (every BONE_REFERENCE_EARLY_FRAMES over
# the first BONE_REFERENCE_EARLY_UNTIL, so that it is there within a second), from a 2 mm histogram of every
# length so far: the batch path costs a few numpy calls per five seconds of video instead of a sort per
# frame, and the live path a histogram update every five seconds (at 30 fps).
BONE_REFERENCE_UPDATE_FRAMES = 150
BONE_REFERENCE_EARLY_FRAMES = 30
BONE_REFERENCE_EARLY_UNTIL = 300
BONE_BIN_M = 0.002
BONE_BINS = 1000  # lengths over 2 m fall in the last bin
# Below this mean length ratio (each bone's length over its reference, capped at 1) the pose is not one
# body. On the 57 rendered evaluation clips (110,442 tracked poses) 0.5 % of the poses within 0.1 × size of
# a real body fall below 0.8, and 61 % of those more than 0.25 × size from every body (merged or on the
# wrong person): the model draws a pose spread over two bodies with a shrunken skeleton.
MIN_BONE_RATIO = 0.8


def bone_lengths_m(world: np.ndarray) -> np.ndarray:
    """(..., len(BONES)) metric bone lengths from world landmarks (..., 33, 3); NaN where absent."""
    world = np.asarray(world)
    d = (np.take(world, _BONE_STARTS, axis=-2) - np.take(world, _BONE_ENDS, axis=-2)).astype(np.float64)
    # Summed axis by axis, so one frame and a stack of frames give bit-identical lengths (live == batch).
    return np.sqrt(d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1] + d[..., 2] * d[..., 2])


def _add_to_histogram(histogram: np.ndarray, lengths: np.ndarray) -> None:
    """Count (F, B) lengths (NaN = absent) into the (B, BONE_BINS) histogram."""
    rows, bones = np.nonzero(np.isfinite(lengths))
    bins = np.minimum((lengths[rows, bones] / BONE_BIN_M).astype(np.int64), BONE_BINS - 1)
    histogram += np.bincount(bones * BONE_BINS + bins, minlength=histogram.size).reshape(histogram.shape)


def _reference_update_at(frames_fed):
    """Whether the reference is brought up to date before the frame after `frames_fed` frames (an int, or
    an int array for the batch path: one rule for both)."""
    every = np.where(frames_fed < BONE_REFERENCE_EARLY_UNTIL, BONE_REFERENCE_EARLY_FRAMES,
                     BONE_REFERENCE_UPDATE_FRAMES)
    return (frames_fed > 0) & (frames_fed % every == 0)


def _reference_lengths(histogram: np.ndarray) -> np.ndarray:
    """(B,) each bone's reference length (the percentile's bin centre), NaN with too few frames."""
    counts = histogram.sum(axis=1)
    rank = (BONE_REFERENCE_PERCENTILE / 100.0 * np.maximum(counts - 1, 0)).astype(np.int64)
    index = (histogram.cumsum(axis=1) > rank[:, None]).argmax(axis=1)
    return np.where(counts >= BONE_REFERENCE_MIN_FRAMES, (index + 0.5) * BONE_BIN_M, np.nan)


def _ratios(lengths: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(F,) mean over the bones known in both of min(length / reference, 1); NaN when none is.
    reference: (B,) or (F, B)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.minimum(lengths / reference, 1.0)
    known = np.isfinite(ratio)
    count = known.sum(axis=1)
    total = np.zeros(ratio.shape[0])
    for bone in range(ratio.shape[1]):  # bone by bone: the same sums for one frame as for a stack
        total += np.where(known[:, bone], ratio[:, bone], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


class SkeletonReference:
    """One person's own bone lengths so far, and how far each new frame's skeleton has shrunk from them.
    Fed frame by frame (the live path); `skeleton_ratios` gives the batch path the same numbers.
    """

    def __init__(self) -> None:
        self._histogram = np.zeros((len(BONES), BONE_BINS), dtype=np.int32)
        self._pending: list[np.ndarray] = []
        self._reference = np.full(len(BONES), np.nan)
        self._frames = 0

    def feed(self, world_frame: np.ndarray | None) -> float:
        """The frame's mean bone ratio to the reference (each capped at 1), NaN when it cannot be told."""
        if _reference_update_at(self._frames) and self._pending:
            _add_to_histogram(self._histogram, np.stack(self._pending))
            self._pending.clear()
            self._reference = _reference_lengths(self._histogram)
        lengths = np.full(len(BONES), np.nan) if world_frame is None else bone_lengths_m(world_frame)
        self._pending.append(lengths)
        self._frames += 1
        return float(_ratios(lengths[None], self._reference)[0])


def skeleton_ratios(world: np.ndarray | None, frames: int) -> np.ndarray:
    """(F,) each frame's mean bone ratio to the person's reference so far (NaN = not known)."""
    if world is None:
        return np.full(frames, np.nan)
    lengths = bone_lengths_m(world)
    histogram = np.zeros((len(BONES), BONE_BINS), dtype=np.int32)
    reference = np.full((frames, len(BONES)), np.nan)  # each frame's reference: its block's
    bounds = [0, *np.flatnonzero(_reference_update_at(np.arange(frames))), frames]
    # the lengths of frames before..start make the reference of frames start..end
    for before, start, end in zip(bounds, bounds[1:], bounds[2:], strict=False):
        _add_to_histogram(histogram, lengths[before:start])
        reference[start:end] = _reference_lengths(histogram)
    return _ratios(lengths, reference)


def skeleton_collapsed(ratios: np.ndarray, min_ratio: float = MIN_BONE_RATIO) -> np.ndarray:
    """(F,) bool: the pose's skeleton shrank well below the person's own: a pose spread over two bodies."""
    with np.errstate(invalid="ignore"):
        return np.asarray(ratios, dtype=np.float64) < min_ratio
