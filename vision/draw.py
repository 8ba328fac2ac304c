"""Overlays on a frame: both skeletons coloured by role, warning banners and the hold timer.

Used by the annotated video (stretches/session.py) and the live view, so both look the same. Drawing happens
in place on the given BGR frame (it is also returned) because copying a frame costs more than drawing on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from vision.landmarks import SKELETON_EDGES

# Role colours, BGR for OpenCV and hex for the UI legend.
CLIENT_COLOR_BGR = (60, 180, 75)  # green
PARTNER_COLOR_BGR = (230, 130, 0)  # blue
UNASSIGNED_COLOR_BGR = (180, 180, 180)  # grey: a person whose role is not known
ROLE_COLORS_BGR = {"client": CLIENT_COLOR_BGR, "partner": PARTNER_COLOR_BGR}
SEVERITY_COLORS_BGR = {"warning": (40, 40, 220), "caution": (0, 160, 240), "info": (90, 90, 90)}


def bgr_to_hex(color_bgr: tuple[int, int, int]) -> str:
    blue, green, red = color_bgr
    return f"#{red:02x}{green:02x}{blue:02x}"


CLIENT_COLOR_HEX = bgr_to_hex(CLIENT_COLOR_BGR)
PARTNER_COLOR_HEX = bgr_to_hex(PARTNER_COLOR_BGR)
ROLE_COLORS_HEX = {"client": CLIENT_COLOR_HEX, "partner": PARTNER_COLOR_HEX}

MIN_DRAW_VISIBILITY = 0.5
_ASCII_REPLACEMENTS = {"°": " deg", "—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "...",
                       "×": "x", "≥": ">=", "≤": "<="}


@dataclass(frozen=True)
class Banner:
    text: str
    severity: str = "warning"  # "warning" | "caution" | "info"


@dataclass(frozen=True)
class HoldDisplay:
    elapsed_s: float
    target_s: float | tuple[float, float] | None  # a target, a (min, max) range, or None (no target)
    side: str | None = None  # "left" / "right" for per-side stretches


def draw_overlay(
    frame_bgr: np.ndarray,
    landmarks: np.ndarray,
    roles: dict[str, int] | None = None,
    banners: Sequence[Banner] = (),
    hold: HoldDisplay | None = None,
    min_visibility: float = MIN_DRAW_VISIBILITY,
) -> np.ndarray:
    """Draw skeletons of landmarks (P, 33, 4) (normalised x, y; NaN = absent), banners and the hold timer."""
    if not frame_bgr.flags.writeable:  # e.g. a read-only frame from a video library
        frame_bgr = frame_bgr.copy()
    role_of = {index: role for role, index in (roles or {}).items()}
    for person in range(landmarks.shape[0]):
        role = role_of.get(person)
        draw_skeleton(frame_bgr, landmarks[person], ROLE_COLORS_BGR.get(role, UNASSIGNED_COLOR_BGR),
                      label=role, min_visibility=min_visibility)
    draw_banners(frame_bgr, banners)
    if hold is not None:
        draw_hold(frame_bgr, hold)
    return frame_bgr


def draw_skeleton(frame_bgr: np.ndarray, person: np.ndarray, color_bgr: tuple[int, int, int],
                  label: str | None = None, min_visibility: float = MIN_DRAW_VISIBILITY) -> None:
    if np.isnan(person[:, 0]).all():
        return
    height, width = frame_bgr.shape[:2]
    scale = _scale(frame_bgr)
    thickness = max(2, round(3 * scale))
    points = np.nan_to_num(person[:, :2] * (width, height), nan=-1e4).round().astype(np.int32)
    visible = np.nan_to_num(person[:, 3], nan=0.0) >= min_visibility
    for start, end in SKELETON_EDGES:
        if visible[start] and visible[end]:
            cv2.line(frame_bgr, tuple(points[start]), tuple(points[end]), color_bgr, thickness, cv2.LINE_AA)
    radius = max(2, round(4 * scale))
    for index in np.flatnonzero(visible[11:]) + 11:  # body joints; the face is too busy to mark
        cv2.circle(frame_bgr, tuple(points[index]), radius, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.circle(frame_bgr, tuple(points[index]), radius, color_bgr, 1, cv2.LINE_AA)
    if label and visible[:13].any():
        head = points[:13][visible[:13]]
        x, y = int(head[:, 0].min()), int(head[:, 1].min()) - round(12 * scale)
        _text(frame_bgr, label, (x, max(y, round(20 * scale))), color_bgr, scale)


def draw_banners(frame_bgr: np.ndarray, banners: Sequence[Banner]) -> None:
    scale = _scale(frame_bgr)
    line_height = round(34 * scale)
    width = frame_bgr.shape[1]
    for row, banner in enumerate(banners):
        top = row * line_height
        color = SEVERITY_COLORS_BGR.get(banner.severity, SEVERITY_COLORS_BGR["warning"])
        cv2.rectangle(frame_bgr, (0, top), (width, top + line_height - 2), color, -1)
        _text(frame_bgr, _ascii(banner.text), (round(10 * scale), top + round(24 * scale)),
              (255, 255, 255), scale, outline=False)


def draw_hold(frame_bgr: np.ndarray, hold: HoldDisplay) -> None:
    height, width = frame_bgr.shape[:2]
    scale = _scale(frame_bgr)
    low, high = _target_range(hold.target_s)
    bar_w, bar_h = round(width * 0.4), round(16 * scale)
    x0, y0 = round(10 * scale), height - round(14 * scale) - bar_h
    fraction = float(np.clip(hold.elapsed_s / high, 0.0, 1.0)) if high > 0 else 0.0
    done = high > 0 and hold.elapsed_s >= low
    cv2.rectangle(frame_bgr, (x0, y0), (x0 + bar_w, y0 + bar_h), (40, 40, 40), -1)
    cv2.rectangle(frame_bgr, (x0, y0), (x0 + round(bar_w * fraction), y0 + bar_h),
                  (60, 180, 75) if done else (0, 200, 255), -1)
    target = f"{low:g}" if low == high else f"{low:g}-{high:g}"
    target = target if high > 0 else "-"
    side = f" ({hold.side})" if hold.side else ""
    _text(frame_bgr, f"hold {hold.elapsed_s:4.1f} / {target} s{side}", (x0, y0 - round(8 * scale)),
          (255, 255, 255), scale)


def _target_range(target_s: float | Sequence[float] | None) -> tuple[float, float]:
    if target_s is None:
        return 0.0, 0.0
    if isinstance(target_s, int | float):
        return float(target_s), float(target_s)
    values = [float(v) for v in target_s]
    return (min(values), max(values)) if values else (0.0, 0.0)


def _scale(frame_bgr: np.ndarray) -> float:
    return max(min(frame_bgr.shape[:2]) / 480.0, 0.6)


def _ascii(text: str) -> str:
    for old, new in _ASCII_REPLACEMENTS.items():
        text = text.replace(old, new)
    return text.encode("ascii", "replace").decode("ascii")


def _text(frame_bgr: np.ndarray, text: str, origin: tuple[int, int], color_bgr: tuple[int, int, int],
          scale: float, outline: bool = True) -> None:
    font_scale = 0.6 * scale
    thickness = max(1, round(1.5 * scale))
    if outline:
        cv2.putText(frame_bgr, text, origin, cv2.FONT_HERSHEY_SIMPLEX, font_scale, (0, 0, 0), thickness + 2,
                    cv2.LINE_AA)
    cv2.putText(frame_bgr, text, origin, cv2.FONT_HERSHEY_SIMPLEX, font_scale, color_bgr, thickness,
                cv2.LINE_AA)
