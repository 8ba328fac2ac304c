"""Client / partner assignment from posture.

POSTURES is the vocabulary the stretch catalog uses to say how each role is placed. Each person gets a score
in [0, 1] per posture, averaged over the frames where they are visible, from image-plane geometry of a side
view: how far the trunk is from vertical, whether the thighs hang or lie, how high the hips are above the
ankles, whether the knees are on the floor, and whether the face points up. The roles are the assignment
with the best summed score (client posture for one person, partner posture for the other).

Tie-breaks, when both people score alike (both seated in straddle_fold, both standing in standing_backbend):
a `tie_breaker` from the caller first (stretches.roles: the person whose body makes the stretch's main
angle), else the person whose trunk is further from vertical on average — the one folding forward or
leaning back, which is what the stretch does to the client, but a partner bracing leans too. With nobody
scoring at all, person 0 is the client. A manual override (`resolve_roles(..., client="left")`) always
wins.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vision.landmarks import Landmark as L

POSTURES = ("standing", "seated", "kneeling", "supine", "prone")
TIE_MARGIN = 0.05  # summed-score difference below which the two assignments count as a tie
MIN_VISIBILITY = 0.5

# landmarks (F, P, 33, 4) → the client's person index, or None when it cannot tell
TieBreaker = Callable[[np.ndarray], "int | None"]


def assign_roles(
    landmarks: np.ndarray,
    client_posture: str,
    partner_posture: str,
    image_size: tuple[int, int] | None = None,
    tie_breaker: TieBreaker | None = None,
) -> dict[str, int]:
    """{"client": p, "partner": q} for landmarks float32 (F, P, 33, 4).

    image_size (width, height) makes angles exact for non-square frames; without it pixels are taken as
    square in normalised units, which is coarser but still separates lying from upright. When the postures
    do not tell the two apart (both standing in a standing backbend), tie_breaker(landmarks) names the
    client if it can (the stretch knows who is being stretched), else the one leaning more is the client.
    """
    for posture in (client_posture, partner_posture):
        if posture not in POSTURES:
            raise ValueError(f"unknown posture {posture!r}; expected one of {', '.join(POSTURES)}")
    people = landmarks.shape[1]
    if people < 2:
        return {"client": 0, "partner": 0}
    scores = posture_scores(landmarks, image_size)  # (P, len(POSTURES))
    client_column, partner_column = POSTURES.index(client_posture), POSTURES.index(partner_posture)
    straight = scores[0, client_column] + scores[1, partner_column]
    swapped = scores[1, client_column] + scores[0, partner_column]
    tie = abs(straight - swapped) <= TIE_MARGIN
    decided = tie_breaker(landmarks) if tie and tie_breaker is not None else None
    if not tie:
        client = 0 if straight > swapped else 1
    elif decided is not None:
        client = int(decided)
    else:
        lean = mean_trunk_angle_deg(landmarks, image_size)
        lean = np.nan_to_num(lean, nan=-1.0)
        client = int(np.argmax(lean[:2])) if lean[0] != lean[1] else 0
    return {"client": client, "partner": 1 - client}


def resolve_roles(
    landmarks: np.ndarray,
    client_posture: str,
    partner_posture: str,
    image_size: tuple[int, int] | None = None,
    client: str | int | None = None,
    tie_breaker: TieBreaker | None = None,
) -> dict[str, int]:
    """Roles from posture, or from a manual override: client = "left" | "right" | 0 | 1 (or "0" / "1")."""
    if client is None:
        return assign_roles(landmarks, client_posture, partner_posture, image_size, tie_breaker)
    people = landmarks.shape[1]
    text = str(client).strip().lower()
    if text in {"0", "1"}:
        index = int(text)
        if index >= people:
            raise ValueError(f"--client {index}: the track has only {people} person(s)")
    elif text in {"left", "right"}:
        centre_x = np.nanmean(landmarks[..., :2][..., 0], axis=(0, 2))  # (P,)
        if np.isnan(centre_x).any():
            raise ValueError(f"--client {text}: both people must be seen to tell left from right")
        index = int(np.argmin(centre_x) if text == "left" else np.argmax(centre_x))
    else:
        raise ValueError(f"--client must be left, right, 0 or 1, got {client!r}")
    return {"client": index, "partner": 1 - index if people > 1 else index}


def _ramp(value: np.ndarray, low: float, high: float) -> np.ndarray:
    """0 below `low`, 1 above `high`, linear between (decreasing when low > high)."""
    return np.clip((value - low) / (high - low), 0.0, 1.0)


def _mid(points: np.ndarray, a: int, b: int) -> np.ndarray:
    return (points[..., a, :] + points[..., b, :]) / 2.0


def _angle_from_vertical_deg(vector: np.ndarray) -> np.ndarray:
    """Unsigned angle between an image vector (x right, y down) and the vertical axis, 0..90."""
    return np.degrees(np.arctan2(np.abs(vector[..., 0]), np.abs(vector[..., 1])))


def _pixels(landmarks: np.ndarray, image_size: tuple[int, int] | None) -> tuple[np.ndarray, np.ndarray]:
    xy = landmarks[..., :2].astype(np.float64)
    if image_size is not None:
        xy = xy * np.asarray(image_size, dtype=np.float64)
    visible = np.nan_to_num(landmarks[..., 3], nan=0.0) >= MIN_VISIBILITY
    xy = np.where(visible[..., None], xy, np.nan)
    return xy, visible


def mean_trunk_angle_deg(landmarks: np.ndarray, image_size: tuple[int, int] | None = None) -> np.ndarray:
    """(P,) mean angle of mid-hip → mid-shoulder from vertical over the frames where it is visible."""
    xy, _ = _pixels(landmarks, image_size)
    trunk = _mid(xy, L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - _mid(xy, L.LEFT_HIP, L.RIGHT_HIP)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(_angle_from_vertical_deg(trunk), axis=0)


def posture_scores_per_frame(landmarks: np.ndarray, image_size: tuple[int, int] | None = None) -> np.ndarray:
    """(F, P, len(POSTURES)) scores in [0, 1]; NaN where the needed joints are not visible."""
    xy, _ = _pixels(landmarks, image_size)
    shoulder = _mid(xy, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    hip = _mid(xy, L.LEFT_HIP, L.RIGHT_HIP)
    knee = _mid(xy, L.LEFT_KNEE, L.RIGHT_KNEE)
    ankle = _mid(xy, L.LEFT_ANKLE, L.RIGHT_ANKLE)
    nose = xy[..., L.NOSE, :]
    with np.errstate(all="ignore"):
        trunk_len = np.linalg.norm(shoulder - hip, axis=-1)
        leg_len = np.linalg.norm(hip - knee, axis=-1) + np.linalg.norm(knee - ankle, axis=-1)
        trunk_deg = _angle_from_vertical_deg(shoulder - hip)
        thigh_deg = _angle_from_vertical_deg(knee - hip)
        shin_deg = _angle_from_vertical_deg(ankle - knee)
        hip_height = (ankle[..., 1] - hip[..., 1]) / leg_len  # > 0: hips above the ankles (y grows down)
        knee_height = (ankle[..., 1] - knee[..., 1]) / leg_len
        # face up: the nose sits above the shoulder, by a fraction of the trunk length
        nose_up = (shoulder[..., 1] - nose[..., 1]) / trunk_len

    upright = _ramp(trunk_deg, 45, 25)
    lying = _ramp(trunk_deg, 45, 65)
    standing = upright * _ramp(thigh_deg, 40, 20) * _ramp(hip_height, 0.5, 0.75)
    standing = standing * _ramp(knee_height, 0.2, 0.35)  # knees off the floor
    seated = (1 - lying) * _ramp(thigh_deg, 35, 60) * _ramp(hip_height, 0.45, 0.2)
    seated = seated * _ramp(knee_height, 0.45, 0.1)
    kneeling = (1 - lying * _ramp(thigh_deg, 45, 70)) * _ramp(knee_height, 0.25, 0.05)
    kneeling = kneeling * _ramp(shin_deg, 40, 65)
    kneeling = kneeling * _ramp(thigh_deg, 80, 60)  # a kneeling person's thighs are not flat on the floor
    supine = lying * _ramp(nose_up, 0.06, 0.16)
    prone = lying * _ramp(nose_up, 0.06, -0.02)
    scores = np.stack([standing, seated, kneeling, supine, prone], axis=-1)
    missing = np.isnan(trunk_deg)
    scores = np.where(missing[..., None], np.nan, scores)
    return scores


def posture_scores(landmarks: np.ndarray, image_size: tuple[int, int] | None = None) -> np.ndarray:
    """(P, len(POSTURES)): per-frame scores averaged over the frames each person is visible (0 if never);
    joints that are hidden count as 0.5, i.e. undecided."""
    per_frame = posture_scores_per_frame(landmarks, image_size)
    trunk_seen = ~np.isnan(per_frame).all(axis=-1)  # (F, P)
    filled = np.where(np.isnan(per_frame) & trunk_seen[..., None], 0.5, per_frame)
    counts = trunk_seen.sum(axis=0)  # (P,)
    totals = np.nansum(np.where(trunk_seen[..., None], filled, 0.0), axis=0)
    return np.where(counts[:, None] > 0, totals / np.maximum(counts[:, None], 1), 0.0)
