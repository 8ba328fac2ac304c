"""Who is the client when posture cannot tell: the person whose body makes the stretch's main angle.

In a standing backbend both people stand, in a straddle fold both sit; vision.roles then falls back to
"the one leaning more", and a partner bracing against the client's weight leans too. The stretch itself
knows better: its main angle (the client's backbend, forward fold, ...) is measured on the client, so the
assignment under which that angle goes deeper is the right one.
"""

from __future__ import annotations

import warnings

import numpy as np

from stretches.catalog import Stretch
from vision.roles import TieBreaker

MAIN_ANGLE_PERCENTILE = 75  # the depth the stretch reaches, not its resting start
PLAUSIBLE_ANGLE_DEG = 90.0  # larger magnitudes come from flipped or merged landmarks, not from a body
MIN_MARGIN_DEG = 3.0  # a smaller difference between the two assignments decides nothing
FRAME_MS = 33  # landmarks alone carry no clock; the angle does not depend on it


def main_angle_tie_breaker(stretch: Stretch, image_size: tuple[int, int]) -> TieBreaker | None:
    """A vision.roles tie-breaker for this stretch, or None when it has no main angle."""
    if stretch.main_angle is None:
        return None

    def client_index(landmarks: np.ndarray) -> int | None:
        if landmarks.ndim != 4 or landmarks.shape[1] < 2:
            return None
        depths = [_main_angle_depth(stretch, landmarks, {"client": p, "partner": 1 - p}, image_size)
                  for p in (0, 1)]
        if not all(np.isfinite(depths)) or abs(depths[0] - depths[1]) < MIN_MARGIN_DEG:
            return None
        return int(np.argmax(depths))

    return client_index


def _main_angle_depth(stretch: Stretch, landmarks: np.ndarray, roles: dict[str, int],
                      image_size: tuple[int, int]) -> float:
    from stretches import metrics as m

    t_ms = np.arange(landmarks.shape[0], dtype=np.int64) * FRAME_MS
    frames = m.pose_frames(t_ms, landmarks, None, roles, image_size)
    angle = np.asarray(m.angle_cached(frames, stretch.main_angle), dtype=np.float64)
    angle = np.where(np.abs(angle) <= PLAUSIBLE_ANGLE_DEG, angle, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanpercentile(angle, MAIN_ANGLE_PERCENTILE)) if np.isfinite(angle).any() else np.nan


def stretch_roles(stretch: Stretch, landmarks: np.ndarray, image_size: tuple[int, int],
                  client: str | int | None = None) -> dict[str, int]:
    """{"client": p, "partner": q} for this stretch: override > posture > main angle > lean.

    The one place the app, `analyze`, the engine and the annotated video decide roles, so they agree.
    Raises ValueError for an override that does not fit the track (see vision.roles.resolve_roles).
    """
    from vision.roles import resolve_roles

    return resolve_roles(landmarks, stretch.client_posture, stretch.partner_posture, image_size=image_size,
                         client=client, tie_breaker=main_angle_tie_breaker(stretch, image_size))
