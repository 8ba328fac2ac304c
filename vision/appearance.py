"""What a person's torso looks like: the cue that tells two people apart when their skeletons overlap.

Landmark distance alone cannot say which of two people in contact a pose belongs to: a pose on the client's
legs and the partner's arms lies about as near to either. Their clothes usually differ, and a torso's
colour comes from one body. Colours are CIE Lab (OpenCV's 8-bit scale, so distances are in those units):
unlike RGB, a distance there follows how different two colours look, and lighting moves mostly L.
"""

from __future__ import annotations

import numpy as np

from vision.landmarks import Landmark

_TORSO_CORNERS = (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP, Landmark.LEFT_HIP)


def torso_colour_lab(image_rgb: np.ndarray, landmarks: np.ndarray, shrink: float = 0.3,
                     min_pixels: int = 10) -> np.ndarray | None:
    """Median Lab colour inside a pose's torso (its (33, ≥2) normalised landmarks: shoulders and hips,
    shrunk by `shrink` toward the centre so the arms and the background stay out); None when too few
    pixels. The median, so a hand laid on the torso does not shift it."""
    import cv2

    height, width = image_rgb.shape[:2]
    corners = landmarks[list(_TORSO_CORNERS), :2] * np.array([width, height], dtype=np.float32)
    if not np.isfinite(corners).all():
        return None
    centre = corners.mean(axis=0)
    corners = centre + (corners - centre) * (1.0 - shrink)
    x0, y0 = np.clip(np.floor(corners.min(axis=0)).astype(int), 0, [width - 1, height - 1])
    x1, y1 = np.clip(np.ceil(corners.max(axis=0)).astype(int) + 1, 1, [width, height])
    if x1 <= x0 or y1 <= y0:
        return None
    inside = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    cv2.fillConvexPoly(inside, (corners - [x0, y0]).round().astype(np.int32), 1)
    pixels = cv2.cvtColor(np.ascontiguousarray(image_rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2LAB)[inside > 0]
    if len(pixels) < min_pixels:
        return None
    return np.median(pixels.astype(np.float32), axis=0)


def colours_differ(colour_a: np.ndarray | None, colour_b: np.ndarray | None, min_distance: float) -> bool:
    """Whether two torso colours are clearly different; False when either is unknown."""
    return (colour_a is not None and colour_b is not None
            and float(np.linalg.norm(colour_a - colour_b)) > min_distance)


def likeness_to_other(colour: np.ndarray | None, own: np.ndarray | None, other: np.ndarray | None,
                      min_separation: float) -> float:
    """How much a torso colour looks like the *other* person's rather than this person's: 0 when it is
    nearer this person's remembered colour, rising to 1 when it is the other's (the excess distance to this
    person over the distance between the two people). 0 when anything is unknown or the two people dress
    too alike (closer than `min_separation`) for colour to tell them apart."""
    if colour is None or own is None or other is None or not np.isfinite(colour).all():
        return 0.0
    separation = float(np.linalg.norm(own - other))
    if separation < min_separation:
        return 0.0
    excess = float(np.linalg.norm(colour - own) - np.linalg.norm(colour - other))
    return float(np.clip(excess / separation, 0.0, 1.0))
