"""Pure metric functions: both people's landmarks over F frames in, one float per frame out.

Every metric takes a `PoseFrames` (the evaluated frames of the client and the partner, already gated by
visibility) and returns float64 (F,) with NaN wherever a landmark it needs is hidden, so a check pauses
instead of guessing. Distances are in trunk lengths (mid-hip → mid-shoulder of the person measured), angles
in degrees, speeds in degrees per second from the frame timestamps (never frame counts).

Coordinates: image landmarks are converted to pixels (x and y are normalised by different sizes); image y
grows downwards, so "higher" means smaller y. World landmarks (metres, MediaPipe's camera-aligned axes with
y down, hip-centred per person) are used for joint angles and 3-D distances within one person, where they
survive oblique camera angles and foreshortening; distances between the two people always use the image.

Conventions the synthetic model and the tests rely on:
- "lean" is the mid-hip → mid-shoulder line's angle from vertical in the image, positive toward the
  person's front (the side their legs / toes / face point to); lean back is its negative.
- "rise" is how far a landmark sits above the person's own mid-shoulder level in the image, in trunk
  lengths: for a person lying on the floor the shoulders stay on the floor, so they are the floor
  reference, whatever the camera distance or the body size.
- "knee drop" is the angle of the thigh, in the plane across the body (perpendicular to the trunk), away
  from straight up: 0 with the knee pointing at the ceiling, 90 with it lying on the floor to the side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from stretches import steadiness
from stretches.steadiness import angle_misreads, flickering, pose_jumps, segment_starts
from stretches.windows import causal_window_mean, window_mean
from vision import geometry as g
from vision.landmarks import Landmark as L

VISIBILITY_GATE = 0.5  # a landmark below this MediaPipe visibility is treated as hidden
MAX_TRUNK_LEAN_DEG = 135.0  # seated or standing, the trunk never leans further from vertical
SPEED_WINDOW_S = 0.4  # angular speed = change of the mean angle between the two halves of this window
FACING_WINDOW_S = 10.0  # which way a person faces: majority of the per-frame votes over this window
SPEED_GAP_BRIDGE_S = 0.4  # after a gap, the older half-window may reach this much further back
LANDMARK_SMOOTHING_S = 0.25  # causal mean of each visible landmark over this window, before any metric
SMOOTHING_WINDOW_S = 0.0  # optional extra causal mean of per-frame metrics (0 = off: landmarks are smoothed)

ROLES = ("client", "partner")
WORLD_DOWN = np.array([0.0, 1.0, 0.0])  # MediaPipe world axes: y points down


@dataclass(frozen=True)
class PoseFrames:
    """The evaluated frames of both people, gated by visibility and smoothed on first use.

    `point(role, lm)` / `world_point(role, lm)` give one landmark's (F, 2) pixel / (F, 3) metre positions,
    NaN where hidden, smoothed by a causal mean over `smoothing_s`; each is computed once, when a metric
    first asks for it, so a stretch pays only for the landmarks its checks use.
    """

    t_s: np.ndarray  # float64 (F,)
    visible: dict[str, np.ndarray]  # role → bool (F, 33)
    image_size: tuple[int, int]
    visibility: dict[str, np.ndarray]  # role → float (F, 33) raw confidence, 0 where absent
    raw: dict[str, np.ndarray | None]  # role → float32 (F, 33, 4) landmarks, or None when the role is absent
    raw_world: dict[str, np.ndarray | None]  # role → float32 (F, 33, 3) world landmarks, or None
    smoothing_s: float = 0.0
    # role → (F,) int: the earliest frame a causal window ending at each frame may use (the latest jump of
    # that person's pose, stretches/steadiness.py); empty = windows are bounded by time only.
    segment_start: dict = field(default_factory=dict, compare=False, repr=False)
    cache: dict = field(default_factory=dict, compare=False, repr=False)  # derived arrays shared by metrics
    # (role, "seated" | "standing") → facing per frame, supplied by the live path (which keeps the tally
    # of votes older than its buffer); empty = computed from these frames' votes.
    facing: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def num_frames(self) -> int:
        return int(self.t_s.shape[0])

    def has_world(self, role: str) -> bool:
        return self.raw_world.get(role) is not None

    def point(self, role: str, lm: int) -> np.ndarray:
        key = ("px", role, int(lm))
        if key not in self.cache:
            raw = self.raw.get(role)
            if raw is None:
                value = np.full((self.num_frames, 2), np.nan)
            else:
                scale = np.array([float(self.image_size[0]), float(self.image_size[1])])
                xy = raw[:, int(lm), :2].astype(np.float64) * scale
                value = self._smooth(np.where(self.visible[role][:, int(lm), None], xy, np.nan), role)
            self.cache[key] = value
        return self.cache[key]

    def world_point(self, role: str, lm: int) -> np.ndarray | None:
        raw = self.raw_world.get(role)
        if raw is None:
            return None
        key = ("world", role, int(lm))
        if key not in self.cache:
            w = raw[:, int(lm)].astype(np.float64)
            gated = np.where(self.visible[role][:, int(lm), None] & np.isfinite(w), w, np.nan)
            self.cache[key] = self._smooth(gated, role)
        return self.cache[key]

    def depth_point(self, role: str, lm: int) -> np.ndarray:
        """(F, 3) pixel x, y and the estimator's relative depth z scaled like x: a rough 3-D stand-in for
        world landmarks when a track has none."""
        key = ("depth", role, int(lm))
        if key not in self.cache:
            raw = self.raw.get(role)
            if raw is None:
                value = np.full((self.num_frames, 3), np.nan)
            else:
                width, height = float(self.image_size[0]), float(self.image_size[1])
                xyz = raw[:, int(lm), :3].astype(np.float64) * np.array([width, height, width])
                ok = self.visible[role][:, int(lm), None] & np.isfinite(xyz)
                value = self._smooth(np.where(ok, xyz, np.nan), role)
            self.cache[key] = value
        return self.cache[key]

    def window_floor(self, role: str | None = None) -> np.ndarray | None:
        """(F,) int: the earliest frame a causal window may use for one role's landmarks, or (role None) for
        a metric of both people; None when no pose ever jumped."""
        starts = [self.segment_start[r] for r in ((role,) if role else ROLES) if r in self.segment_start]
        return np.maximum.reduce(starts) if starts else None

    def _smooth(self, values: np.ndarray, role: str) -> np.ndarray:
        if self.smoothing_s <= 0 or self.num_frames == 0:
            return values
        key = ("window_start", role)
        if key not in self.cache:
            start = np.searchsorted(self.t_s, self.t_s - self.smoothing_s, side="right")
            floor = self.window_floor(role)
            self.cache[key] = start if floor is None else np.maximum(start, floor)
        return _window_mean_rows(values, self.cache[key])


def pose_frames(
    t_ms: np.ndarray,
    landmarks: np.ndarray,
    world: np.ndarray | None,
    roles: dict[str, int],
    image_size: tuple[int, int],
    smoothing_s: float = LANDMARK_SMOOTHING_S,
    steadiness_gate: bool = True,
    skeleton_ratios: dict[str, np.ndarray] | None = None,
) -> PoseFrames:
    """Split landmarks (F, P, 33, 4) / world (F, P, 33, 3) by role and gate them by visibility and, with
    `steadiness_gate`, by steadiness (a landmark whose guess flickers is hidden, and no smoothing or speed
    window reaches back across a jump of the whole pose, and a pose whose skeleton shrank well below the
    person's own is hidden whole: stretches/steadiness.py). skeleton_ratios: role → (F,) each frame's bone
    ratio, from the live path's running reference (which remembers frames older than its buffer); None =
    computed here from `world` over these frames.

    Smoothing (applied lazily, per landmark) is a causal mean over `smoothing_s` of each landmark's visible
    positions: it takes the estimator's frame-to-frame jitter out before any non-linear metric (a noisy
    straight knee would otherwise read as bent), never fills a hidden frame, and needs only that much
    history live.
    """
    t_s = np.asarray(t_ms, dtype=np.float64) / 1000.0
    frames = landmarks.shape[0]
    visible: dict[str, np.ndarray] = {}
    confidence: dict[str, np.ndarray] = {}
    raw: dict[str, np.ndarray | None] = {}
    raw_world: dict[str, np.ndarray | None] = {}
    segment_start: dict[str, np.ndarray] = {}
    for role in ROLES:
        index = roles.get(role)
        if index is None or index >= landmarks.shape[1]:
            visible[role] = np.zeros((frames, 33), dtype=bool)
            confidence[role] = np.zeros((frames, 33))
            raw[role] = None
            raw_world[role] = None
            continue
        person = landmarks[:, index]
        vis = np.nan_to_num(person[..., 3].astype(np.float64))
        finite = np.isfinite(person[..., 0]) & np.isfinite(person[..., 1])
        visible[role] = finite & (vis >= VISIBILITY_GATE)
        if steadiness_gate:
            pixels = person[..., :2].astype(np.float64) * np.array(image_size[:2], dtype=np.float64)
            visible[role] &= ~flickering(np.where(visible[role][..., None], pixels, np.nan), t_s)
            jumps = pose_jumps(pixels, t_s)  # raw: NaN only where the person is absent
            if jumps.any():
                segment_start[role] = segment_starts(jumps)
            if skeleton_ratios is not None and role in skeleton_ratios:
                ratios = skeleton_ratios[role]
            else:
                ratios = steadiness.skeleton_ratios(None if world is None else world[:, index], frames)
            visible[role] &= ~steadiness.skeleton_collapsed(ratios)[:, None]
        confidence[role] = np.where(finite, vis, 0.0)
        raw[role] = person
        raw_world[role] = None if world is None else world[:, index]
    return PoseFrames(
        t_s=t_s,
        visible=visible,
        image_size=(int(image_size[0]), int(image_size[1])),
        visibility=confidence,
        raw=raw,
        raw_world=raw_world,
        smoothing_s=smoothing_s,
        segment_start=segment_start,
    )


def _window_mean_rows(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Mean of the finite rows start[i] .. i of (F, D) values for every i; a hidden (NaN) row stays hidden."""
    mean = window_mean(values, start, np.arange(1, values.shape[0] + 1))
    mean[~np.isfinite(values)] = np.nan
    return mean


