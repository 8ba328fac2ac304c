"""Choreography of the stretches lying on the floor, drawn for the client's right side.

Layout: the client lies along scene x with the head toward +x and the left side toward the camera (+z), so
the partner, who works on the client's right side, is beyond the client and never between client and camera.
Prone: the head is toward -x, again with the left side toward the camera.
"""

from __future__ import annotations

import numpy as np

from stretches.synthetic.choreography import Cue, FaultSpec, Param, StretchMotion
from stretches.synthetic.skeleton import BodySize, body_pose
from stretches.synthetic.staging import (
    SUPPORTS_KNEELING,
    SUPPORTS_STANDING,
    UPPER_BODY,
    Placed,
    axis_of,
    on_body,
    pivot_about,
    place,
    reach,
    reach_leg,
)
from vision.landmarks import Landmark as L

MID_HIP = (L.LEFT_HIP, L.RIGHT_HIP)
MID_KNEE = (L.LEFT_KNEE, L.RIGHT_KNEE)
MID_ANKLE = (L.LEFT_ANKLE, L.RIGHT_ANKLE)
SUPINE = dict(yaw=-90.0, pitch=-90.0)
BACK_SUPPORTS = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)


def _scale(body: BodySize) -> float:
    return body.height_m / 1.72


def _kneeling_partner(
    f: int, pb: BodySize, yaw: float, lean, anchor_xz, sit: float = 120.0, spread: float = 12.0
) -> Placed:
    """A partner kneeling (knee bend `sit`: 90 = tall kneeling, 150 = on the heels), leaning in by `lean`."""
    lean = np.asarray(lean, dtype=float)
    return place(
        body_pose(
            f, yaw=yaw, pitch=lean,
            hip_l=(lean + sit - 90.0, spread, 0.0), hip_r=(lean + sit - 90.0, spread, 0.0),
            knee_l=sit, knee_r=sit, ankle_l=-40.0, ankle_r=-40.0,
            shoulder_l=(15.0, 10.0, 0.0), shoulder_r=(15.0, 10.0, 0.0), elbow_l=25.0, elbow_r=25.0,
        ),
        pb,
        anchor=MID_KNEE,
        anchor_xz=anchor_xz,
        supports=SUPPORTS_KNEELING,
    )


def _shoulder_roll(client_pose_fn, cue_roll: np.ndarray, cb: BodySize, pivot: int, **place_kw) -> Placed:
    """Place a supine client whose upper trunk rolls by `cue_roll` about the shoulder resting on the floor."""
    rolled = place(client_pose_fn(cue_roll), cb, **place_kw)
    flat = place(client_pose_fn(np.zeros_like(cue_roll)), cb, **place_kw)
    pivot_about(rolled, UPPER_BODY, rolled.marks[:, pivot], flat.marks[:, pivot])
    return rolled


# ---------------------------------------------------------------- supine thoracic rotation (000 §2)


def stage_supine_thoracic_rotation(cue: Cue, cb: BodySize, pb: BodySize) -> tuple[np.ndarray, np.ndarray]:
    """Head toward -x here, so the right side (extended arm) faces the camera and the knees drop away from
    it, toward the partner kneeling on the client's left."""
    f = cue.frames
    drop = cue["knee_drop"]
    pelvis_turn = 0.75 * drop  # the pelvis turns toward the client's left, taking both bent knees down

    def pose(shoulder_roll):
        return body_pose(
            f, yaw=90.0, pitch=-90.0, axial=pelvis_turn,
            lumbar=(0.0, 0.0, -0.5 * pelvis_turn), thoracic=(0.0, 0.0, -0.5 * pelvis_turn + shoulder_roll),
            hip_l=(50.0, 0.2 * drop, 0.0), hip_r=(50.0, -0.2 * drop, 0.0),
            knee_l=100.0, knee_r=100.0, ankle_l=10.0, ankle_r=10.0,
            shoulder_r=(0.0, 88.0, 80.0), elbow_r=5.0,  # the right arm out at shoulder height, palm up
            shoulder_l=(0.0, 25.0, 0.0), elbow_l=40.0,
        )

    client = _shoulder_roll(
        pose, cue["shoulder_roll"], cb, L.LEFT_SHOULDER,
        anchor=MID_HIP, anchor_xz=(0.0, 0.0), supports=BACK_SUPPORTS,
    )
    # Partner kneels at the client's left side between hip and shoulder, leaning over the client.
    s = _scale(cb)
    partner = _kneeling_partner(
        f, pb, yaw=0.0, lean=35.0 + 30.0 * cue.contact, anchor_xz=(-0.3 * s, -0.4 * s - 0.05 * _scale(pb)),
        sit=140.0, spread=14.0,
    )
    lift = np.array([0.0, cb.surface_radius_m("shoulder") + 0.03, 0.0])
    shoulder = client.marks[:, L.RIGHT_SHOULDER] + lift
    far_knee = client.marks[:, L.LEFT_KNEE] + np.array([0.0, cb.surface_radius_m("knee") + 0.03, 0.0])
    down = np.array([0.0, -1.0, 0.0])
    reach(partner, "right", shoulder, pole=np.array([-0.3, 0.3, -1.0]), weight=cue.contact, palm_normal=down)
    reach(partner, "left", far_knee, pole=np.array([0.5, 0.3, -1.0]), weight=cue.contact, palm_normal=down)
    return client.marks, partner.marks


