"""Putting posed skeletons into the scene: grounding on the floor, anchoring in place, reaching with the arms.

A stretch's choreography (poses.py) poses each person with joint angles; these helpers turn that into scene
landmarks (F, 33, 3) in metres (y up, floor y = 0) without ever changing a bone length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stretches.synthetic.skeleton import (
    BodySize,
    Pose,
    Skeleton,
    _unit,
    forward_kinematics,
    frame_from_axes,
    hand_points,
    landmarks_from_skeleton,
    two_bone_ik,
)
from vision.landmarks import Landmark as L

# Which soft-tissue radius keeps each landmark off the floor when it is a support.
_SUPPORT_PART: dict[int, str] = {
    L.LEFT_SHOULDER: "chest", L.RIGHT_SHOULDER: "chest",
    L.LEFT_HIP: "pelvis", L.RIGHT_HIP: "pelvis",
    L.LEFT_KNEE: "knee", L.RIGHT_KNEE: "knee",
    L.LEFT_ANKLE: "ankle", L.RIGHT_ANKLE: "ankle",
    L.LEFT_HEEL: "foot", L.RIGHT_HEEL: "foot",
    L.LEFT_FOOT_INDEX: "foot", L.RIGHT_FOOT_INDEX: "foot",
    L.LEFT_ELBOW: "forearm", L.RIGHT_ELBOW: "forearm",
    L.LEFT_WRIST: "hand", L.RIGHT_WRIST: "hand",
    L.LEFT_INDEX: "foot", L.RIGHT_INDEX: "foot",
    L.LEFT_EAR: "head", L.RIGHT_EAR: "head",
    L.NOSE: "foot",
}

SUPPORTS_LYING = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_HEEL, L.RIGHT_HEEL)
SUPPORTS_STANDING = (L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)
SUPPORTS_SEATED = (L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_HEEL, L.RIGHT_HEEL)
SUPPORTS_KNEELING = (L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)


@dataclass
class Placed:
    """One person in the scene: landmarks (F,33,3), the posed skeleton, and the body it was built from."""

    marks: np.ndarray
    skeleton: Skeleton
    body: BodySize

    def point(self, *landmarks: int) -> np.ndarray:
        """Mean scene position (F,3) of the given landmarks."""
        return np.mean([self.marks[:, int(m)] for m in landmarks], axis=0)

    def translate(self, delta: np.ndarray) -> None:
        """Move the whole person by delta (F,3) or (3,)."""
        delta = np.broadcast_to(np.asarray(delta, dtype=float), (self.marks.shape[0], 3))
        self.marks = self.marks + delta[:, None, :]
        for name in self.skeleton.positions:
            self.skeleton.positions[name] = self.skeleton.positions[name] + delta


def place(
    pose: Pose,
    body: BodySize,
    anchor: Sequence[int],
    anchor_xz: np.ndarray,
    supports: Sequence[int] | None,
    lift_m: np.ndarray | float = 0.0,
) -> Placed:
    """Pose the body, move it so the mean of `anchor` sits at `anchor_xz` (F,2 or 2,) and the lowest support
    rests on the floor (plus `lift_m`); supports None keeps the root height given in the pose."""
    skeleton = forward_kinematics(pose, body)
    marks = landmarks_from_skeleton(skeleton, body)
    frames = marks.shape[0]
    delta = np.zeros((frames, 3))
    anchor_now = np.mean([marks[:, int(a)] for a in anchor], axis=0)
    target = np.broadcast_to(np.asarray(anchor_xz, dtype=float), (frames, 2))
    delta[:, 0] = target[:, 0] - anchor_now[:, 0]
    delta[:, 2] = target[:, 1] - anchor_now[:, 2]
    if supports is not None:
        clearance = np.stack(
            [marks[:, int(s), 1] - body.surface_radius_m(_SUPPORT_PART[int(s)]) for s in supports], axis=1
        )
        delta[:, 1] = -clearance.min(axis=1) + lift_m
    placed = Placed(marks, skeleton, body)
    placed.translate(delta)
    return placed


def reach(
    person: Placed,
    side: str,
    target: np.ndarray,
    pole: np.ndarray,
    weight: np.ndarray,
    palm_normal: np.ndarray | None = None,
) -> None:
    """Move one arm so the wrist goes to `target` (F,3) as `weight` (F,) goes 0 → 1, elbow toward `pole`.

    At weight 0 the arm keeps its posed position; in between the wrist glides along a straight line.
    The hand points follow the forearm, the palm facing `palm_normal` (default: down).
    """
    s = side[0]
    up = side.upper()
    body = person.body
    shoulder = person.skeleton.positions[f"shoulder_{s}"]
    posed_wrist = person.skeleton.positions[f"wrist_{s}"]
    w = np.clip(np.asarray(weight, dtype=float), 0.0, 1.0)[:, None]
    wrist_goal = posed_wrist * (1 - w) + np.asarray(target, dtype=float) * w
    pole = np.broadcast_to(np.asarray(pole, dtype=float), wrist_goal.shape)
    elbow, wrist = two_bone_ik(shoulder, wrist_goal, body.upper_arm_m, body.forearm_m, pole)
    forearm_dir = _unit(wrist - elbow)
    normal = np.array([0.0, -1.0, 0.0]) if palm_normal is None else np.asarray(palm_normal, dtype=float)
    normal = np.broadcast_to(normal, wrist.shape)
    # Hand frame: fingers continue the forearm, palm (local -x for the left hand, +x for the right) faces
    # the contact normal; blend with the posed hand while the arm is still travelling.
    thumb_side = np.cross(forearm_dir, normal) * (-1.0 if side == "left" else 1.0)
    rotation_contact = frame_from_axes(forearm_dir, thumb_side)
    posed_rotation = person.skeleton.rotations[f"wrist_{s}"]
    rotation = np.where(w[:, :, None] > 0.5, rotation_contact, posed_rotation)
    # Hand points glide between the posed hand and the contact hand (no snap of the fingers mid-reach).
    hand_posed = hand_points(wrist, posed_rotation, body, side)
    hand_contact = hand_points(wrist, rotation_contact, body, side)
    hand = {k: hand_posed[k] * (1 - w) + hand_contact[k] * w for k in hand_posed}
    marks = person.marks
    marks[:, L[f"{up}_ELBOW"]] = elbow
    marks[:, L[f"{up}_WRIST"]] = wrist
    marks[:, L[f"{up}_INDEX"]] = hand["index"]
    marks[:, L[f"{up}_PINKY"]] = hand["pinky"]
    marks[:, L[f"{up}_THUMB"]] = hand["thumb"]
    person.skeleton.positions[f"elbow_{s}"] = elbow
    person.skeleton.positions[f"wrist_{s}"] = wrist
    person.skeleton.rotations[f"wrist_{s}"] = rotation


def axis_of(person: Placed, node: str, axis: str) -> np.ndarray:
    """A node's body axis in the scene (F,3): "left", "up" or "forward" (negate for right/down/back)."""
    local = {"left": (1.0, 0.0, 0.0), "up": (0.0, 1.0, 0.0), "forward": (0.0, 0.0, 1.0)}[axis]
    return person.skeleton.rotations[node] @ np.asarray(local)


