"""Stable identities for the two people across frames.

Each of the two person slots remembers where its person was and how fast their landmarks moved. Every frame
the poses found are matched to the slots by the cost of the best joint assignment, where the cost of giving
pose d to slot s is the mean distance between d's landmarks and s's constant-velocity prediction, measured in
units of the person's size. Comparing all 33 landmarks (not boxes) is what keeps identities apart when the
two touch or cross: their boxes overlap but their heads, hips and feet do not.

A slot that loses its person keeps the identity for `max_gap_s` (the gate widens with the gap), so a short
loss is bridged instead of starting a new person. After that the slot is free, and a newcomer may claim it
only if it is not much smaller than the other person (a bystander in the background is not our partner).

Where the two people dress differently, each slot also remembers its person's torso colour
(vision/appearance.py) and a pose that looks like the other person costs more: when the two are in contact
a pose can lie about as near to either skeleton, and the clothes then say whose it is. The memory outlives a
loss, so a person found again after a long gap returns to their own slot. Where the two dress alike the cue
is off and geometry alone decides.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from vision.appearance import likeness_to_other
from vision.estimator import Pose, pose_extent
from vision.landmarks import NUM_LANDMARKS

NUM_SLOTS = 2


@dataclass(frozen=True)
class TrackerSettings:
    max_gap_s: float = 1.5  # keep a lost person's identity this long
    match_gate: float = 0.6  # max assignment cost (mean landmark distance / person size) for a seen person
    gate_growth_per_s: float = 0.8  # the gate widens by this much per second of absence
    max_gate: float = 1.6
    # Fast motion at a low frame rate (5 fps squats) can beat the landmark gate; a pose whose box still
    # overlaps the slot's last box this much is then accepted at the cost of the gate.
    fallback_box_iou: float = 0.4
    min_newcomer_size_ratio: float = 0.5  # a newcomer must be ≥ this × the other person's size
    min_visibility: float = 0.3  # landmarks below this do not count in the matching cost
    velocity_smoothing: float = 0.5  # weight of the newest velocity estimate
    max_prediction_s: float = 0.3  # extrapolate motion at most this far
    # Appearance: cost added (in the matching cost's units) to giving a slot a pose whose torso looks wholly
    # like the other person's (0 = off); the cue acts only while the remembered colours of the two people
    # are this far apart (Lab units); a seen person's colour is learnt at this rate per frame, and only from
    # a pose matched this confidently (cost) that looks less than this like the other person (likeness
    # 0.5: three quarters of the way from this person's colour to the other's).
    appearance_weight: float = 0.5
    appearance_min_separation: float = 25.0
    appearance_learning_rate: float = 0.1
    appearance_learn_max_cost: float = 0.3
    appearance_learn_max_likeness: float = 0.5
    # A pose at least this like the other person is never given to this slot (above 1 = off). Measured with
    # each clip's true shirt colours: none of the 67,312 poses within 0.1 × size of one body of the 57
    # evaluation clips reaches 0.9, while 2.4 % of those over 0.25 × size from both (assembled from both) do.
    appearance_max_likeness: float = 0.9


DEFAULT_TRACKER_SETTINGS = TrackerSettings()


@dataclass
class _Slot:
    landmarks: np.ndarray | None = None  # (33, 4), last seen
    velocity: np.ndarray | None = None  # (33, 2) normalised units per second
    last_t_ms: int | None = None
    size: float = 0.0
    appearance: np.ndarray | None = None  # remembered torso colour (Lab); kept when the slot is freed

    def is_free(self, t_ms: int, max_gap_s: float) -> bool:
        return self.last_t_ms is None or (t_ms - self.last_t_ms) / 1000.0 > max_gap_s


@dataclass(frozen=True)
class TrackedFrame:
    poses: tuple[Pose | None, ...]  # per slot: the pose assigned this frame, or None
    costs: tuple[float | None, ...]  # per slot: matching cost of that pose (None = newcomer or absent)


class PoseTracker:
    def __init__(self, settings: TrackerSettings = DEFAULT_TRACKER_SETTINGS) -> None:
        self.settings = settings
        self._slots = [_Slot() for _ in range(NUM_SLOTS)]

    def update(self, poses: list[Pose], t_ms: int) -> TrackedFrame:
        s = self.settings
        n_slots = len(self._slots)
        costs = np.full((n_slots, len(poses)), np.inf)
        likeness = np.zeros((n_slots, len(poses)))
        for i, slot in enumerate(self._slots):
            other = self._slots[(i + 1) % n_slots]
            for j, pose in enumerate(poses):
                costs[i, j] = self._cost(slot, pose, t_ms)
                likeness[i, j] = likeness_to_other(pose.appearance, slot.appearance, other.appearance,
                                                   s.appearance_min_separation)
        penalties = s.appearance_weight * likeness
        blocked = likeness >= s.appearance_max_likeness
        penalised = np.where(blocked, np.inf, costs + penalties)

        choice = _best_assignment(penalised, [pose.size for pose in poses], penalties)
        assigned: list[Pose | None] = []
        assigned_costs: list[float | None] = []
        for i, j in enumerate(choice):
            if j is None:
                assigned.append(None)
                assigned_costs.append(None)
                continue
            cost = costs[i, j]
            known = not np.isnan(cost)
            learn = (known and cost <= s.appearance_learn_max_cost
                     and likeness[i, j] < s.appearance_learn_max_likeness)
            self._observe(self._slots[i], poses[j], t_ms, learn_appearance=learn)
            assigned.append(poses[j])
            assigned_costs.append(float(cost) if known else None)
        # a newcomer may not claim a free slot if it is much smaller than the other (present) person
        for i, j in enumerate(choice):
            if j is None or assigned_costs[i] is not None:
                continue
            others = [p.size for k, p in enumerate(assigned) if k != i and p is not None]
            if others and poses[j].size < s.min_newcomer_size_ratio * max(others):
                self._slots[i] = _Slot(appearance=self._slots[i].appearance)
                assigned[i] = None
        return TrackedFrame(tuple(assigned), tuple(assigned_costs))

    def _cost(self, slot: _Slot, pose: Pose, t_ms: int) -> float:
        """Matching cost; NaN marks a free slot (any pose may claim it), inf an impossible match."""
        s = self.settings
        if slot.is_free(t_ms, s.max_gap_s):
            return float("nan")
        gap_s = (t_ms - slot.last_t_ms) / 1000.0
        predicted = slot.landmarks[:, :2]
        if slot.velocity is not None:
            predicted = predicted + slot.velocity * min(gap_s, s.max_prediction_s)
        visible = (slot.landmarks[:, 3] >= s.min_visibility) & (pose.landmarks[:, 3] >= s.min_visibility)
        if visible.sum() < 4:
            visible = np.ones(NUM_LANDMARKS, dtype=bool)
        distance = np.linalg.norm(pose.landmarks[visible, :2] - predicted[visible], axis=-1).mean()
        cost = float(distance / max(slot.size, 1e-3))
        gate = min(s.match_gate + s.gate_growth_per_s * gap_s, s.max_gate)
        if cost <= gate:
            return cost
        if box_iou(slot.landmarks, pose.landmarks) >= s.fallback_box_iou:
            return gate
        return float("inf")

    def _observe(self, slot: _Slot, pose: Pose, t_ms: int, learn_appearance: bool) -> None:
        s = self.settings
        colour = pose.appearance
        if colour is not None and np.isfinite(colour).all():
            if slot.appearance is None:
                slot.appearance = np.asarray(colour, dtype=np.float32)
            elif learn_appearance:
                rate = s.appearance_learning_rate
                slot.appearance = (1 - rate) * slot.appearance + rate * colour
        if slot.landmarks is not None and slot.last_t_ms is not None and t_ms > slot.last_t_ms:
            dt_s = (t_ms - slot.last_t_ms) / 1000.0
            if dt_s <= s.max_gap_s:
                velocity = (pose.landmarks[:, :2] - slot.landmarks[:, :2]) / dt_s
                if slot.velocity is None:
                    slot.velocity = velocity
                else:
                    weight = s.velocity_smoothing
                    slot.velocity = weight * velocity + (1 - weight) * slot.velocity
            else:
                slot.velocity = None
        slot.landmarks = pose.landmarks
        slot.last_t_ms = t_ms
        slot.size = float(pose_extent(pose.landmarks[None])[0])


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of the bounding boxes of two (33, ≥2) landmark arrays."""
    a_min, a_max = np.nanmin(a[:, :2], axis=0), np.nanmax(a[:, :2], axis=0)
    b_min, b_max = np.nanmin(b[:, :2], axis=0), np.nanmax(b[:, :2], axis=0)
    overlap = np.clip(np.minimum(a_max, b_max) - np.maximum(a_min, b_min), 0, None)
    intersection = float(overlap[0] * overlap[1])
    union = float(np.prod(a_max - a_min) + np.prod(b_max - b_min)) - intersection
    return intersection / union if union > 0 else 0.0