SUPINE_THORACIC_ROTATION = StretchMotion(
    stretch_id="supine_thoracic_rotation",
    stage=stage_supine_thoracic_rotation,
    params={
        "knee_drop": Param(rest=0.0, hold=60.0, sway=2.0),
        "shoulder_roll": Param(rest=0.0, hold=4.0),
    },
    main_param="knee_drop",
    faults={
        "supine_thoracic_rotation.shoulder_lift": FaultSpec("param", 0.53, "trunk", "shoulder_roll", 40.0),
        "common.jerky_motion": FaultSpec("fast_entry", 100.0, "deg/s", value=100.0),
    },
    entry_s=5.0,
    hold_s=32.0,
    hold_range_s=(20.0, 45.0),
)


# ---------------------------------------------------------------- supine twist (003)


def stage_supine_twist(cue: Cue, cb: BodySize, pb: BodySize) -> tuple[np.ndarray, np.ndarray]:
    f = cue.frames
    twist = cue["twist"]  # the bent right knee's drop across the body (deg)
    pelvis_turn = 0.7 * twist

    def pose(shoulder_roll):
        return body_pose(
            f, **SUPINE, axial=pelvis_turn,
            lumbar=(0.0, 0.0, -0.5 * pelvis_turn), thoracic=(0.0, 0.0, -0.5 * pelvis_turn + shoulder_roll),
            hip_r=(95.0, -10.0 - 0.35 * twist, 0.0), knee_r=95.0, ankle_r=-20.0,  # right knee across
            hip_l=(0.0, 3.0, 0.0), knee_l=3.0, ankle_l=-30.0,  # left leg long
            shoulder_r=(0.0, 85.0 * np.clip(cue.engagement, 0, 1) + 5.0, 80.0), elbow_r=5.0,
            shoulder_l=(0.0, 20.0, 0.0), elbow_l=10.0,
        )

    client = _shoulder_roll(
        pose, cue["shoulder_roll"], cb, L.LEFT_SHOULDER,
        anchor=MID_HIP, anchor_xz=(0.0, 0.0), supports=BACK_SUPPORTS,
    )
    s = _scale(cb)
    partner = _kneeling_partner(
        f, pb, yaw=0.0, lean=35.0 + 25.0 * cue.contact, anchor_xz=(0.2 * s, -0.52 * s - 0.05 * _scale(pb)),
        sit=140.0, spread=14.0,
    )
    # Left palm on the client's right shoulder, right palm on the client's right hip; the fault lets the
    # hip hand wander up onto the ribs.
    lift = cb.surface_radius_m("shoulder") + 0.03
    shoulder = client.marks[:, L.RIGHT_SHOULDER] + np.array([0.0, lift, 0.0])
    hip = client.marks[:, L.RIGHT_HIP] - axis_of(client, "pelvis", "left") * 0.09 + np.array([0.0, 0.05, 0.0])
    ribs = on_body(client, "waist", (-0.05, 0.12 * s, cb.surface_radius_m("chest") + 0.04))
    slip = cue["hand_slip"][:, None]
    hip_target = hip * (1 - slip) + ribs * slip
    down = np.array([0.0, -1.0, 0.0])
    reach(partner, "left", shoulder, pole=np.array([0.4, 0.2, -1.0]), weight=cue.contact, palm_normal=down)
    reach(partner, "right", hip_target, pole=np.array([-0.4, 0.2, -1.0]), weight=cue.contact,
          palm_normal=down)
    return client.marks, partner.marks


