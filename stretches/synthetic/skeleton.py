"""A human skeleton: body proportions, joint rotations → 3-D joint centres → the 33 MediaPipe landmarks.

Body frame at rest (standing, arms down, palms to the thighs): x = the person's left, y = up, z = forward
(anterior). Every rotatable joint carries a local rotation; a node's position is its parent's position plus
the parent's global rotation applied to the node's rest offset, so bone lengths cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vision.landmarks import NUM_LANDMARKS, Landmark


@dataclass(frozen=True)
class BodySize:
    """Segment lengths as fractions of standing height (Drillis & Contini style anthropometric ratios)."""

    height_m: float = 1.72
    trunk_ratio: float = 0.30  # mid-hip joint → mid-shoulder joint
    shoulder_width_ratio: float = 0.215  # between shoulder joint centres
    hip_width_ratio: float = 0.12  # between hip joint centres
    upper_arm_ratio: float = 0.186
    forearm_ratio: float = 0.146
    hand_ratio: float = 0.05  # wrist → index knuckle
    thigh_ratio: float = 0.245
    shin_ratio: float = 0.246
    ankle_height_ratio: float = 0.039
    foot_length_ratio: float = 0.152
    neck_ratio: float = 0.095  # mid-shoulder → head centre
    head_ratio: float = 0.058  # head centre → nose tip
    girth: float = 1.0  # 1 = average build; scales the soft-tissue radii only

    def length(self, ratio: float) -> float:
        return ratio * self.height_m

    @property
    def trunk_m(self) -> float:
        return self.length(self.trunk_ratio)

    @property
    def shoulder_width_m(self) -> float:
        return self.length(self.shoulder_width_ratio)

    @property
    def hip_width_m(self) -> float:
        return self.length(self.hip_width_ratio)

    @property
    def upper_arm_m(self) -> float:
        return self.length(self.upper_arm_ratio)

    @property
    def forearm_m(self) -> float:
        return self.length(self.forearm_ratio)

    @property
    def thigh_m(self) -> float:
        return self.length(self.thigh_ratio)

    @property
    def shin_m(self) -> float:
        return self.length(self.shin_ratio)

    def surface_radius_m(self, part: str) -> float:
        """Joint centre → skin distance, for grounding on the floor and for drawing capsules."""
        return SURFACE_RADIUS_RATIO[part] * self.height_m * self.girth


# Joint centre → skin, as a fraction of height (times `girth`); also the renderer's capsule radii.
SURFACE_RADIUS_RATIO: dict[str, float] = {
    "pelvis": 0.058,  # hip joint centre above the floor when lying on the back
    "chest": 0.06,
    "shoulder": 0.035,
    "upper_arm": 0.026,
    "forearm": 0.021,
    "hand": 0.014,
    "thigh": 0.04,
    "knee": 0.03,
    "shin": 0.027,
    "ankle": 0.02,
    "foot": 0.012,
    "head": 0.058,
    "neck": 0.03,
}

# Preset builds the renderer and the accuracy benchmark vary over.
BODY_SIZES: dict[str, BodySize] = {
    "small": BodySize(height_m=1.55, girth=0.95),
    "medium": BodySize(height_m=1.72),
    "tall": BodySize(height_m=1.90, girth=1.05),
    "broad": BodySize(height_m=1.78, shoulder_width_ratio=0.235, hip_width_ratio=0.13, girth=1.25),
}


# ---------------------------------------------------------------- rotations (vectorised over leading axes)


def rot_x(deg: np.ndarray | float) -> np.ndarray:
    """Rotation about the body's left axis: +deg tips an upward bone forward, a downward bone backward."""
    a = np.radians(np.asarray(deg, dtype=float))
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)


def rot_y(deg: np.ndarray | float) -> np.ndarray:
    """Rotation about the up axis: +deg turns the face toward the person's left."""
    a = np.radians(np.asarray(deg, dtype=float))
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def rot_z(deg: np.ndarray | float) -> np.ndarray:
    """Rotation about the forward axis: +deg swings a downward bone toward the person's left."""
    a = np.radians(np.asarray(deg, dtype=float))
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