# ---------------------------------------------------------------- landmark access


def _p(f: PoseFrames, role: str, lm: L) -> np.ndarray:
    return f.point(role, lm)


def _w(f: PoseFrames, role: str, lm: L) -> np.ndarray | None:
    return f.world_point(role, lm)


def _mid(f: PoseFrames, role: str, left: L, right: L, world: bool = False) -> np.ndarray | None:
    key = ("mid", role, int(left), int(right), world)
    if key not in f.cache:
        f.cache[key] = _mid_uncached(f, role, left, right, world)
    return f.cache[key]


def _mid_uncached(f: PoseFrames, role: str, left: L, right: L, world: bool) -> np.ndarray | None:
    if world:
        wl, wr = _w(f, role, left), _w(f, role, right)
        return None if wl is None else g.mean_of_visible(wl, wr)
    return g.mean_of_visible(_p(f, role, left), _p(f, role, right))


def mid_shoulder(f: PoseFrames, role: str) -> np.ndarray:
    return _mid(f, role, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)


def mid_hip(f: PoseFrames, role: str) -> np.ndarray:
    return _mid(f, role, L.LEFT_HIP, L.RIGHT_HIP)


def trunk_px(f: PoseFrames, role: str) -> np.ndarray:
    """Trunk length in pixels (mid-hip → mid-shoulder, using the visible side when one is hidden)."""
    key = ("trunk_px", role)
    if key not in f.cache:
        f.cache[key] = g.distance(mid_shoulder(f, role), mid_hip(f, role))
    return f.cache[key]