SUPINE_TWIST = StretchMotion(
    stretch_id="supine_twist",
    stage=stage_supine_twist,
    params={
        "twist": Param(rest=0.0, hold=85.0, sway=2.0),
        "shoulder_roll": Param(rest=0.0, hold=2.0),
        "hand_slip": Param(rest=0.0, hold=0.0),
    },
    main_param="twist",
    faults={
        "supine_twist.shoulder_lift": FaultSpec("param", 0.38, "trunk", "shoulder_roll", 40.0),
        "supine_twist.hand_placement": FaultSpec("param", 0.63, "trunk", "hand_slip", 1.0),
        "common.jerky_motion": FaultSpec("fast_entry", 108.0, "deg/s", value=100.0),
    },
    entry_s=4.5,
    hold_s=30.0,
    hold_range_s=(30.0, 30.0),
)


# ---------------------------------------------------------------- supine hamstring (003)


def stage_supine_hamstring(cue: Cue, cb: BodySize, pb: BodySize) -> tuple[np.ndarray, np.ndarray]:
    f = cue.frames
    raise_deg = cue["leg_raise"]
    bridge = cue["hip_lift_deg"]  # the trunk tips about the shoulders so the hips leave the floor
    leg_len = cb.thigh_m + cb.shin_m
    rise_m = cb.trunk_m * np.sin(np.radians(bridge))
    rest_leg_slope = np.degrees(np.arcsin(np.clip(rise_m / leg_len, 0.0, 1.0)))
    client = place(
        body_pose(
            f, yaw=-90.0, pitch=-90.0 - bridge,
            hip_r=(raise_deg - bridge, 2.0, 0.0), knee_r=cue["knee_bend"], ankle_r=10.0,
            hip_l=(-bridge - rest_leg_slope, 2.0, 0.0), knee_l=2.0, ankle_l=-25.0,
            shoulder_l=(0.0, 25.0, 0.0), shoulder_r=(0.0, 25.0, 0.0), elbow_l=10.0, elbow_r=10.0,
        ),
        cb,
        anchor=(L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
        anchor_xz=(0.5 * cb.trunk_m, 0.0),
        supports=(L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_HEEL),
    )
    # Partner kneels at the feet, facing the client's head, holding the raised leg at heel and shin.
    s = _scale(cb)
    partner = _kneeling_partner(
        f, pb, yaw=50.0, lean=12.0 + 14.0 * cue.contact, anchor_xz=(-0.6 * s - 0.1 * _scale(pb), -0.44 * s),
        sit=95.0, spread=10.0,
    )
    heel = client.marks[:, L.RIGHT_HEEL] + np.array([-0.04, -0.02, 0.0])
    shin_front = (
        0.6 * client.marks[:, L.RIGHT_KNEE] + 0.4 * client.marks[:, L.RIGHT_ANKLE]
        + axis_of(client, "pelvis", "up") * 0.0 + np.array([-0.06, 0.0, 0.0])
    )
    # The partner kneels beside the raised leg (beyond it), so the leg never sweeps through them.
    reach(partner, "right", heel, pole=np.array([-0.3, -1.0, -0.3]), weight=cue.contact,
          palm_normal=np.array([1.0, 0.0, 0.0]))
    reach(partner, "left", shin_front, pole=np.array([0.3, -1.0, -0.3]), weight=cue.contact,
          palm_normal=np.array([0.0, 0.0, 1.0]))
    return client.marks, partner.marks


SUPINE_HAMSTRING = StretchMotion(
    stretch_id="supine_hamstring",
    stage=stage_supine_hamstring,
    params={
        "leg_raise": Param(rest=2.0, hold=72.0, sway=1.5),
        "knee_bend": Param(rest=3.0, hold=18.0),
        "hip_lift_deg": Param(rest=0.0, hold=0.0),
    },
    main_param="leg_raise",
    faults={
        "supine_hamstring.locked_knee": FaultSpec("param", 180.0, "deg", "knee_bend", 0.0),
        "supine_hamstring.hips_lifting": FaultSpec("param", 0.34, "trunk", "hip_lift_deg", 20.0),
        "common.jerky_motion": FaultSpec("fast_entry", 110.0, "deg/s", value=130.0),
    },
    entry_s=5.0,
    hold_s=30.0,
    hold_range_s=(30.0, 30.0),
)


# ---------------------------------------------------------------- supine figure four (003)


def stage_supine_figure_four(cue: Cue, cb: BodySize, pb: BodySize) -> tuple[np.ndarray, np.ndarray]:
    f = cue.frames
    flex = cue["hip_flex"]  # the left (supporting) hip, pressed toward the chest by the partner
    client = place(
        body_pose(
            f, **SUPINE,
            hip_l=(flex, 5.0, 0.0), knee_l=cue["knee_l"], ankle_l=cue["ankle_l"],
            hip_r=(flex, 40.0, 50.0), knee_r=100.0, ankle_r=10.0,
            shoulder_l=(0.0, 25.0, 0.0), shoulder_r=(0.0, 25.0, 0.0), elbow_l=10.0, elbow_r=10.0,
        ),
        cb,
        anchor=MID_HIP,
        anchor_xz=(0.0, 0.0),
        supports=BACK_SUPPORTS,
    )
    # Right ankle rests across the left thigh just below the knee; the fault lets it slide off outward.
    thigh_point = 0.25 * client.marks[:, L.LEFT_HIP] + 0.75 * client.marks[:, L.LEFT_KNEE]
    over = cb.surface_radius_m("thigh") + cb.surface_radius_m("ankle")
    toward_right = -axis_of(client, "pelvis", "left")
    on_thigh = thigh_point + toward_right * 0.02 + np.array([0.02, 1.0, 0.0]) * over
    slid = on_thigh + toward_right * 0.3 * _scale(cb) + np.array([0.0, -0.05, 0.0])
    slip = cue["ankle_slip"][:, None]
    weight = np.clip(cue.engagement * 1.6, 0.0, 1.0)
    reach_leg(client, "right", on_thigh * (1 - slip) + slid * slip,
              pole=toward_right + np.array([0.0, 0.6, 0.0]), weight=weight)
    # Partner stands at the client's feet in a lunge, the client's left sole on their belly.
    sole = client.marks[:, L.LEFT_FOOT_INDEX] * 0.5 + client.marks[:, L.LEFT_HEEL] * 0.5
    partner = _figure_four_partner(f, pb, sole, cue)
    on_top = np.array([0.0, 0.06, 0.0])
    thigh_r = 0.5 * client.marks[:, L.RIGHT_HIP] + 0.5 * client.marks[:, L.RIGHT_KNEE] + on_top
    thigh_l_out = (
        0.4 * client.marks[:, L.LEFT_HIP] + 0.6 * client.marks[:, L.LEFT_KNEE]
        + axis_of(client, "pelvis", "left") * 0.08
    )
    reach(partner, "left", thigh_r, pole=np.array([0.0, -1.0, -0.5]), weight=cue.contact,
          palm_normal=np.array([1.0, -0.5, 0.0]))
    reach(partner, "right", thigh_l_out, pole=np.array([0.0, -1.0, 0.5]), weight=cue.contact,
          palm_normal=np.array([0.0, 0.0, -1.0]))
    return client.marks, partner.marks


def _figure_four_partner(f: int, pb: BodySize, sole: np.ndarray, cue: Cue) -> Placed:
    """Partner facing the client's head in a split stance, knees bent so the belly meets the client's sole."""
    lean = 8.0 + 17.0 * cue.engagement
    settle = np.clip(cue.engagement * 1.5, 0.0, 1.0)  # 0 standing tall at rest, 1 in the lunge

    def pose(bend):
        bend = 8.0 + (bend - 8.0) * settle
        return body_pose(
            f, yaw=90.0, pitch=lean,
            # The front foot goes outside the client's supporting leg, away from the crossed one.
            hip_l=(lean + 0.5 * bend - 25.0, 8.0, 5.0), hip_r=(lean + 0.5 * bend + 3.0, 18.0, 5.0),
            knee_l=bend, knee_r=bend, ankle_l=0.5 * bend, ankle_r=0.5 * bend,
            shoulder_l=(20.0, 10.0, 0.0), shoulder_r=(20.0, 10.0, 0.0), elbow_l=30.0, elbow_r=30.0,
        )

    def belly_of(person: Placed) -> np.ndarray:
        return on_body(person, "lumbar", (0.0, 0.12 * _scale(pb), pb.surface_radius_m("chest") + 0.02))

    # The knee bend that brings the belly to the sole's height at the hold (bisection on the mean frame).
    lo, hi = 0.0, 80.0
    holding = cue.engagement > 0.95
    if not holding.any():
        holding = np.ones_like(holding)
    target_y = float(np.median(sole[holding, 1]))
    for _ in range(20):
        mid = (lo + hi) / 2
        trial = place(pose(mid), pb, anchor=MID_ANKLE, anchor_xz=(0.0, 0.0), supports=SUPPORTS_STANDING)
        if float(np.median(belly_of(trial)[holding, 1])) > target_y:
            lo = mid
        else:
            hi = mid
    partner = place(
        pose((lo + hi) / 2), pb, anchor=MID_ANKLE, anchor_xz=(0.0, 0.0), supports=SUPPORTS_STANDING
    )
    belly = belly_of(partner)
    shift = np.zeros_like(belly)
    shift[:, 0] = sole[:, 0] - belly[:, 0] - 0.04
    shift[:, 2] = sole[:, 2] - belly[:, 2]
    # The feet stay planted: move by where the belly must be during the hold, not frame by frame.
    holding = cue.engagement > 0.95
    partner.translate(np.median(shift[holding] if holding.any() else shift, axis=0))
    return partner


SUPINE_FIGURE_FOUR = StretchMotion(
    stretch_id="supine_figure_four",
    stage=stage_supine_figure_four,
    params={
        "hip_flex": Param(rest=40.0, hold=100.0, sway=1.5),
        "knee_l": Param(rest=86.0, hold=50.0),
        "ankle_l": Param(rest=-35.0, hold=10.0),  # foot flat on the floor at rest, then on the belly
        "ankle_slip": Param(rest=0.0, hold=0.0),
    },
    main_param="hip_flex",
    faults={
        "supine_figure_four.ankle_not_crossed": FaultSpec("param", 0.63, "trunk", "ankle_slip", 1.0),
        "common.jerky_motion": FaultSpec("fast_entry", 94.0, "deg/s", value=180.0),
    },
    entry_s=4.5,
    hold_s=30.0,
    hold_range_s=(30.0, 30.0),
)


# ---------------------------------------------------------------- prone quad (003)


def stage_prone_quad(cue: Cue, cb: BodySize, pb: BodySize) -> tuple[np.ndarray, np.ndarray]:
    f = cue.frames
    bend = cue["knee_bend"]
    lift = cue["thigh_lift"]
    tip = cue["hip_lift_deg"]  # hips rising off the mat: the trunk tips about the shoulders
    rise_m = cb.trunk_m * np.sin(np.radians(tip))
    rest_slope = np.degrees(np.arcsin(np.clip(rise_m / (cb.thigh_m + cb.shin_m), 0.0, 1.0)))
    client = place(
        body_pose(
            f, yaw=-90.0, pitch=90.0 + tip,
            hip_r=(tip - lift, 3.0, 0.0), knee_r=bend, ankle_r=-30.0,
            hip_l=(tip + rest_slope, 3.0, 0.0), knee_l=3.0, ankle_l=-60.0,
            shoulder_l=(-5.0, 12.0, 0.0), shoulder_r=(-5.0, 12.0, 0.0), elbow_l=10.0, elbow_r=10.0,
            neck=(-10.0, 0.0, 50.0), head=(-5.0, 0.0, 20.0),  # arms by the sides, head turned to one side
        ),
        cb,
        anchor=MID_HIP,
        anchor_xz=(0.0, 0.0),
        supports=(L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_KNEE),
    )
    # Partner kneels on the client's right side (beyond the client) by the legs, facing them.
    s = _scale(cb)
    partner = _kneeling_partner(
        f, pb, yaw=0.0, lean=25.0 + 10.0 * cue.contact, anchor_xz=(0.3 * s, -0.5 * s - 0.1 * _scale(pb)),
        sit=120.0,
    )
    foot = client.marks[:, L.RIGHT_FOOT_INDEX] * 0.6 + client.marks[:, L.RIGHT_ANKLE] * 0.4
    under_thigh = (
        0.3 * client.marks[:, L.RIGHT_HIP] + 0.7 * client.marks[:, L.RIGHT_KNEE]
        + np.array([0.0, -cb.surface_radius_m("thigh") - 0.02, 0.0])
    )
    reach(partner, "left", foot, pole=np.array([0.5, -0.5, -1.0]), weight=cue.contact,
          palm_normal=np.array([-1.0, 0.0, 0.0]))
    reach(partner, "right", under_thigh, pole=np.array([-0.3, -0.5, -1.0]), weight=cue.contact,
          palm_normal=np.array([0.0, 1.0, 0.0]))
    return client.marks, partner.marks


PRONE_QUAD = StretchMotion(
    stretch_id="prone_quad",
    stage=stage_prone_quad,
    params={
        "knee_bend": Param(rest=5.0, hold=115.0, sway=1.5),
        "thigh_lift": Param(rest=0.0, hold=10.0),
        "hip_lift_deg": Param(rest=0.0, hold=0.0),
    },
    main_param="knee_bend",
    release_s=5.0,
    faults={
        "prone_quad.hip_lift": FaultSpec("param", 0.38, "trunk", "hip_lift_deg", 22.0),
        "prone_quad.knee_overflexion": FaultSpec("param", 20.0, "deg", "knee_bend", 160.0),
        "common.jerky_motion": FaultSpec("fast_entry", 102.0, "deg/s", value=100.0),
    },
    entry_s=6.0,
    hold_s=30.0,
    hold_range_s=(30.0, 30.0),
)
