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
    reach_leg,
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
        anchor_xz=(-0.24 * cb.height_m / 1.72, 0.0),
        supports=SUPPORTS_KNEELING,
    )
    # Hands on the upper back just below the shoulder blades; the fault slides them up onto the neck.
    chest_r = cb.surface_radius_m("chest")
    neck_r = cb.surface_radius_m("neck")
    slide = cue["hands_up"][:, None]
    for side, lateral in (("left", 1.0), ("right", -1.0)):
        back = on_body(client, "chest", (lateral * 0.075, -0.17 * cb.height_m / 1.72, -chest_r - 0.02))
        neck = on_body(client, "neck", (lateral * 0.05, 0.07 * cb.height_m / 1.72, -0.4 * neck_r))
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
        "seated_thoracic_extension.lumbar_arch": FaultSpec("param", 40.0, "deg", "lean_back", 30.0),
        "seated_thoracic_extension.hands_on_neck": FaultSpec("param", 0.04, "trunk", "hands_up", 1.0),
        "seated_thoracic_extension.neck_extension": FaultSpec("param", 53.0, "deg", "neck_ext", 58.0),
        "common.jerky_motion": FaultSpec("shove", 95.0, "deg/s", "lean_back", value=40.0, speed=110.0),
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
    spread = -1.5 + 15.5 * cue["stance"]  # 1 = wide, staggered stance; 0 = feet together
    stagger = 10.0 * cue["stance"]
    partner = place(
        body_pose(
            f, yaw=90.0, pitch=6.0,
            hip_l=(6.0 + 25.0 + stagger, spread, 10.0), hip_r=(6.0 + 25.0 - stagger, spread, 10.0),
            knee_l=50.0, knee_r=50.0, ankle_l=25.0, ankle_r=25.0,
            shoulder_l=(10.0, 10.0, 0.0), shoulder_r=(10.0, 10.0, 0.0), elbow_l=20.0, elbow_r=20.0,
        ),
        pb,
        anchor=MID_ANKLE,
        anchor_xz=(-(0.25 * cb.height_m + 0.27 * pb.height_m) / 1.72, 0.0),
        supports=SUPPORTS_STANDING,
    )
    # Hands on either side of the sacrum; the fault lets them ride up to the shoulder blades.
    pelvis_r = cb.surface_radius_m("pelvis")
    slide = cue["hands_up"][:, None]
    for side, lateral in (("left", 1.0), ("right", -1.0)):
        sacrum = on_body(client, "pelvis", (lateral * 0.11, 0.05, -0.6 * pelvis_r))
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
        "stance": Param(rest=1.0, hold=1.0),
        "hands_up": Param(rest=0.0, hold=0.0),
    },
    main_param="lean_back",
    faults={
        "standing_backbend.backbend_depth": FaultSpec("param", 40.0, "deg", "lean_back", 40.0),
        "standing_backbend.support_hands": FaultSpec("param", 0.78, "trunk", "hands_up", 1.0),
        "standing_backbend.partner_stance": FaultSpec("param", 0.16, "ratio", "stance", 0.0),
        "standing_backbend.client_collapse": FaultSpec("param", 55.0, "deg", "knee_bend", 55.0),
        "common.jerky_motion": FaultSpec("shove", 95.0, "deg/s", "lean_back", value=40.0, speed=110.0),
    },
    entry_s=4.0,
    hold_s=15.0,
    hold_range_s=(10.0, 20.0),
)


# ---------------------------------------------------------------- shared: holding hands across a fold