def limb_rotation(flex_deg, abd_deg, twist_deg, side: str) -> np.ndarray:
    """Hip or shoulder rotation: twist about the limb, then abduction (away from the midline), then flexion.

    flex > 0 swings the limb forward, abd > 0 away from the body's midline, twist > 0 turns the limb's front
    outward (external rotation). `side` is "left" or "right".
    """
    sign = 1.0 if side == "left" else -1.0
    flex = np.asarray(flex_deg, dtype=float)
    abd = np.asarray(abd_deg, dtype=float)
    twist = np.asarray(twist_deg, dtype=float)
    flex, abd, twist = np.broadcast_arrays(flex, abd, twist)
    return rot_x(-flex) @ rot_z(sign * abd) @ rot_y(sign * twist)


def spine_rotation(flex_deg, lateral_deg, twist_deg) -> np.ndarray:
    """Spine / neck segment: twist about the spine (+ = chest turns left), side bend (+ = toward the left),
    then flexion (+ = forward bend, - = extension / arching back)."""
    flex = np.asarray(flex_deg, dtype=float)
    lateral = np.asarray(lateral_deg, dtype=float)
    twist = np.asarray(twist_deg, dtype=float)
    flex, lateral, twist = np.broadcast_arrays(flex, lateral, twist)
    return rot_x(flex) @ rot_z(-lateral) @ rot_y(twist)


def hinge_rotation(flex_deg, joint: str) -> np.ndarray:
    """Knee (shin swings back), elbow (forearm swings forward) or ankle (+ = toes up) flexion."""
    flex = np.asarray(flex_deg, dtype=float)
    if joint == "knee":
        return rot_x(flex)
    if joint == "elbow":
        return rot_x(-flex)
    if joint == "ankle":
        return rot_x(-flex)
    raise ValueError(f"unknown hinge joint {joint!r}")


def root_rotation(yaw_deg, pitch_deg, roll_deg, axial_deg=0.0) -> np.ndarray:
    """Pelvis orientation in the scene: yaw about scene up (0 = facing scene +z, 90 = facing +x), pitch about
    the body's left axis (+ = tip forward; -90 lies on the back, +90 face down), roll about the body's
    forward axis (+ = the left hip rises while standing), axial turn about the body's long axis (+ = the front
    turns toward the person's left)."""
    yaw = np.asarray(yaw_deg, dtype=float)
    pitch = np.asarray(pitch_deg, dtype=float)
    roll = np.asarray(roll_deg, dtype=float)
    axial = np.asarray(axial_deg, dtype=float)
    yaw, pitch, roll, axial = np.broadcast_arrays(yaw, pitch, roll, axial)
    return rot_y(yaw) @ rot_x(pitch) @ rot_z(roll) @ rot_y(axial)


# ---------------------------------------------------------------- the node hierarchy

# name, parent, rotation joint name (None = fixed), offset function of the body
_Node = tuple[str, str | None, str | None]

NODES: tuple[_Node, ...] = (
    ("pelvis", None, "root"),
    ("hip_l", "pelvis", "hip_l"),
    ("knee_l", "hip_l", "knee_l"),
    ("ankle_l", "knee_l", "ankle_l"),
    ("heel_l", "ankle_l", None),
    ("toe_l", "ankle_l", None),
    ("hip_r", "pelvis", "hip_r"),
    ("knee_r", "hip_r", "knee_r"),
    ("ankle_r", "knee_r", "ankle_r"),
    ("heel_r", "ankle_r", None),
    ("toe_r", "ankle_r", None),
    ("lumbar", "pelvis", "lumbar"),
    ("waist", "lumbar", "thoracic"),
    ("chest", "waist", None),
    ("shoulder_l", "chest", "shoulder_l"),
    ("elbow_l", "shoulder_l", "elbow_l"),
    ("wrist_l", "elbow_l", "wrist_l"),
    ("shoulder_r", "chest", "shoulder_r"),
    ("elbow_r", "shoulder_r", "elbow_r"),
    ("wrist_r", "elbow_r", "wrist_r"),
    ("neck", "chest", "neck"),
    ("head", "neck", "head"),
)