def on_body(person: Placed, node: str, offset_m: tuple[float, float, float]) -> np.ndarray:
    """A point (F,3) at `offset_m` (left, up, forward) in a node's body frame, e.g. a spot on the back."""
    offset = np.asarray(offset_m, dtype=float)
    return person.skeleton.positions[node] + person.skeleton.rotations[node] @ offset


def cross_arms(person: Placed, weight: np.ndarray | float = 1.0) -> None:
    """Arms folded over the chest: each wrist in front of the opposite shoulder."""
    frames = person.marks.shape[0]
    w = np.broadcast_to(np.asarray(weight, dtype=float), (frames,))
    chest_r = person.body.surface_radius_m("chest")
    scale = person.body.height_m / 1.72
    for side, other, lateral, height in (("left", "r", 0.04, -0.16), ("right", "l", -0.04, -0.12)):
        target = on_body(person, f"shoulder_{other}", (lateral, height * scale, chest_r + 0.06))
        pole = -axis_of(person, "waist", "up") + 0.6 * axis_of(person, "waist", "forward")
        reach(person, side, target, pole, w, palm_normal=-axis_of(person, "waist", "forward"))


def pivot_about(person: Placed, moved: Sequence[int], pivot_now: np.ndarray, pivot_ref: np.ndarray) -> None:
    """Shift the `moved` landmarks so a pivot point returns to its reference position (F,3): a body part
    rolling about a point resting on the floor instead of about its own axis."""
    delta = pivot_ref - pivot_now
    for m in moved:
        person.marks[:, int(m)] += delta


