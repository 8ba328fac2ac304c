"""Overlays: skeleton colours by role, nothing for absent or hidden people, banners and the hold timer."""

from __future__ import annotations

import numpy as np
import pytest

from vision.draw import (
    CLIENT_COLOR_BGR,
    CLIENT_COLOR_HEX,
    PARTNER_COLOR_BGR,
    SEVERITY_COLORS_BGR,
    Banner,
    HoldDisplay,
    draw_overlay,
)
from vision.landmarks import Landmark


def _blank(height=480, width=640):
    return np.zeros((height, width, 3), dtype=np.uint8)


def _count(frame, color, tolerance=40):
    return int((np.abs(frame.astype(int) - np.array(color)).sum(axis=-1) < tolerance).sum())


def _pixel_near(frame, landmarks, index, color, radius=4):
    height, width = frame.shape[:2]
    x, y = (landmarks[index, :2] * (width, height)).round().astype(int)
    patch = frame[max(y - radius, 0):y + radius + 1, max(x - radius, 0):x + radius + 1]
    return _count(patch, color) > 0


def test_skeletons_are_coloured_by_role(figure):
    client, partner = figure("supine", x=0.3), figure("standing", x=0.75)
    frame = draw_overlay(_blank(), np.stack([partner, client]), {"client": 1, "partner": 0})
    hip_to_knee = (client[Landmark.LEFT_HIP] + client[Landmark.LEFT_KNEE]) / 2
    assert _pixel_near(frame, hip_to_knee[None], 0, CLIENT_COLOR_BGR)
    shin = (partner[Landmark.LEFT_KNEE] + partner[Landmark.LEFT_ANKLE]) / 2
    assert _pixel_near(frame, shin[None], 0, PARTNER_COLOR_BGR)
    assert not _pixel_near(frame, shin[None], 0, CLIENT_COLOR_BGR)


def test_absent_and_hidden_people_draw_nothing(figure):
    absent = np.full((33, 4), np.nan, dtype=np.float32)
    hidden = figure("standing", visibility=0.1)
    frame = draw_overlay(_blank(), np.stack([absent, hidden]), {"client": 0, "partner": 1})
    assert frame.max() == 0


def test_draws_in_place_and_returns_the_frame(figure):
    frame = _blank()
    out = draw_overlay(frame, figure("standing")[None], None)
    assert out is frame and frame.max() > 0  # unassigned people are still drawn (grey)


@pytest.mark.parametrize("severity", ["warning", "caution"])
def test_banner_fills_the_top_with_its_severity_colour(severity):
    frame = draw_overlay(_blank(), np.full((2, 33, 4), np.nan, np.float32), None,
                         banners=[Banner("Keep the shoulder down — 25° max", severity)])
    top = frame[:20]
    assert _count(top, SEVERITY_COLORS_BGR[severity], tolerance=10) > 0.5 * top.shape[0] * top.shape[1]
    assert frame[100:].max() == 0


def test_two_banners_stack():
    frame = draw_overlay(_blank(), np.full((2, 33, 4), np.nan, np.float32), None,
                         banners=[Banner("one"), Banner("two", "caution")])
    assert _count(frame[:34], SEVERITY_COLORS_BGR["warning"], 10) > 0
    assert _count(frame[34:68], SEVERITY_COLORS_BGR["caution"], 10) > 0


@pytest.mark.parametrize("elapsed_s, target_s", [(5.0, 30.0), (25.0, (20.0, 45.0))])
def test_hold_bar_grows_with_elapsed_time(elapsed_s, target_s):
    empty = draw_overlay(_blank(), np.full((2, 33, 4), np.nan, np.float32), None,
                         hold=HoldDisplay(0.0, target_s, "left"))
    filled = draw_overlay(_blank(), np.full((2, 33, 4), np.nan, np.float32), None,
                          hold=HoldDisplay(elapsed_s, target_s, "left"))
    bottom = slice(400, 480)
    done_or_running = [(60, 180, 75), (0, 200, 255)]
    grown = sum(_count(filled[bottom], c, 10) for c in done_or_running)
    start = sum(_count(empty[bottom], c, 10) for c in done_or_running)
    assert grown > start + 100


def test_legend_hex_matches_bgr():
    blue, green, red = CLIENT_COLOR_BGR
    assert f"#{red:02x}{green:02x}{blue:02x}" == CLIENT_COLOR_HEX


@pytest.mark.parametrize("target_s", [None, [20, 45], (30.0,), 30])
def test_hold_accepts_any_target_form(target_s):
    frame = draw_overlay(_blank(), np.full((2, 33, 4), np.nan, np.float32), None,
                         hold=HoldDisplay(12.0, target_s, None))
    assert frame[400:].max() > 0


def test_read_only_frames_are_copied_not_refused(figure):
    frame = _blank()
    frame.flags.writeable = False
    out = draw_overlay(frame, figure("standing")[None], {"client": 0})
    assert out.max() > 0 and frame.max() == 0