ROTATING_JOINTS: tuple[str, ...] = tuple(n[2] for n in NODES if n[2] not in (None, "root"))


def _rest_offsets(body: BodySize) -> dict[str, np.ndarray]:
    h = body.height_m
    trunk = body.trunk_m
    hw = body.hip_width_m / 2
    sw = body.shoulder_width_m / 2
    ankle_h = body.length(body.ankle_height_ratio)
    foot = body.length(body.foot_length_ratio)
    offsets = {
        "pelvis": (0.0, 0.0, 0.0),
        "hip_l": (hw, 0.0, 0.0),
        "hip_r": (-hw, 0.0, 0.0),
        "lumbar": (0.0, 0.0, 0.0),
        "waist": (0.0, 0.45 * trunk, -0.01 * h),
        "chest": (0.0, 0.55 * trunk, 0.01 * h),
        "shoulder_l": (sw, 0.0, 0.0),
        "shoulder_r": (-sw, 0.0, 0.0),
        "neck": (0.0, 0.0, 0.0),
        "head": (0.0, body.neck_ratio * h, 0.012 * h),
    }
    for s in "lr":
        offsets[f"knee_{s}"] = (0.0, -body.thigh_m, 0.0)
        offsets[f"ankle_{s}"] = (0.0, -body.shin_m, 0.0)
        offsets[f"heel_{s}"] = (0.0, -ankle_h, -0.25 * foot)
        offsets[f"toe_{s}"] = (0.0, -ankle_h * 0.8, 0.75 * foot)
        offsets[f"elbow_{s}"] = (0.0, -body.upper_arm_m, 0.0)
        offsets[f"wrist_{s}"] = (0.0, -body.forearm_m, 0.0)
    return {k: np.asarray(v, dtype=float) for k, v in offsets.items()}


def _face_offsets(body: BodySize) -> dict[Landmark, np.ndarray]:
    """Face points in the head frame (head centre between the ears; x left, y up, z forward)."""
    r = body.head_ratio * body.height_m  # ≈ 0.10 m
    pts = {
        Landmark.NOSE: (0.0, -0.05, 1.0),
        Landmark.LEFT_EYE_INNER: (0.15, 0.30, 0.86),
        Landmark.LEFT_EYE: (0.32, 0.30, 0.80),
        Landmark.LEFT_EYE_OUTER: (0.48, 0.30, 0.72),
        Landmark.RIGHT_EYE_INNER: (-0.15, 0.30, 0.86),
        Landmark.RIGHT_EYE: (-0.32, 0.30, 0.80),
        Landmark.RIGHT_EYE_OUTER: (-0.48, 0.30, 0.72),
        Landmark.LEFT_EAR: (0.75, 0.05, 0.0),
        Landmark.RIGHT_EAR: (-0.75, 0.05, 0.0),
        Landmark.MOUTH_LEFT: (0.25, -0.42, 0.80),
        Landmark.MOUTH_RIGHT: (-0.25, -0.42, 0.80),
    }
    return {k: np.asarray(v, dtype=float) * r for k, v in pts.items()}


def _hand_offsets(body: BodySize, side: str) -> dict[str, np.ndarray]:
    """Hand points in the wrist frame at rest: fingers down, palm toward the thigh, thumb forward."""
    hand = body.hand_ratio * body.height_m  # ≈ 0.086 m
    inward = -1.0 if side == "left" else 1.0  # toward the body's midline
    return {
        "index": np.array([0.15 * inward, -1.0, 0.30]) * hand,
        "pinky": np.array([0.15 * inward, -0.85, -0.30]) * hand,
        "thumb": np.array([0.35 * inward, -0.55, 0.50]) * hand,
    }