def drop_short_runs(landmarks: np.ndarray, world: np.ndarray | None, min_run_frames: int
                    ) -> tuple[np.ndarray, np.ndarray | None]:
    """Blank each person's runs of presence shorter than `min_run_frames` (batch only: a bystander or a
    false pose that flickers in for a frame or two). Tracks shorter than 2 × min_run_frames are left alone,
    so a still image keeps its people."""
    frames = landmarks.shape[0]
    if frames < 2 * min_run_frames:
        return landmarks, world
    landmarks = landmarks.copy()
    world = None if world is None else world.copy()
    present = ~np.isnan(landmarks[..., 0]).all(axis=-1)
    for person in range(landmarks.shape[1]):
        start = None
        for f in range(frames + 1):
            here = f < frames and present[f, person]
            if here and start is None:
                start = f
            elif not here and start is not None:
                if f - start < min_run_frames:
                    landmarks[start:f, person] = np.nan
                    if world is not None:
                        world[start:f, person] = np.nan
                start = None
    return landmarks, world


def _best_assignment(costs: np.ndarray, sizes: list[float],
                     newcomer_costs: np.ndarray | None = None) -> tuple[int | None, ...]:
    """Per slot the pose index (or None): most people re-found, then most matches, then the lowest cost,
    then newcomers that look most like whom their slot last held, then the largest newcomers.

    costs: (slots, poses), NaN = free slot (anyone may claim it), inf = not allowed; newcomer_costs: the
    appearance costs, which rank newcomers on free slots. Exhaustive, since there are two slots and a
    handful of poses.
    """
    n_slots, n_poses = costs.shape
    best_key: tuple[float, ...] | None = None
    best: tuple[int | None, ...] = (None,) * n_slots
    for choice in itertools.product([*range(n_poses), None], repeat=n_slots):
        used = [j for j in choice if j is not None]
        if len(used) != len(set(used)):
            continue
        pairs = [(i, j) for i, j in enumerate(choice) if j is not None]
        if any(np.isinf(costs[i, j]) for i, j in pairs):
            continue
        total_cost = sum(float(costs[i, j]) for i, j in pairs if not np.isnan(costs[i, j]))
        known = sum(1 for i, j in pairs if not np.isnan(costs[i, j]))
        newcomers = [(i, j) for i, j in pairs if np.isnan(costs[i, j])]
        newcomer_size = sum(sizes[j] for i, j in newcomers)
        newcomer_cost = (0.0 if newcomer_costs is None
                         else sum(float(newcomer_costs[i, j]) for i, j in newcomers))
        key = (-known, -len(pairs), round(total_cost, 9), round(newcomer_cost, 9), -newcomer_size)
        if best_key is None or key < best_key:
            best_key, best = key, choice
    return best
