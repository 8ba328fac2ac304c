"""Choreography of the seated, kneeling and standing stretches (client facing scene +x, camera on +z).

Each stage function poses the client from the cue, places them, then places the partner relative to the
client and moves the partner's hands onto the contact points the seed articles describe.
"""

from __future__ import annotations

import numpy as np

from stretches.synthetic.choreography import Cue, FaultSpec, Param, StretchMotion
from stretches.synthetic.skeleton import BodySize, body_pose
from stretches.synthetic.staging import (
    SUPPORTS_KNEELING,
    SUPPORTS_SEATED,
    SUPPORTS_STANDING,
    axis_of,
    cross_arms,
    on_body,
    place,
    reach,
)
from vision.landmarks import Landmark as L

MID_HIP = (L.LEFT_HIP, L.RIGHT_HIP)
MID_ANKLE = (L.LEFT_ANKLE, L.RIGHT_ANKLE)
MID_KNEE = (L.LEFT_KNEE, L.RIGHT_KNEE)


def _seated_long_legs(lean_back, thoracic_ext, neck_ext, knee_bend=4.0, legs_apart=6.0) -> dict:
    """Joint angles of a tall sit with the legs out in front; `lean_back` tips the pelvis back while the
    thighs stay on the floor (hip flexion opens by the same angle)."""
    return dict(
        yaw=90.0,
        pitch=6.0 - lean_back,
        thoracic=(-thoracic_ext, 0.0, 0.0),
        neck=(-0.85 * neck_ext, 0.0, 0.0),
        head=(-0.3 * neck_ext, 0.0, 0.0),
        hip_l=(96.0 - lean_back, legs_apart, 6.0),
        hip_r=(96.0 - lean_back, legs_apart, 6.0),
        knee_l=knee_bend,
        knee_r=knee_bend,
        ankle_l=5.0,
        ankle_r=5.0,
    )


# ---------------------------------------------------------------- seated thoracic extension (000 §1)


def stage_seated_thoracic_extension(cue: Cue, cb: BodySize, pb: BodySize) -> tuple[np.ndarray, np.ndarray]:
    f = cue.frames
    client = place(
        body_pose(f, **_seated_long_legs(cue["lean_back"], cue["thoracic_ext"], cue["neck_ext"])),
        cb,
        anchor=MID_HIP,
        anchor_xz=(0.0, 0.0),
        supports=SUPPORTS_SEATED,
    )
    cross_arms(client)
    # Partner kneels behind, sitting back on the heels, leaning in a little.
    lean = 14.0 + 10.0 * cue.contact
    sit = 150.0  # knee bend: shins flat on the floor, thighs folded back over them
    partner = place(
        body_pose(
            f, yaw=90.0, pitch=lean,
            hip_l=(lean + sit - 90.0, 10.0, 0.0), hip_r=(lean + sit - 90.0, 10.0, 0.0),
            knee_l=sit, knee_r=sit, ankle_l=-40.0, ankle_r=-40.0,
            shoulder_l=(20.0, 10.0, 0.0), shoulder_r=(20.0, 10.0, 0.0), elbow_l=30.0, elbow_r=30.0,
        ),
        pb,
        anchor=MID_KNEE,
        anchor_xz=(-0.2 * cb.height_m / 1.72, 0.0),
        supports=SUPPORTS_KNEELING,
    )
    # Hands on the upper back just below the shoulder blades; the fault slides them up onto the neck.
    chest_r = cb.surface_radius_m("chest")
    neck_r = cb.surface_radius_m("neck")
    slide = cue["hands_up"][:, None]
    for side, lateral in (("left", 1.0), ("right", -1.0)):
        back = on_body(client, "chest", (lateral * 0.075, -0.17 * cb.height_m / 1.72, -chest_r - 0.02))
        neck = on_body(client, "neck", (lateral * 0.04, 0.07 * cb.height_m / 1.72, -neck_r - 0.02))
        target = back * (1 - slide) + neck * slide
        pole = -axis_of(client, "waist", "up") - 0.5 * axis_of(client, "waist", "forward")
        pole = pole + lateral * axis_of(client, "waist", "left")
        reach(partner, side, target, pole, cue.contact, palm_normal=axis_of(client, "waist", "forward"))
    return client.marks, partner.marks