@dataclass
class Pose:
    """Joint rotations over F frames: root position (F,3) and rotation (F,3,3), local rotations (F,3,3)."""

    root_position: np.ndarray
    root_rotation: np.ndarray
    joints: dict[str, np.ndarray]

    @property
    def num_frames(self) -> int:
        return int(self.root_position.shape[0])


@dataclass
class Skeleton:
    """Scene positions of every node (F, 3) and every node's global rotation (F, 3, 3)."""

    positions: dict[str, np.ndarray]
    rotations: dict[str, np.ndarray]


def forward_kinematics(pose: Pose, body: BodySize) -> Skeleton:
    offsets = _rest_offsets(body)
    positions: dict[str, np.ndarray] = {}
    rotations: dict[str, np.ndarray] = {}
    for name, parent, joint in NODES:
        if parent is None:
            positions[name] = np.asarray(pose.root_position, dtype=float)
            rotations[name] = np.asarray(pose.root_rotation, dtype=float)
            continue
        parent_rot = rotations[parent]
        positions[name] = positions[parent] + parent_rot @ offsets[name]
        local = pose.joints.get(joint) if joint else None
        rotations[name] = parent_rot if local is None else parent_rot @ local
    return Skeleton(positions, rotations)


def hand_points(
    wrist: np.ndarray, wrist_rotation: np.ndarray, body: BodySize, side: str
) -> dict[str, np.ndarray]:
    return {k: wrist + wrist_rotation @ v for k, v in _hand_offsets(body, side).items()}


def landmarks_from_skeleton(skeleton: Skeleton, body: BodySize) -> np.ndarray:
    """The 33 MediaPipe landmarks (F, 33, 3) in scene metres from a posed skeleton."""
    p = skeleton.positions
    frames = p["pelvis"].shape[0]
    out = np.full((frames, NUM_LANDMARKS, 3), np.nan)
    head_rot = skeleton.rotations["head"]
    for mark, offset in _face_offsets(body).items():
        out[:, mark] = p["head"] + head_rot @ offset
    for s, side in (("l", "left"), ("r", "right")):
        up = side.upper()
        out[:, Landmark[f"{up}_SHOULDER"]] = p[f"shoulder_{s}"]
        out[:, Landmark[f"{up}_ELBOW"]] = p[f"elbow_{s}"]
        out[:, Landmark[f"{up}_WRIST"]] = p[f"wrist_{s}"]
        hand = hand_points(p[f"wrist_{s}"], skeleton.rotations[f"wrist_{s}"], body, side)
        out[:, Landmark[f"{up}_PINKY"]] = hand["pinky"]
        out[:, Landmark[f"{up}_INDEX"]] = hand["index"]
        out[:, Landmark[f"{up}_THUMB"]] = hand["thumb"]
        out[:, Landmark[f"{up}_HIP"]] = p[f"hip_{s}"]
        out[:, Landmark[f"{up}_KNEE"]] = p[f"knee_{s}"]
        out[:, Landmark[f"{up}_ANKLE"]] = p[f"ankle_{s}"]
        out[:, Landmark[f"{up}_HEEL"]] = p[f"heel_{s}"]
        out[:, Landmark[f"{up}_FOOT_INDEX"]] = p[f"toe_{s}"]
    return out


# ---------------------------------------------------------------- two-bone inverse kinematics


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-9)


