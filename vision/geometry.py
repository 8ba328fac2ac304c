"""Pure numpy geometry on landmarks, vectorised over any leading axes and NaN-propagating.

Points are arrays whose last axis holds the coordinates (2 for image points, 3 for world points). Every
function broadcasts over the leading axes (frames, people, ...) and returns NaN wherever an input is NaN,
so a hidden landmark can never turn into a plausible-looking number.

Image landmarks are normalised separately by width and height, so an angle or a distance measured on raw
normalised coordinates is skewed by the aspect ratio; `to_pixels` undoes that before measuring.
Image y grows downwards; `angle_from_vertical` and `up_vector` follow that convention.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-12


def to_pixels(xy_norm: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """Normalised image (x, y) → pixel (x, y), so x and y share one unit for distances and angles."""
    width, height = image_size
    scale = np.array([float(width), float(height)])
    return np.asarray(xy_norm, dtype=float)[..., :2] * scale


def midpoint(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (np.asarray(a, dtype=float) + np.asarray(b, dtype=float)) / 2.0


def mean_of_visible(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mid-point of a left/right pair of (..., D) points, or the visible one alone (NaN = hidden): side views
    often hide the far side."""
    both = np.stack([np.asarray(a, dtype=float), np.asarray(b, dtype=float)])
    valid = np.isfinite(both).all(axis=-1, keepdims=True)
    count = valid.sum(axis=0)
    total = np.where(valid, both, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance over the last axis."""
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return np.sqrt(np.sum(diff * diff, axis=-1))


def norm(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return np.sqrt(np.sum(v * v, axis=-1))


def angle_between(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Unsigned angle between two vectors in degrees, in [0, 180]; NaN for a zero-length vector."""
    u = np.asarray(u, dtype=float)
    v = np.asarray(v, dtype=float)
    nu = norm(u)
    nv = norm(v)
    denom = nu * nv
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(u * v, axis=-1) / denom
    cos = np.where(denom > _EPS, cos, np.nan)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def joint_angle(a: np.ndarray, joint: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle at `joint` between the segments to `a` and to `c`, degrees: 180 = straight limb."""
    joint = np.asarray(joint, dtype=float)
    return angle_between(np.asarray(a, dtype=float) - joint, np.asarray(c, dtype=float) - joint)


def signed_angle_2d(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Signed angle from u to v in degrees, (-180, 180], positive counter-clockwise in x-right/y-up axes.

    In image coordinates (y down) positive therefore means clockwise on screen.
    """
    u = np.asarray(u, dtype=float)
    v = np.asarray(v, dtype=float)
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    dot = u[..., 0] * v[..., 0] + u[..., 1] * v[..., 1]
    degenerate = (norm(u[..., :2]) < _EPS) | (norm(v[..., :2]) < _EPS)
    return np.where(degenerate, np.nan, np.degrees(np.arctan2(cross, dot)))


def angle_from_vertical(v_image: np.ndarray) -> np.ndarray:
    """Signed angle in degrees between an image-plane vector and image "up" (0, -1).

    0 = pointing straight up, +90 = pointing right (+x), -90 = pointing left, ±180 = straight down.
    """
    v = np.asarray(v_image, dtype=float)
    degenerate = norm(v[..., :2]) < _EPS
    return np.where(degenerate, np.nan, np.degrees(np.arctan2(v[..., 0], -v[..., 1])))


def angle_from_horizontal(v_image: np.ndarray) -> np.ndarray:
    """Unsigned angle in degrees, [0, 90], between an image-plane vector's line and the horizontal."""
    v = np.asarray(v_image, dtype=float)
    degenerate = norm(v[..., :2]) < _EPS
    angle = np.degrees(np.arctan2(np.abs(v[..., 1]), np.abs(v[..., 0])))
    return np.where(degenerate, np.nan, angle)


def trunk_length(
    left_shoulder: np.ndarray, right_shoulder: np.ndarray, left_hip: np.ndarray, right_hip: np.ndarray
) -> np.ndarray:
    """Mid-hip → mid-shoulder distance: the body-size unit ("trunk") every distance check is expressed in."""
    return distance(midpoint(left_shoulder, right_shoulder), midpoint(left_hip, right_hip))


def in_trunks(length: np.ndarray, trunk: np.ndarray) -> np.ndarray:
    """A length divided by trunk length, NaN where the trunk is NaN or degenerate."""
    trunk = np.asarray(trunk, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(trunk > _EPS, np.asarray(length, dtype=float) / trunk, np.nan)


def point_to_segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from point p to the segment a–b (the nearest end point when the projection falls outside)."""
    p = np.asarray(p, dtype=float)
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    ab = b - a
    length_sq = np.sum(ab * ab, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.sum((p - a) * ab, axis=-1) / length_sq
    t = np.where(length_sq > _EPS, np.clip(t, 0.0, 1.0), 0.0)
    nearest = a + t[..., None] * ab
    return distance(p, nearest)


def signed_distance_to_line(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Signed 2-D distance from p to the infinite line a→b; positive on its left in x-right/y-up axes."""
    p = np.asarray(p, dtype=float)
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    ab = b - a
    ap = p - a
    cross = ab[..., 0] * ap[..., 1] - ab[..., 1] * ap[..., 0]
    length = norm(ab[..., :2])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(length > _EPS, cross / length, np.nan)


def nan_min(*arrays: np.ndarray) -> np.ndarray:
    """Element-wise minimum that ignores NaN inputs, NaN only where every input is NaN."""
    stacked = np.stack([np.asarray(a, dtype=float) for a in arrays])
    all_nan = np.all(np.isnan(stacked), axis=0)
    filled = np.where(np.isnan(stacked), np.inf, stacked)
    return np.where(all_nan, np.nan, np.min(filled, axis=0))


def nan_max(*arrays: np.ndarray) -> np.ndarray:
    """Element-wise maximum that ignores NaN inputs, NaN only where every input is NaN."""
    stacked = np.stack([np.asarray(a, dtype=float) for a in arrays])
    all_nan = np.all(np.isnan(stacked), axis=0)
    filled = np.where(np.isnan(stacked), -np.inf, stacked)
    return np.where(all_nan, np.nan, np.max(filled, axis=0))


def wrap_deg(angle: np.ndarray) -> np.ndarray:
    """Wrap degrees into (-180, 180]."""
    angle = np.asarray(angle, dtype=float)
    return 180.0 - np.mod(180.0 - angle, 360.0)