def _hold_hands(client, partner, weight: np.ndarray, cb: BodySize, pb: BodySize) -> None:
    """Client and partner reach for each other; the hands meet where both arms share the gap, the
    partner's grip a little up the client's forearms. Out of reach, both arms point at each other."""
    reach_c = cb.upper_arm_m + cb.forearm_m
    reach_p = pb.upper_arm_m + pb.forearm_m
    for c_side, p_side in (("left", "right"), ("right", "left")):
        c_sh = client.skeleton.positions[f"shoulder_{c_side[0]}"]
        p_sh = partner.skeleton.positions[f"shoulder_{p_side[0]}"]
        meet = c_sh + (p_sh - c_sh) * (reach_c / (reach_c + reach_p))
        toward_partner = p_sh - c_sh
        toward_partner = toward_partner / np.linalg.norm(toward_partner, axis=-1, keepdims=True)
        down = np.array([0.0, -1.0, 0.0])
        reach(client, c_side, meet - 0.03 * toward_partner, pole=down, weight=weight, palm_normal=down)
        reach(partner, p_side, meet - 0.06 * toward_partner, pole=down, weight=weight,
              palm_normal=-down)


def _fold_angles(fold, rounding, lean_offset: float = 6.0) -> dict:
    """Trunk angles of a seated forward fold: mostly a hinge at the hips with a long spine; `rounding`
    curls the upper back and drops the head instead."""
    hinge = 0.8 * fold
    return dict(
        pitch=lean_offset + hinge,
        lumbar=(0.12 * fold, 0.0, 0.0),
        thoracic=(0.08 * fold + 0.7 * rounding, 0.0, 0.0),
        neck=(8.0 + 0.9 * rounding, 0.0, 0.0),
        head=(5.0 + 0.2 * rounding, 0.0, 0.0),
    )


# ---------------------------------------------------------------- seated forward fold (000 §3)


def stage_seated_forward_fold(cue: Cue, cb: BodySize, pb: BodySize) -> tuple[np.ndarray, np.ndarray]:
    f = cue.frames
    trunk = _fold_angles(cue["fold"], cue["rounding"])
    hip_flex = 90.0 + trunk["pitch"]
    client = place(
        body_pose(
            f, yaw=90.0, **trunk,
            hip_l=(hip_flex, 5.0, 5.0), hip_r=(hip_flex, 5.0, 5.0), knee_l=4.0, knee_r=4.0,
            ankle_l=12.0, ankle_r=12.0,  # feet flexed
            shoulder_l=(30.0, 10.0, 0.0), shoulder_r=(30.0, 10.0, 0.0), elbow_l=20.0, elbow_r=20.0,
        ),
        cb, anchor=MID_HIP, anchor_xz=(0.0, 0.0), supports=SUPPORTS_SEATED,
    )
    # Partner sits facing the client, knees bent, soles against the client's soles, leaning back to pull.
    lean = 12.0 * cue.contact - 0.3 * cue["fold"]
    knee = 125.0
    partner = place(
        body_pose(
            f, yaw=-90.0, pitch=lean,
            hip_l=(90.0 + lean + 0.5 * knee, 12.0, 5.0), hip_r=(90.0 + lean + 0.5 * knee, 12.0, 5.0),
            knee_l=knee, knee_r=knee, ankle_l=0.5 * knee, ankle_r=0.5 * knee,
            shoulder_l=(30.0, 10.0, 0.0), shoulder_r=(30.0, 10.0, 0.0), elbow_l=30.0, elbow_r=30.0,
        ),
        pb, anchor=MID_ANKLE, anchor_xz=(0.0, 0.0), supports=SUPPORTS_SEATED,
    )
    sole_gap = cb.surface_radius_m("foot") + pb.surface_radius_m("foot") + 0.08
    client_toes = client.point(L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)
    partner_toes = partner.point(L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)
    offset = np.median(client_toes - partner_toes, axis=0)
    partner.translate(np.array([offset[0] + sole_gap, 0.0, offset[2]]))
    _hold_hands(client, partner, cue.contact, cb, pb)
    return client.marks, partner.marks