UPPER_BODY: tuple[int, ...] = tuple(range(0, 23))  # face, shoulders, arms, hands


def reach_leg(
    person: Placed,
    side: str,
    target: np.ndarray,
    pole: np.ndarray,
    weight: np.ndarray,
    sole_normal: np.ndarray | None = None,
    toe_direction: np.ndarray | None = None,
) -> None:
    """Move one leg so the ankle goes to `target` (F,3) as `weight` goes 0 → 1, knee toward `pole`.

    The foot keeps the shin's posed ankle angle unless `sole_normal` and `toe_direction` are given, in which
    case the sole faces `sole_normal` and the toes point along `toe_direction` (a foot set down flat)."""
    s = side[0]
    up = side.upper()
    body = person.body
    hip = person.skeleton.positions[f"hip_{s}"]
    posed_ankle = person.skeleton.positions[f"ankle_{s}"]
    w = np.clip(np.asarray(weight, dtype=float), 0.0, 1.0)[:, None]
    goal = posed_ankle * (1 - w) + np.asarray(target, dtype=float) * w
    pole = np.broadcast_to(np.asarray(pole, dtype=float), goal.shape)
    knee, ankle = two_bone_ik(hip, goal, body.thigh_m, body.shin_m, pole)
    # Foot: heel and toe keep their offsets in the posed foot frame, re-expressed about the new shin.
    old_knee = person.skeleton.positions[f"knee_{s}"]
    old_shin = _unit(posed_ankle - old_knee)
    new_shin = _unit(ankle - knee)
    heel_old = person.marks[:, L[f"{up}_HEEL"]] - posed_ankle
    toe_old = person.marks[:, L[f"{up}_FOOT_INDEX"]] - posed_ankle
    rotation = _rotation_between(old_shin, new_shin, pole)
    heel = ankle + np.einsum("fij,fj->fi", rotation, heel_old)
    toe = ankle + np.einsum("fij,fj->fi", rotation, toe_old)
    if sole_normal is not None and toe_direction is not None:
        normal = _unit(np.broadcast_to(np.asarray(sole_normal, dtype=float), ankle.shape))
        toward = np.broadcast_to(np.asarray(toe_direction, dtype=float), ankle.shape)
        along = _unit(toward - np.sum(toward * normal, axis=-1, keepdims=True) * normal)
        foot_len = body.length(body.foot_length_ratio)
        drop = body.length(body.ankle_height_ratio)
        set_down = w * 1.0
        heel = heel * (1 - set_down) + (ankle - 0.25 * foot_len * along - drop * normal) * set_down
        toe = toe * (1 - set_down) + (ankle + 0.75 * foot_len * along - 0.8 * drop * normal) * set_down
    marks = person.marks
    marks[:, L[f"{up}_KNEE"]] = knee
    marks[:, L[f"{up}_ANKLE"]] = ankle
    marks[:, L[f"{up}_HEEL"]] = heel
    marks[:, L[f"{up}_FOOT_INDEX"]] = toe
    person.skeleton.positions[f"knee_{s}"] = knee
    person.skeleton.positions[f"ankle_{s}"] = ankle


def _rotation_between(a: np.ndarray, b: np.ndarray, fallback_axis: np.ndarray) -> np.ndarray:
    """Rotation matrices (F,3,3) turning unit vectors a into b (Rodrigues), vectorised."""
    axis = np.cross(a, b)
    sin = np.linalg.norm(axis, axis=-1)
    cos = np.sum(a * b, axis=-1)
    axis = np.where(sin[:, None] > 1e-9, axis / np.maximum(sin, 1e-12)[:, None], _unit(fallback_axis))
    kx, ky, kz = axis[:, 0], axis[:, 1], axis[:, 2]
    zero = np.zeros_like(kx)
    rows = (np.stack([zero, -kz, ky], -1), np.stack([kz, zero, -kx], -1), np.stack([-ky, kx, zero], -1))
    k = np.stack(rows, -2)
    eye = np.broadcast_to(np.eye(3), k.shape)
    return eye + sin[:, None, None] * k + (1 - cos)[:, None, None] * (k @ k)