def trunk_world(f: PoseFrames, role: str) -> np.ndarray | None:
    shoulder = _mid(f, role, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, world=True)
    hip = _mid(f, role, L.LEFT_HIP, L.RIGHT_HIP, world=True)
    return None if shoulder is None else g.distance(shoulder, hip)


def _prefer_world(world_value: np.ndarray | None, image_value: np.ndarray) -> np.ndarray:
    """World-based value where it exists, the image-based one elsewhere (world absent or NaN)."""
    if world_value is None:
        return image_value
    return np.where(np.isfinite(world_value), world_value, image_value)


def joint_angle(f: PoseFrames, role: str, a: L, joint: L, c: L) -> np.ndarray:
    """Angle at `joint` in degrees (180 = straight), from world landmarks when present, else the image."""
    key = ("joint_angle", role, int(a), int(joint), int(c))
    if key not in f.cache:
        f.cache[key] = _joint_angle_uncached(f, role, a, joint, c)
    return f.cache[key]


def _joint_angle_uncached(f: PoseFrames, role: str, a: L, joint: L, c: L) -> np.ndarray:
    image = g.joint_angle(_p(f, role, a), _p(f, role, joint), _p(f, role, c))
    wa, wj, wc = _w(f, role, a), _w(f, role, joint), _w(f, role, c)
    world = None if wa is None else g.joint_angle(wa, wj, wc)
    return _prefer_world(world, image)


def distance_trunks(f: PoseFrames, role: str, a: L, b: L) -> np.ndarray:
    """Distance between two of one person's landmarks in trunk lengths, 3-D when world landmarks exist."""
    image = g.in_trunks(g.distance(_p(f, role, a), _p(f, role, b)), trunk_px(f, role))
    wa, wb = _w(f, role, a), _w(f, role, b)
    world = None if wa is None else g.in_trunks(g.distance(wa, wb), trunk_world(f, role))
    return _prefer_world(world, image)


def _raw_point(f: PoseFrames, role: str, lm: L) -> np.ndarray:
    """One landmark's gated pixel position without smoothing: depends on its own frame only."""
    key = ("raw_px", role, int(lm))
    if key not in f.cache:
        raw = f.raw.get(role)
        if raw is None:
            f.cache[key] = np.full((f.num_frames, 2), np.nan)
        else:
            scale = np.array([float(f.image_size[0]), float(f.image_size[1])])
            xy = raw[:, int(lm), :2].astype(np.float64) * scale
            f.cache[key] = np.where(f.visible[role][:, int(lm), None], xy, np.nan)
    return f.cache[key]


def _raw_mid_x(f: PoseFrames, role: str, *lms: L) -> np.ndarray:
    xs = np.stack([_raw_point(f, role, lm)[:, 0] for lm in lms])
    finite = np.isfinite(xs)
    count = finite.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.where(finite, xs, 0.0).sum(axis=0) / count, np.nan)


def facing_votes(f: PoseFrames, role: str, kind: str) -> np.ndarray:
    """int8 per frame: +1 facing +x in the image, -1 facing -x, 0 no opinion; from that frame alone.

    seated / kneeling: the legs lie ahead of the hips (the face decides when they do not say).
    standing: the toes point ahead of the heels (counts double) and the nose ahead of the ears.
    """
    face = np.sign(_raw_mid_x(f, role, L.NOSE) - _raw_mid_x(f, role, L.LEFT_EAR, L.RIGHT_EAR))
    if kind == "seated":
        legs = _raw_mid_x(f, role, L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE)
        vote = np.sign(legs - _raw_mid_x(f, role, L.LEFT_HIP, L.RIGHT_HIP))
        vote = np.where(np.nan_to_num(vote) == 0, face, vote)
    else:
        feet = np.sign(
            _raw_mid_x(f, role, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)
            - _raw_mid_x(f, role, L.LEFT_HEEL, L.RIGHT_HEEL)
        )
        vote = np.sign(2 * np.nan_to_num(feet) + np.nan_to_num(face))
    return np.nan_to_num(vote).astype(np.int8)