SEATED_FORWARD_FOLD = StretchMotion(
    stretch_id="seated_forward_fold",
    stage=stage_seated_forward_fold,
    params={
        "fold": Param(rest=0.0, hold=46.0, sway=1.5),
        "rounding": Param(rest=0.0, hold=4.0),
    },
    main_param="fold",
    faults={
        "seated_forward_fold.upper_back_rounding": FaultSpec("param", 77.0, "deg", "rounding", 55.0),
        "seated_forward_fold.pull_speed": FaultSpec("fast_entry", 94.0, "deg/s", value=80.0),
        "common.jerky_motion": FaultSpec("fast_entry", 119.0, "deg/s", value=110.0),
    },
    entry_s=5.0,
    hold_s=32.0,
    hold_range_s=(20.0, 45.0),
)


# ---------------------------------------------------------------- straddle fold (003)


def stage_straddle_fold(cue: Cue, cb: BodySize, pb: BodySize) -> tuple[np.ndarray, np.ndarray]:
    f = cue.frames
    trunk = _fold_angles(cue["fold"], 0.0)
    hip_flex = 90.0 + trunk["pitch"]
    spread_c = 55.0
    knee = cue["knee_bend"]
    client = place(
        body_pose(
            f, yaw=90.0, **trunk,
            hip_l=(hip_flex, spread_c, 0.0), hip_r=(hip_flex, spread_c, 0.0),
            knee_l=knee, knee_r=knee, ankle_l=5.0, ankle_r=5.0,
            shoulder_l=(30.0, 10.0, 0.0), shoulder_r=(30.0, 10.0, 0.0), elbow_l=20.0, elbow_r=20.0,
        ),
        cb, anchor=MID_HIP, anchor_xz=(0.0, 0.0), supports=SUPPORTS_SEATED,
    )
    # Partner: the same straddle facing the client, feet sole to sole, leaning back as the client folds.
    leg_c = cb.thigh_m + cb.shin_m
    leg_p = pb.thigh_m + pb.shin_m
    half_span = cb.hip_width_m / 2 + leg_c * np.sin(np.radians(spread_c))
    spread_p = float(np.degrees(np.arcsin(np.clip((half_span - pb.hip_width_m / 2) / leg_p, 0.0, 1.0))))
    lean = 10.0 * cue.contact - 0.4 * cue["fold"]
    partner = place(
        body_pose(
            f, yaw=-90.0, pitch=lean,
            hip_l=(90.0 + lean, spread_p, 0.0), hip_r=(90.0 + lean, spread_p, 0.0),
            knee_l=10.0, knee_r=10.0, ankle_l=5.0, ankle_r=5.0,
            shoulder_l=(30.0, 10.0, 0.0), shoulder_r=(30.0, 10.0, 0.0), elbow_l=20.0, elbow_r=20.0,
        ),
        pb, anchor=MID_ANKLE, anchor_xz=(0.0, 0.0), supports=SUPPORTS_SEATED,
    )
    sole_gap = cb.surface_radius_m("foot") + pb.surface_radius_m("foot") + 0.1
    toes_c = client.point(L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)
    toes_p = partner.point(L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)
    gap_x = np.median(toes_c[:, 0] - toes_p[:, 0])
    partner.translate(np.array([gap_x + sole_gap, 0.0, 0.0]))
    _hold_hands(client, partner, cue.contact, cb, pb)
    return client.marks, partner.marks


STRADDLE_FOLD = StretchMotion(
    stretch_id="straddle_fold",
    stage=stage_straddle_fold,
    params={
        "fold": Param(rest=0.0, hold=40.0, sway=1.5),
        "knee_bend": Param(rest=16.0, hold=20.0),
    },
    main_param="fold",
    faults={
        "straddle_fold.locked_knees": FaultSpec("param", 180.0, "deg", "knee_bend", 0.0),
        "straddle_fold.pull_speed": FaultSpec("fast_entry", 82.0, "deg/s", value=80.0),
        "common.jerky_motion": FaultSpec("fast_entry", 100.0, "deg/s", value=110.0),
    },
    entry_s=5.0,
    hold_s=30.0,
    hold_range_s=(30.0, 30.0),
)