SEATED_THORACIC_EXTENSION = StretchMotion(
    stretch_id="seated_thoracic_extension",
    stage=stage_seated_thoracic_extension,
    params={
        "lean_back": Param(rest=0.0, hold=4.0, sway=1.0),
        "thoracic_ext": Param(rest=0.0, hold=24.0, sway=2.0),
        "neck_ext": Param(rest=0.0, hold=10.0, sway=2.0),
        "hands_up": Param(rest=0.0, hold=0.0),
    },
    main_param="thoracic_ext",
    faults={
        "seated_thoracic_extension.lumbar_arch": FaultSpec("param", 36.0, "deg", "lean_back", 30.0),
        "seated_thoracic_extension.hands_on_neck": FaultSpec("param", 0.1, "trunk", "hands_up", 1.0),
        "seated_thoracic_extension.neck_extension": FaultSpec("param", 55.0, "deg", "neck_ext", 58.0),
    },
    entry_s=4.0,
    hold_s=22.0,
    hold_range_s=(15.0, 30.0),
)


# ---------------------------------------------------------------- standing backbend (000 §4)


def stage_standing_backbend(cue: Cue, cb: BodySize, pb: BodySize) -> tuple[np.ndarray, np.ndarray]:
    f = cue.frames
    lean = cue["lean_back"]
    knee = cue["knee_bend"]
    pitch = -0.45 * lean
    client = place(
        body_pose(
            f, yaw=90.0, pitch=pitch,
            lumbar=(-0.35 * lean, 0.0, 0.0), thoracic=(-0.35 * lean, 0.0, 0.0),
            neck=(-0.15 * lean, 0.0, 0.0), head=(-0.1 * lean, 0.0, 0.0),
            hip_l=(pitch + 0.5 * knee, 5.0, 8.0), hip_r=(pitch + 0.5 * knee, 5.0, 8.0),
            knee_l=knee, knee_r=knee, ankle_l=0.5 * knee, ankle_r=0.5 * knee,
        ),
        cb,
        anchor=MID_ANKLE,
        anchor_xz=(0.0, 0.0),
        supports=SUPPORTS_STANDING,
    )
    cross_arms(client)
    # Partner directly behind, facing the same way, in a wide staggered stance with soft knees.
    spread = cue["stance_abd"]
    stagger = cue["stance_stagger"]
    partner = place(
        body_pose(
            f, yaw=90.0, pitch=10.0,
            hip_l=(10.0 + 12.0 + stagger, spread, 10.0), hip_r=(10.0 + 12.0 - stagger, spread, 10.0),
            knee_l=25.0, knee_r=25.0, ankle_l=12.0, ankle_r=12.0,
            shoulder_l=(10.0, 10.0, 0.0), shoulder_r=(10.0, 10.0, 0.0), elbow_l=20.0, elbow_r=20.0,
        ),
        pb,
        anchor=MID_ANKLE,
        anchor_xz=(-0.5 * (cb.height_m + pb.height_m) / 3.44, 0.0),
        supports=SUPPORTS_STANDING,
    )
    # Hands on either side of the sacrum; the fault lets them ride up to the shoulder blades.
    pelvis_r = cb.surface_radius_m("pelvis")
    slide = cue["hands_up"][:, None]
    for side, lateral in (("left", 1.0), ("right", -1.0)):
        sacrum = on_body(client, "pelvis", (lateral * 0.07, 0.04, -pelvis_r - 0.03))
        blades = on_body(client, "chest", (lateral * 0.08, -0.12, -cb.surface_radius_m("chest") - 0.03))
        target = sacrum * (1 - slide) + blades * slide
        pole = -axis_of(partner, "pelvis", "up") + lateral * axis_of(partner, "pelvis", "left")
        reach(partner, side, target, pole, cue.contact, palm_normal=axis_of(client, "pelvis", "forward"))
    return client.marks, partner.marks


STANDING_BACKBEND = StretchMotion(
    stretch_id="standing_backbend",
    stage=stage_standing_backbend,
    params={
        "lean_back": Param(rest=0.0, hold=13.0, sway=1.5),
        "knee_bend": Param(rest=4.0, hold=8.0),
        "stance_abd": Param(rest=11.0, hold=11.0),
        "stance_stagger": Param(rest=10.0, hold=10.0),
        "hands_up": Param(rest=0.0, hold=0.0),
    },
    main_param="lean_back",
    faults={
        "standing_backbend.backbend_depth": FaultSpec("param", 40.0, "deg", "lean_back", 40.0),
        "standing_backbend.support_hands": FaultSpec("param", 0.75, "trunk", "hands_up", 1.0),
        "standing_backbend.partner_stance": FaultSpec("param", 0.45, "ratio", "stance_abd", -1.5),
        "standing_backbend.client_collapse": FaultSpec("param", 55.0, "deg", "knee_bend", 55.0),
    },
    entry_s=4.0,
    hold_s=15.0,
    hold_range_s=(10.0, 20.0),
)
