"""Client / partner assignment from posture (owned by the pipeline work; this is the agreed interface).

POSTURES is the vocabulary the stretch catalog uses to say how each role is placed.
"""

from __future__ import annotations

import numpy as np

POSTURES = ("standing", "seated", "kneeling", "supine", "prone")


def assign_roles(landmarks: np.ndarray, client_posture: str, partner_posture: str) -> dict[str, int]:
    """{"client": p, "partner": q} for landmarks float32 (F, P, 33, 4)."""
    raise NotImplementedError