def facing_from_votes(votes: np.ndarray, t_s: np.ndarray, window_s: float = FACING_WINDOW_S) -> np.ndarray:
    """+1 / -1 by majority of the votes of the last `window_s` (NaN when there is none).

    People do not turn around mid-stretch, but the estimator's legs, feet or face flip now and then; a
    single frame's opinion would flip the sign of every lean with them. Integer sums, so the live path's
    running tally is exactly the batch one.
    """
    csum = np.concatenate([[0], np.cumsum(votes.astype(np.int64))])
    start = np.searchsorted(t_s, t_s - window_s, side="right")
    total = csum[1:] - csum[start]
    sign = np.sign(total).astype(np.float64)
    sign = np.where(sign == 0, np.sign(votes).astype(np.float64), sign)
    return np.where(sign == 0, np.nan, sign)


def forward_sign(f: PoseFrames, role: str, kind: str) -> np.ndarray:
    """The person's facing per frame (+1 = +x): the live path passes it in, the batch path computes it."""
    given = f.facing.get((role, kind))
    if given is not None:
        return given
    key = ("facing", role, kind)
    if key not in f.cache:
        f.cache[key] = facing_from_votes(facing_votes(f, role, kind), f.t_s)
    return f.cache[key]


def forward_sign_seated(f: PoseFrames, role: str) -> np.ndarray:
    """+1 when a seated or kneeling person faces +x in the image, -1 when -x."""
    return forward_sign(f, role, "seated")


def forward_sign_standing(f: PoseFrames, role: str) -> np.ndarray:
    """+1 when a standing person faces +x in the image, -1 when -x."""
    return forward_sign(f, role, "standing")


def trunk_lean_deg(f: PoseFrames, role: str, forward_sign: np.ndarray) -> np.ndarray:
    """Trunk angle from vertical in the image, positive leaning toward the person's front.

    NaN beyond MAX_TRUNK_LEAN_DEG: a sitting or standing person's shoulders are never that far below their
    hips, so such a reading is a pose the model assembled from both bodies, not a posture."""
    tilt = g.angle_from_vertical(mid_shoulder(f, role) - mid_hip(f, role))
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(tilt) > MAX_TRUNK_LEAN_DEG, np.nan, tilt * forward_sign)


def rise_above_shoulders(f: PoseFrames, role: str, point_px: np.ndarray) -> np.ndarray:
    """Height of a point above the person's mid-shoulder level in the image, in trunk lengths."""
    return g.in_trunks(mid_shoulder(f, role)[:, 1] - point_px[:, 1], trunk_px(f, role))


def _p3(f: PoseFrames, role: str, lm: L) -> np.ndarray:
    """A 3-D position (y down): world landmarks when the track has them, else image x, y and relative z."""
    world = f.world_point(role, lm)
    return world if world is not None else f.depth_point(role, lm)


def _mid3(f: PoseFrames, role: str, left: L, right: L) -> np.ndarray:
    key = ("mid3", role, int(left), int(right))
    if key not in f.cache:
        f.cache[key] = g.mean_of_visible(_p3(f, role, left), _p3(f, role, right))
    return f.cache[key]


