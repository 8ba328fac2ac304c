"""Roles when posture cannot tell the two apart: the stretch's main angle names the client."""

from __future__ import annotations

import numpy as np

from stretches.catalog import get_stretch
from stretches.roles import stretch_roles
from vision.roles import assign_roles

IMAGE_SIZE = (640, 480)
FRAMES = 30


def _standing_pair(stick_figure, client_lean_back_deg: float, partner_lean_forward_deg: float) -> np.ndarray:
    """Person 0 leans back (the client in a backbend), person 1 behind them leans forward to brace."""
    client = stick_figure("standing", x=0.45, facing=1, lean_deg=-client_lean_back_deg)
    partner = stick_figure("standing", x=0.62, facing=1, lean_deg=partner_lean_forward_deg)
    return np.repeat(np.stack([client, partner])[None], FRAMES, axis=0).astype(np.float32)


def test_a_bracing_partner_leaning_more_is_not_taken_for_the_backbending_client(figure):
    landmarks = _standing_pair(figure, client_lean_back_deg=15.0, partner_lean_forward_deg=25.0)
    stretch = get_stretch("standing_backbend")
    # posture alone ties (both stand) and the lean fallback picks whoever leans more: the partner
    assert assign_roles(landmarks, "standing", "standing", IMAGE_SIZE)["client"] == 1
    assert stretch_roles(stretch, landmarks, IMAGE_SIZE) == {"client": 0, "partner": 1}
    swapped = landmarks[:, ::-1]
    assert stretch_roles(stretch, swapped, IMAGE_SIZE) == {"client": 1, "partner": 0}


def test_the_override_still_wins(figure):
    landmarks = _standing_pair(figure, client_lean_back_deg=15.0, partner_lean_forward_deg=25.0)
    roles = stretch_roles(get_stretch("standing_backbend"), landmarks, IMAGE_SIZE, client="1")
    assert roles == {"client": 1, "partner": 0}