# ---------------------------------------------------------------- butterfly (003)


def stage_butterfly(cue: Cue, cb: BodySize, pb: BodySize) -> tuple[np.ndarray, np.ndarray]:
    f = cue.frames
    trunk = _fold_angles(cue["fold"], 0.0, lean_offset=8.0)
    client = place(
        body_pose(
            f, yaw=90.0, **trunk,
            hip_l=(60.0 + trunk["pitch"], 50.0, 30.0), hip_r=(60.0 + trunk["pitch"], 50.0, 30.0),
            knee_l=120.0, knee_r=120.0, ankle_l=-10.0, ankle_r=-10.0,
            shoulder_l=(45.0, 10.0, 0.0), shoulder_r=(45.0, 10.0, 0.0), elbow_l=15.0, elbow_r=15.0,
        ),
        cb, anchor=MID_HIP, anchor_xz=(0.0, 0.0), supports=(L.LEFT_HIP, L.RIGHT_HIP),
    )
    # Soles together in front of the pelvis, knees out wide; the fault lets the feet slide apart.
    s = cb.height_m / 1.72
    hip = client.point(*MID_HIP)
    apart = cue["feet_apart_m"][:, None]
    ahead = np.array([1.0, 0.0, 0.0])
    for side, lateral in (("left", -1.0), ("right", 1.0)):
        # Scene z: the client faces +x, so the left side is toward -z.
        ankle = hip + ahead * 0.36 * s + np.array([0.0, 0.0, 1.0]) * lateral * (0.05 * s + apart)
        ankle[:, 1] = cb.surface_radius_m("ankle") + 0.03
        pole = np.array([0.2, 1.0, 0.0]) + np.array([0.0, 0.0, 1.0]) * lateral * 1.5
        reach_leg(client, side, ankle, pole=pole, weight=np.ones(f),
                  sole_normal=np.array([0.0, 0.0, -lateral]), toe_direction=np.array([1.0, 0.0, 0.0]))
    # Hands walk out in front on the floor.
    for side, lateral in (("left", -1.0), ("right", 1.0)):
        floor_hand = client.point(*MID_HIP) + np.array([0.55 * s, 0.0, 0.12 * lateral * s])
        floor_hand[:, 1] = cb.surface_radius_m("hand") + 0.05
        reach(client, side, floor_hand, pole=np.array([0.0, -1.0, 0.0]), weight=cue.engagement,
              palm_normal=np.array([0.0, -1.0, 0.0]))
    # Partner stands close behind in a wide stance, bends down and presses the inner thighs. The fault: the
    # partner straightens a little and props the hands on their own knees instead.
    off = cue["hands_off"]
    # The partner bends down only once the client has folded (seed: fold first, then the partner helps),
    # and eases off only as the client is nearly back up.
    entered = np.clip((cue.engagement - 0.45) / 0.55, 0.0, 1.0)
    help_w = np.where(cue["releasing"] > 0, 1.0 - np.clip((cue["releasing"] - 0.1) / 0.4, 0.0, 1.0), entered)
    bend = 10.0 + 90.0 * help_w - 15.0 * off
    lean = 8.0 + 67.0 * help_w - 20.0 * off
    partner = place(
        body_pose(
            f, yaw=90.0, pitch=lean,
            hip_l=(lean + 0.5 * bend, 22.0, 15.0), hip_r=(lean + 0.5 * bend, 22.0, 15.0),
            knee_l=bend, knee_r=bend, ankle_l=0.5 * bend, ankle_r=0.5 * bend,
            shoulder_l=(20.0, 10.0, 0.0), shoulder_r=(20.0, 10.0, 0.0), elbow_l=20.0, elbow_r=20.0,
        ),
        pb, anchor=MID_ANKLE, anchor_xz=(-0.4 * s, 0.0), supports=SUPPORTS_STANDING,
    )
    slide = off[:, None]
    for side, lateral in (("left", -1.0), ("right", 1.0)):
        knee_mark = L.LEFT_KNEE if side == "left" else L.RIGHT_KNEE
        on_top = np.array([0.0, 0.07, -0.03 * lateral])
        inner_thigh = 0.45 * client.point(*MID_HIP) + 0.55 * client.marks[:, knee_mark] + on_top
        own_knee = partner.marks[:, knee_mark] + np.array([0.08, 0.06, 0.0])
        target = inner_thigh * (1 - slide) + own_knee * slide
        reach(partner, side, target, pole=np.array([-0.3, 0.2, 1.5 * lateral]), weight=help_w,
              palm_normal=np.array([0.0, -1.0, 0.0]))
    return client.marks, partner.marks