def two_bone_ik(
    root: np.ndarray, target: np.ndarray, upper_m: float, lower_m: float, pole: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Middle and end joint (F,3) of a two-bone limb from `root` reaching for `target`, bending toward `pole`.

    Both bone lengths are kept exactly; an out-of-reach target leaves the limb nearly straight toward it.
    """
    to_target = target - root
    reach = np.linalg.norm(to_target, axis=-1)
    dist = np.clip(reach, abs(upper_m - lower_m) + 1e-4, (upper_m + lower_m) * 0.9995)
    axis = _unit(to_target)
    bend = pole - np.sum(pole * axis, axis=-1, keepdims=True) * axis
    bend = _unit(bend)
    cos_a = (upper_m**2 + dist**2 - lower_m**2) / (2 * upper_m * dist)
    sin_a = np.sqrt(np.clip(1 - cos_a**2, 0.0, 1.0))
    middle = root + upper_m * (cos_a[..., None] * axis + sin_a[..., None] * bend)
    end = root + dist[..., None] * axis
    return middle, end


def frame_from_axes(down: np.ndarray, forward_hint: np.ndarray) -> np.ndarray:
    """A rotation (F,3,3) whose local -y is `down` and whose local +z is as close as possible to the hint."""
    y = -_unit(down)
    z = forward_hint - np.sum(forward_hint * y, axis=-1, keepdims=True) * y
    z = _unit(z)
    x = np.cross(y, z)
    return np.stack([x, y, z], axis=-1)


Triple = tuple  # (flex, abd, twist) or (flex, lateral, twist), each a float or an (F,) array


def body_pose(
    frames: int,
    yaw: np.ndarray | float = 0.0,
    pitch: np.ndarray | float = 0.0,
    roll: np.ndarray | float = 0.0,
    axial: np.ndarray | float = 0.0,
    *,
    lumbar: Triple = (0, 0, 0),
    thoracic: Triple = (0, 0, 0),
    neck: Triple = (0, 0, 0),
    head: Triple = (0, 0, 0),
    hip_l: Triple = (0, 0, 0),
    hip_r: Triple = (0, 0, 0),
    knee_l: np.ndarray | float = 0.0,
    knee_r: np.ndarray | float = 0.0,
    ankle_l: np.ndarray | float = 0.0,
    ankle_r: np.ndarray | float = 0.0,
    shoulder_l: Triple = (0, 0, 0),
    shoulder_r: Triple = (0, 0, 0),
    elbow_l: np.ndarray | float = 0.0,
    elbow_r: np.ndarray | float = 0.0,
    wrist_l: Triple = (0, 0, 0),
    wrist_r: Triple = (0, 0, 0),
) -> Pose:
    """A Pose from anatomical joint angles in degrees (scalars or (F,) arrays). The root sits at the origin;
    staging moves it onto the floor. Limb triples are (flex, abd, twist), spine triples (flex, lateral,
    twist), wrists (flex, deviation, twist)."""

    def full(value) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=float), (frames,))

    def spine(triple: Triple) -> np.ndarray:
        return spine_rotation(*(full(v) for v in triple))

    def limb(triple: Triple, side: str) -> np.ndarray:
        return limb_rotation(*(full(v) for v in triple), side)

    joints = {
        "lumbar": spine(lumbar),
        "thoracic": spine(thoracic),
        "neck": spine(neck),
        "head": spine(head),
        "hip_l": limb(hip_l, "left"),
        "hip_r": limb(hip_r, "right"),
        "knee_l": hinge_rotation(full(knee_l), "knee"),
        "knee_r": hinge_rotation(full(knee_r), "knee"),
        "ankle_l": hinge_rotation(full(ankle_l), "ankle"),
        "ankle_r": hinge_rotation(full(ankle_r), "ankle"),
        "shoulder_l": limb(shoulder_l, "left"),
        "shoulder_r": limb(shoulder_r, "right"),
        "elbow_l": hinge_rotation(full(elbow_l), "elbow"),
        "elbow_r": hinge_rotation(full(elbow_r), "elbow"),
        "wrist_l": limb(wrist_l, "left"),
        "wrist_r": limb(wrist_r, "right"),
    }
    return Pose(
        root_position=np.zeros((frames, 3)),
        root_rotation=root_rotation(full(yaw), full(pitch), full(roll), full(axial)),
        joints=joints,
    )
