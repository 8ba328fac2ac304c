"""The choreography of every stretch in the spec, by stretch id (spec order)."""

from __future__ import annotations

from stretches.synthetic.choreography import StretchMotion
from stretches.synthetic.poses_floor import (
    PRONE_QUAD,
    SUPINE_FIGURE_FOUR,
    SUPINE_HAMSTRING,
    SUPINE_THORACIC_ROTATION,
    SUPINE_TWIST,
)
from stretches.synthetic.poses_upright import (
    BUTTERFLY,
    CHILDS_POSE,
    SEATED_FORWARD_FOLD,
    SEATED_THORACIC_EXTENSION,
    STANDING_BACKBEND,
    STRADDLE_FOLD,
)

MOTIONS: dict[str, StretchMotion] = {
    m.stretch_id: m
    for m in (
        SEATED_THORACIC_EXTENSION,
        SUPINE_THORACIC_ROTATION,
        SEATED_FORWARD_FOLD,
        STANDING_BACKBEND,
        CHILDS_POSE,
        STRADDLE_FOLD,
        BUTTERFLY,
        SUPINE_HAMSTRING,
        SUPINE_FIGURE_FOUR,
        PRONE_QUAD,
        SUPINE_TWIST,
    )
}

# Stretches done once per side (the motions are drawn for the right side and mirrored for the left).
PER_SIDE = frozenset({"supine_thoracic_rotation", "supine_hamstring", "supine_figure_four", "prone_quad",
                      "supine_twist"})

# (client posture, partner posture), matching the catalog's vision.roles.POSTURES words.
POSTURES: dict[str, tuple[str, str]] = {
    "seated_thoracic_extension": ("seated", "kneeling"),
    "supine_thoracic_rotation": ("supine", "kneeling"),
    "seated_forward_fold": ("seated", "seated"),
    "standing_backbend": ("standing", "standing"),
    "childs_pose": ("kneeling", "standing"),
    "straddle_fold": ("seated", "seated"),
    "butterfly": ("seated", "standing"),
    "supine_hamstring": ("supine", "kneeling"),
    "supine_figure_four": ("supine", "standing"),
    "prone_quad": ("prone", "kneeling"),
    "supine_twist": ("supine", "kneeling"),
}