BUTTERFLY = StretchMotion(
    stretch_id="butterfly",
    stage=stage_butterfly,
    params={
        "fold": Param(rest=0.0, hold=32.0, sway=1.5),
        "feet_apart_m": Param(rest=0.0, hold=0.0),
        "hands_off": Param(rest=0.0, hold=0.0),
        "releasing": Param(rest=0.0, hold=0.0, after=1.0),  # 0 → 1 over the release
    },
    main_param="fold",
    faults={
        "butterfly.soles_apart": FaultSpec("param", 0.66, "trunk", "feet_apart_m", 0.12),
        "butterfly.hand_placement": FaultSpec("param", 0.78, "trunk", "hands_off", 1.0),
        "common.jerky_motion": FaultSpec("shove", 93.0, "deg/s", value=40.0, speed=110.0),
    },
    entry_s=4.5,
    hold_s=30.0,
    hold_range_s=(30.0, 30.0),
)


# ---------------------------------------------------------------- child's pose (003)


def stage_childs_pose(cue: Cue, cb: BodySize, pb: BodySize) -> tuple[np.ndarray, np.ndarray]:
    """From all fours (s = 0) back to hips on heels with the chest down and arms long (s = 1)."""
    f = cue.frames
    sink = cue["sink"]
    hips_up = cue["hips_up"]  # 0..1: hips rise off the heels while the chest stays down
    sit_up = cue["sit_up"]  # 0..1: the release, rolling up to sit upright on the heels
    knee = 90.0 + 62.0 * sink - 45.0 * hips_up
    pitch = (90.0 + 10.0 * sink + 35.0 * hips_up) * (1.0 - sit_up)
    hip_flex = pitch + knee - 90.0
    client = place(
        body_pose(
            f, yaw=90.0, pitch=pitch,
            hip_l=(hip_flex, 28.0, 20.0), hip_r=(hip_flex, 28.0, 20.0),
            knee_l=knee, knee_r=knee, ankle_l=-45.0, ankle_r=-45.0,
            thoracic=(8.0 * sink, 0.0, 0.0), neck=(10.0 * sink, 0.0, 0.0), head=(5.0, 0.0, 0.0),
            shoulder_l=(90.0, 8.0, 0.0), shoulder_r=(90.0, 8.0, 0.0),
        ),
        cb, anchor=MID_KNEE, anchor_xz=(0.0, 0.0), supports=(*SUPPORTS_KNEELING, L.LEFT_ANKLE, L.RIGHT_ANKLE),
    )
    s = cb.height_m / 1.72
    shoulders = client.point(L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    for side, lateral in (("left", -1.0), ("right", 1.0)):
        # All fours: hands under the shoulders; child's pose: walked out far in front.
        under = shoulders + np.array([0.0, 0.0, 0.12 * lateral * s])
        ahead = np.median(shoulders, axis=0) + np.array([0.55 * s, 0.0, 0.14 * lateral * s])
        w = sink[:, None]
        target = under * (1 - w) + ahead * w
        target[:, 1] = cb.surface_radius_m("hand") + 0.05
        # Sitting up at the end: the hands come back to rest on the thighs.
        thigh = 0.4 * client.point(*MID_HIP) + 0.6 * client.point(*MID_KNEE)
        thigh = thigh + np.array([0.0, cb.surface_radius_m("thigh") + 0.03, 0.1 * lateral * s])
        up = sit_up[:, None]
        target = target * (1 - up) + thigh * up
        reach(client, side, target, pole=np.array([-0.2, 0.3, 0.6 * lateral]), weight=np.ones(f),
              palm_normal=np.array([0.0, -1.0, 0.0]))
    # Partner stands over the client's outstretched arms facing the hips, bends down once the client has
    # sunk back, works on the low back; at the release lifts the hands straight up and straightens before
    # the client rolls up.
    releasing = cue["releasing"]
    lift = np.clip(releasing / 0.4, 0.0, 1.0)
    help_w = np.clip((cue.engagement - 0.5) / 0.5, 0.0, 1.0)
    help_w = np.where(releasing > 0, 1.0 - lift, help_w)
    hands_w = np.where(releasing > 0, 1.0 - np.clip((releasing - 0.45) / 0.35, 0.0, 1.0), help_w)
    lean = 10.0 + 80.0 * help_w
    bend = 8.0 + 47.0 * help_w
    partner = place(
        body_pose(
            f, yaw=-90.0, pitch=lean,
            hip_l=(lean + 0.5 * bend, 24.0, 10.0), hip_r=(lean + 0.5 * bend, 24.0, 10.0),
            knee_l=bend, knee_r=bend, ankle_l=0.5 * bend, ankle_r=0.5 * bend,
            shoulder_l=(30.0, 10.0, 0.0), shoulder_r=(30.0, 10.0, 0.0), elbow_l=20.0, elbow_r=20.0,
        ),
        pb, anchor=MID_ANKLE, anchor_xz=(float(np.median(shoulders[:, 0])) + 0.3 * s, 0.0),
        supports=SUPPORTS_STANDING,
    )
    massage = 0.05 * np.sin(2 * np.pi * 0.6 * cue.t_s) * cue["massage"]
    slide = cue["hands_up"][:, None]
    for side, lateral in (("left", 1.0), ("right", -1.0)):
        low_back = on_body(client, "lumbar", (lateral * 0.07, 0.1 * s, -cb.surface_radius_m("pelvis") - 0.03))
        low_back[:, 2] += massage
        chest_r = cb.surface_radius_m("chest")
        upper_back = on_body(client, "chest", (lateral * 0.08, -0.05 * s, -chest_r - 0.03))
        target = low_back * (1 - slide) + upper_back * slide + np.array([0.0, 0.4, 0.0]) * lift[:, None]
        reach(partner, side, target, pole=np.array([-0.5, 0.5, -lateral]), weight=hands_w,
              palm_normal=np.array([0.0, -1.0, 0.0]))
    return client.marks, partner.marks


CHILDS_POSE = StretchMotion(
    stretch_id="childs_pose",
    stage=stage_childs_pose,
    params={
        "sink": Param(rest=0.0, hold=1.0, sway=0.01, after=1.0),
        "sit_up": Param(rest=0.0, hold=0.0, after=1.0),
        "hips_up": Param(rest=0.0, hold=0.0),
        "hands_up": Param(rest=0.0, hold=0.0),
        "massage": Param(rest=0.0, hold=1.0),
        "releasing": Param(rest=0.0, hold=0.0, after=1.0),  # 0 → 1 over the release
    },
    main_param="sink",
    faults={
        "childs_pose.hips_off_heels": FaultSpec("param", 0.77, "trunk", "hips_up", 1.0),
        "childs_pose.pressure_position": FaultSpec("param", 0.61, "trunk", "hands_up", 1.0),
        "common.jerky_motion": FaultSpec("fast_entry", 95.0, "deg/s", value=100.0),
    },
    main_span_deg=70.0,
    entry_s=4.0,
    hold_s=60.0,
    hold_range_s=(60.0, 60.0),
)