def knee_drop_deg(f: PoseFrames, role: str, hip3: np.ndarray, knee3: np.ndarray) -> np.ndarray:
    """Angle of the hip → knee line away from straight up, measured across the body (see module doc).

    The thigh with its component along the trunk removed, against "up" with the same removal, in 3-D:
    world landmarks when present, else the image with the estimator's relative depth (rougher).
    """
    axis = _mid3(f, role, L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - _mid3(f, role, L.LEFT_HIP, L.RIGHT_HIP)
    axis_len = g.norm(axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = axis / axis_len[:, None]
    thigh = knee3 - hip3
    up = np.broadcast_to(-WORLD_DOWN, thigh.shape)
    thigh_across = thigh - np.sum(thigh * unit, axis=-1, keepdims=True) * unit
    up_across = up - np.sum(up * unit, axis=-1, keepdims=True) * unit
    return g.angle_between(thigh_across, up_across)


def _pick(side_is_left: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Per frame, the left or right value (scalars or points); NaN where the side is unknown."""
    side = side_is_left.reshape(side_is_left.shape + (1,) * (np.ndim(left) - side_is_left.ndim))
    out = np.where(side == 1, left, right)
    return np.where(np.isnan(side), np.nan, out)


def _side_from_scores(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """1.0 where the left score is larger, 0.0 where the right is, NaN where either is missing or tied."""
    side = np.where(left > right, 1.0, 0.0)
    return np.where(np.isfinite(left) & np.isfinite(right) & (left != right), side, np.nan)


# ---------------------------------------------------------------- speeds and smoothing (causal, shared)


def smooth(values: np.ndarray, t_s: np.ndarray, window_s: float = SMOOTHING_WINDOW_S) -> np.ndarray:
    """Causal mean over the last window_s; NaN wherever the current frame is NaN (never fills a gap)."""
    values = np.asarray(values, dtype=np.float64)
    if window_s <= 0:
        return values
    mean = causal_window_mean(values, t_s, window_s, 0.0)
    return np.where(np.isfinite(values), mean, np.nan)


def angular_speed_deg_s(
    angle_deg: np.ndarray, t_s: np.ndarray, window_s: float = SPEED_WINDOW_S,
    not_before: np.ndarray | None = None, settle_s: float = 0.0,
) -> np.ndarray:
    """|d angle / dt| in deg/s: mean angle of the newer half-window minus the older half, over their time gap.

    Averaging each half makes 1 %-of-image landmark jitter negligible, and using timestamps keeps the speed
    right when frames are dropped. NaN while either half has no visible frame or the current one is hidden.
    not_before: (F,) int, the earliest frame each window may use (a jump of the pose; -1 = none): after a
    jump the speed stays unknown until a whole window (plus `settle_s`, the landmark smoothing's own window)
    holds only frames after it, so a few noisy frames are never read as a speed.
    """
    half = window_s / 2.0
    t_s = np.asarray(t_s, dtype=np.float64)
    angle_deg = np.asarray(angle_deg, dtype=np.float64)
    finite = np.isfinite(angle_deg)
    # Angle and time of the visible frames side by side, so each window is averaged in one pass.
    both = np.stack([angle_deg, np.where(finite, t_s, np.nan)], axis=1)
    newer, t_newer = causal_window_mean(both, t_s, half, 0.0, not_before).T
    older, t_older = causal_window_mean(both, t_s, window_s, half, not_before).T
    # Right after a detection gap the older half may be empty: reach further back, up to SPEED_GAP_BRIDGE_S.
    older_far, t_older_far = causal_window_mean(both, t_s, window_s + SPEED_GAP_BRIDGE_S, half, not_before).T
    empty = ~np.isfinite(older)
    older = np.where(empty, older_far, older)
    t_older = np.where(empty, t_older_far, t_older)
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = np.abs(newer - older) / (t_newer - t_older)
    speed = np.where(finite & (t_newer > t_older), speed, np.nan)
    if not_before is not None:
        since_jump_s = t_s - t_s[np.maximum(not_before, 0)]
        speed[(not_before >= 0) & (since_jump_s < window_s + settle_s)] = np.nan
    return speed


# ---------------------------------------------------------------- per-stretch main angles and sides
# Main angle: the stretched joint's angle, oriented so that larger = deeper into the stretch.


def lean_back_seated(f: PoseFrames) -> np.ndarray:
    return -trunk_lean_deg(f, "client", forward_sign_seated(f, "client"))


def lean_back_standing(f: PoseFrames) -> np.ndarray:
    return -trunk_lean_deg(f, "client", forward_sign_standing(f, "client"))


def lean_forward_seated(f: PoseFrames) -> np.ndarray:
    return trunk_lean_deg(f, "client", forward_sign_seated(f, "client"))


def both_knees_drop(f: PoseFrames) -> np.ndarray:
    """Knee drop of the two bent knees together (supine thoracic rotation)."""
    hip = _mid3(f, "client", L.LEFT_HIP, L.RIGHT_HIP)
    knee = _mid3(f, "client", L.LEFT_KNEE, L.RIGHT_KNEE)
    return knee_drop_deg(f, "client", hip, knee)


def hip_flexion(f: PoseFrames, side: str) -> np.ndarray:
    """180 - the shoulder–hip–knee angle of one side: 0 lying or standing straight, ~90 sitting."""
    hip, knee = (L.LEFT_HIP, L.LEFT_KNEE) if side == "left" else (L.RIGHT_HIP, L.RIGHT_KNEE)
    shoulder = L.LEFT_SHOULDER if side == "left" else L.RIGHT_SHOULDER
    return 180.0 - joint_angle(f, "client", shoulder, hip, knee)


def knee_angle(f: PoseFrames, role: str, side: str) -> np.ndarray:
    if side == "left":
        return joint_angle(f, role, L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE)
    return joint_angle(f, role, L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE)


def childs_pose_hip_flexion(f: PoseFrames) -> np.ndarray:
    return g.nan_max(hip_flexion(f, "left"), hip_flexion(f, "right"))


def leg_raise(f: PoseFrames, side: str) -> np.ndarray:
    """Angle of one leg (hip → ankle) up from the line of the trunk: 0 lying flat, 90 pointing up."""
    hip, ankle = (L.LEFT_HIP, L.LEFT_ANKLE) if side == "left" else (L.RIGHT_HIP, L.RIGHT_ANKLE)
    shoulder = L.LEFT_SHOULDER if side == "left" else L.RIGHT_SHOULDER
    return 180.0 - joint_angle(f, "client", shoulder, hip, ankle)


def hamstring_side(f: PoseFrames) -> np.ndarray:
    """1 = left leg raised, 0 = right, NaN unknown: the raised leg is the one further from the floor line."""
    return _side_from_scores(leg_raise(f, "left"), leg_raise(f, "right"))


def hamstring_raise(f: PoseFrames) -> np.ndarray:
    return g.nan_max(leg_raise(f, "left"), leg_raise(f, "right"))


def figure_four_hip_flexion(f: PoseFrames) -> np.ndarray:
    return g.nan_max(hip_flexion(f, "left"), hip_flexion(f, "right"))


def _ankle_to_other_thigh(f: PoseFrames, side: str) -> np.ndarray:
    """Distance from one ankle to the other leg's thigh (hip–knee segment), in trunks, 3-D when possible."""
    if side == "left":
        ankle, hip, knee = L.LEFT_ANKLE, L.RIGHT_HIP, L.RIGHT_KNEE
    else:
        ankle, hip, knee = L.RIGHT_ANKLE, L.LEFT_HIP, L.LEFT_KNEE
    image = g.in_trunks(
        g.point_to_segment_distance(_p(f, "client", ankle), _p(f, "client", hip), _p(f, "client", knee)),
        trunk_px(f, "client"),
    )
    wa = _w(f, "client", ankle)
    if wa is None:
        return image
    world = g.in_trunks(
        g.point_to_segment_distance(wa, _w(f, "client", hip), _w(f, "client", knee)), trunk_world(f, "client")
    )
    return _prefer_world(world, image)


def figure_four_side(f: PoseFrames) -> np.ndarray:
    """The crossed leg: the ankle nearer the other thigh (1 = left ankle crossed over the right thigh)."""
    return _side_from_scores(-_ankle_to_other_thigh(f, "left"), -_ankle_to_other_thigh(f, "right"))


def knee_flexion(f: PoseFrames, side: str) -> np.ndarray:
    return 180.0 - knee_angle(f, "client", side)


def prone_quad_flexion(f: PoseFrames) -> np.ndarray:
    return g.nan_max(knee_flexion(f, "left"), knee_flexion(f, "right"))


def prone_quad_side(f: PoseFrames) -> np.ndarray:
    return _side_from_scores(knee_flexion(f, "left"), knee_flexion(f, "right"))


def twist_side(f: PoseFrames) -> np.ndarray:
    """The leg taken across the body is bent; the other stays long (1 = left leg bent)."""
    return _side_from_scores(knee_flexion(f, "left"), knee_flexion(f, "right"))


def twist_knee_drop(f: PoseFrames) -> np.ndarray:
    side = twist_side(f)
    drops = {}
    for name, hip, knee in (("left", L.LEFT_HIP, L.LEFT_KNEE), ("right", L.RIGHT_HIP, L.RIGHT_KNEE)):
        drops[name] = knee_drop_deg(f, "client", _p3(f, "client", hip), _p3(f, "client", knee))
    return _pick(side, drops["left"], drops["right"])


def rotation_side(f: PoseFrames) -> np.ndarray:
    """The extended arm: the wrist further from its own shoulder (1 = left arm out), in 3-D.

    The outstretched arm points across the body, i.e. toward or away from a side camera, so the image alone
    foreshortens it; world landmarks (or, without them, the estimator's relative depth) see its length.
    """
    left = g.distance(_p3(f, "client", L.LEFT_SHOULDER), _p3(f, "client", L.LEFT_WRIST))
    right = g.distance(_p3(f, "client", L.RIGHT_SHOULDER), _p3(f, "client", L.RIGHT_WRIST))
    return _side_from_scores(left, right)


# ---------------------------------------------------------------- check metrics


def thoracic_lumbar_arch(f: PoseFrames) -> np.ndarray:
    return lean_back_seated(f)


def _head_base(f: PoseFrames, role: str) -> np.ndarray:
    return _mid(f, role, L.LEFT_EAR, L.RIGHT_EAR)


def thoracic_hands_on_neck(f: PoseFrames) -> np.ndarray:
    """Nearest partner wrist to the client's neck (neck base → mid-ear segment), trunk lengths."""
    neck_base = mid_shoulder(f, "client")
    head = _head_base(f, "client")
    trunk = trunk_px(f, "client")
    dists = [
        g.in_trunks(g.point_to_segment_distance(_p(f, "partner", w), neck_base, head), trunk)
        for w in (L.LEFT_WRIST, L.RIGHT_WRIST)
    ]
    return g.nan_min(*dists)


def neck_flexion_deg(f: PoseFrames, forward_sign: np.ndarray) -> np.ndarray:
    """Signed angle from the trunk line (hip → shoulder) to the neck line (shoulder → ear), + = head down."""
    trunk_vec = mid_shoulder(f, "client") - mid_hip(f, "client")
    neck_vec = _head_base(f, "client") - mid_shoulder(f, "client")
    # In image axes (y down) a positive signed_angle_2d is clockwise on screen; facing +x, a forward bend
    # of the head is clockwise.
    return (
        g.signed_angle_2d(trunk_vec * np.array([1.0, -1.0]), neck_vec * np.array([1.0, -1.0])) * -forward_sign
    )


def thoracic_neck_extension(f: PoseFrames) -> np.ndarray:
    return -neck_flexion_deg(f, forward_sign_seated(f, "client"))


def shoulder_tilt(f: PoseFrames) -> np.ndarray:
    """Signed image height difference between the client's shoulders (left below right = +), trunk lengths.

    Lying on the back both rest on the floor, so the difference stays what the camera's angle makes it
    until one shoulder rises; the checks compare it with its value at rest (Check.baseline_s)."""
    left = _p(f, "client", L.LEFT_SHOULDER)
    right = _p(f, "client", L.RIGHT_SHOULDER)
    return g.in_trunks(left[:, 1] - right[:, 1], trunk_px(f, "client"))


def fold_upper_back_rounding(f: PoseFrames) -> np.ndarray:
    return neck_flexion_deg(f, forward_sign_seated(f, "client"))


def lean_speed(f: PoseFrames) -> np.ndarray:
    return speed_cached(f, lean_forward_seated)


def backbend_depth(f: PoseFrames) -> np.ndarray:
    return lean_back_standing(f)


def backbend_support_hands(f: PoseFrames) -> np.ndarray:
    """Nearest partner wrist to the client's mid-hip, in client trunk lengths."""
    hip = mid_hip(f, "client")
    trunk = trunk_px(f, "client")
    return g.nan_min(
        *(g.in_trunks(g.distance(_p(f, "partner", w), hip), trunk) for w in (L.LEFT_WRIST, L.RIGHT_WRIST))
    )


def backbend_partner_stance(f: PoseFrames) -> np.ndarray:
    """Partner's ankle spread over their shoulder width, 3-D when world landmarks exist."""

    def spread(role_world: bool) -> np.ndarray | None:
        if role_world:
            la, ra = _w(f, "partner", L.LEFT_ANKLE), _w(f, "partner", L.RIGHT_ANKLE)
            ls, rs = _w(f, "partner", L.LEFT_SHOULDER), _w(f, "partner", L.RIGHT_SHOULDER)
            if la is None:
                return None
        else:
            la, ra = _p(f, "partner", L.LEFT_ANKLE), _p(f, "partner", L.RIGHT_ANKLE)
            ls, rs = _p(f, "partner", L.LEFT_SHOULDER), _p(f, "partner", L.RIGHT_SHOULDER)
        return g.in_trunks(g.distance(la, ra), g.distance(ls, rs))

    return _prefer_world(spread(True), spread(False))


def backbend_client_collapse(f: PoseFrames) -> np.ndarray:
    """Largest knee flexion (180 - knee angle) of the client's two legs."""
    return g.nan_max(180.0 - knee_angle(f, "client", "left"), 180.0 - knee_angle(f, "client", "right"))


def childs_hips_off_heels(f: PoseFrames) -> np.ndarray:
    hip = mid_hip(f, "client")
    trunk = trunk_px(f, "client")
    return g.nan_min(
        *(g.in_trunks(g.distance(hip, _p(f, "client", h)), trunk) for h in (L.LEFT_HEEL, L.RIGHT_HEEL))
    )


def childs_pressure_position(f: PoseFrames) -> np.ndarray:
    """Worst partner wrist: (its distance to the client's hips - to the client's shoulders) / trunk.

    Positive = the hand is nearer the upper back / neck than the lower back.
    """
    hip = mid_hip(f, "client")
    shoulder = mid_shoulder(f, "client")
    trunk = trunk_px(f, "client")
    values = [
        g.in_trunks(g.distance(_p(f, "partner", w), hip) - g.distance(_p(f, "partner", w), shoulder), trunk)
        for w in (L.LEFT_WRIST, L.RIGHT_WRIST)
    ]
    return g.nan_max(*values)


def straddle_locked_knees(f: PoseFrames) -> np.ndarray:
    return g.nan_max(knee_angle(f, "client", "left"), knee_angle(f, "client", "right"))


def butterfly_soles_apart(f: PoseFrames) -> np.ndarray:
    return distance_trunks(f, "client", L.LEFT_ANKLE, L.RIGHT_ANKLE)


def near_side_is_left(f: PoseFrames, role: str, left: tuple[L, ...], right: tuple[L, ...]) -> np.ndarray:
    """Per frame, True where the person's left side faces the camera (its landmarks are seen more clearly).

    The estimator reports the far side of a body seen from the side with lower confidence; the near side's
    image position is also the one least distorted by depth when the camera looks down on the scene.
    """
    conf = f.visibility[role] if f.visibility is not None else f.visible[role].astype(float)
    return conf[:, [int(lm) for lm in left]].sum(axis=1) >= conf[:, [int(lm) for lm in right]].sum(axis=1)


def butterfly_hand_placement(f: PoseFrames) -> np.ndarray:
    """Nearest partner wrist to the client's near-side thigh (knee–hip segment), client trunk lengths.

    With the knees out wide the far thigh projects onto the upper body when the camera is above knee height,
    so only the thigh facing the camera is a trustworthy target (the other one if it is hidden).
    """
    trunk = trunk_px(f, "client")
    left_near = near_side_is_left(f, "client", (L.LEFT_HIP, L.LEFT_KNEE), (L.RIGHT_HIP, L.RIGHT_KNEE))
    near_hip = _pick(left_near.astype(float), _p(f, "client", L.LEFT_HIP), _p(f, "client", L.RIGHT_HIP))
    near_knee = _pick(left_near.astype(float), _p(f, "client", L.LEFT_KNEE), _p(f, "client", L.RIGHT_KNEE))
    far_hip = _pick(left_near.astype(float), _p(f, "client", L.RIGHT_HIP), _p(f, "client", L.LEFT_HIP))
    far_knee = _pick(left_near.astype(float), _p(f, "client", L.RIGHT_KNEE), _p(f, "client", L.LEFT_KNEE))
    near_ok = np.isfinite(near_hip).all(axis=1) & np.isfinite(near_knee).all(axis=1)
    hip = np.where(near_ok[:, None], near_hip, far_hip)
    knee = np.where(near_ok[:, None], near_knee, far_knee)
    dists = []
    for wrist in (L.LEFT_WRIST, L.RIGHT_WRIST):
        d = g.point_to_segment_distance(_p(f, "partner", wrist), hip, knee)
        dists.append(g.in_trunks(d, trunk))
    return g.nan_min(*dists)


def hamstring_locked_knee(f: PoseFrames) -> np.ndarray:
    side = hamstring_side(f)
    return _pick(side, knee_angle(f, "client", "left"), knee_angle(f, "client", "right"))


def hamstring_hips_lifting(f: PoseFrames) -> np.ndarray:
    """Larger of the hips' and the resting leg's ankle rise above shoulder level, trunk lengths."""
    side = hamstring_side(f)
    resting_ankle = _pick(1.0 - side, _p(f, "client", L.LEFT_ANKLE), _p(f, "client", L.RIGHT_ANKLE))
    hip_rise = rise_above_shoulders(f, "client", mid_hip(f, "client"))
    ankle_rise = rise_above_shoulders(f, "client", resting_ankle)
    # Both are needed: a hidden resting ankle must pause the check, not silently drop half of it.
    return np.where(np.isfinite(hip_rise) & np.isfinite(ankle_rise), np.maximum(hip_rise, ankle_rise), np.nan)


def figure_four_ankle_not_crossed(f: PoseFrames) -> np.ndarray:
    return g.nan_min(_ankle_to_other_thigh(f, "left"), _ankle_to_other_thigh(f, "right"))


def prone_hip_lift(f: PoseFrames) -> np.ndarray:
    return rise_above_shoulders(f, "client", mid_hip(f, "client"))


def prone_knee_overflexion(f: PoseFrames) -> np.ndarray:
    return g.nan_min(knee_angle(f, "client", "left"), knee_angle(f, "client", "right"))


def twist_hand_placement(f: PoseFrames) -> np.ndarray:
    """The worse of: nearest partner wrist to a client shoulder, nearest partner wrist to a client hip."""
    trunk = trunk_px(f, "client")
    wrists = (L.LEFT_WRIST, L.RIGHT_WRIST)

    def nearest(targets: tuple[L, L]) -> np.ndarray:
        return g.nan_min(
            *(
                g.in_trunks(g.distance(_p(f, "partner", w), _p(f, "client", t)), trunk)
                for w in wrists
                for t in targets
            )
        )

    shoulder = nearest((L.LEFT_SHOULDER, L.RIGHT_SHOULDER))
    hip = nearest((L.LEFT_HIP, L.RIGHT_HIP))
    return np.where(np.isfinite(shoulder) & np.isfinite(hip), np.maximum(shoulder, hip), np.nan)


MetricFn = Callable[[PoseFrames], np.ndarray]


def angle_cached(f: PoseFrames, angle: MetricFn) -> np.ndarray:
    """An angle metric computed once per PoseFrames (the hold detector and the checks share it)."""
    key = ("angle", angle)
    if key not in f.cache:
        f.cache[key] = np.asarray(angle(f), dtype=np.float64)
    return f.cache[key]


def speed_cached(f: PoseFrames, angle: MetricFn) -> np.ndarray:
    """The angular speed of an angle metric, computed once per PoseFrames; never across a jump of the pose
    nor across a misread step of the angle itself."""
    key = ("speed", angle)
    if key not in f.cache:
        angle_deg = angle_cached(f, angle)
        floor = segment_starts(angle_misreads(angle_deg, f.t_s))
        pose_floor = f.window_floor()
        if pose_floor is not None:
            floor = np.maximum(floor, pose_floor)
        not_before = floor if (floor >= 0).any() else None
        f.cache[key] = angular_speed_deg_s(angle_deg, f.t_s, not_before=not_before, settle_s=f.smoothing_s)
    return f.cache[key]


def speed_of(main_angle: MetricFn) -> MetricFn:
    """The main angle's angular speed (deg/s), as a metric of its own (common.jerky_motion)."""

    def metric(f: PoseFrames) -> np.ndarray:
        return speed_cached(f, main_angle)

    metric.__name__ = f"speed_of_{main_angle.__name__}"
    metric.__doc__ = f"Angular speed (deg/s) of {main_angle.__name__}."
    return metric
