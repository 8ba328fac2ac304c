"""Both people's poses per frame: VIDEO-mode PoseLandmarker, second-person re-detection, false-pose rejection.

Why each part exists:
- VIDEO mode tracks each pose from the previous frame's region, which is cheap and stable, but it drops the
  second person easily when the two touch. Confidences were tuned on the footage (see DEFAULT_SETTINGS).
- When fewer than two plausible poses come back, the people already found are masked out (their body is
  painted grey: thick bones, torso, head; see mask_people) and a second VIDEO-mode landmarker (one pose)
  looks at the masked frame. A separate
  instance, because feeding a doctored frame to the main one would disturb its tracking state; VIDEO mode,
  because once it has found the second person it follows them from frame to frame with the landmark model
  alone, skipping the detector, so keeping the second person costs about one landmark pass, not a full
  detection. A failed re-detection backs off for a few frames so a scene with truly one person costs little.
- Where it is switched on (per stretch), the masked frame is also searched mirrored left-right by a
  landmarker of its own (VIDEO mode, one pose): MediaPipe's person detector is not mirror-symmetric and
  finds there people it missed on the plain frame.
- A person lost after being seen (typically one lying behind or under the other) is looked for in a crop
  round where they were last seen, with the people found masked, by a third VIDEO-mode landmarker: in the
  crop they fill the detector's input, so it finds people it misses on the whole frame. Only while someone
  is missing, so it costs nothing when both are found.
- The detector also reports confident "people" that are not there (an empty room gives a pose collapsed onto
  a table leg). A pose is kept only if it is big enough in the image, shows its shoulders or hips, and its
  metric skeleton has human proportions (trunk length and shoulder width in metres, world landmarks).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from vision.appearance import colours_differ, torso_colour_lab
from vision.landmarks import NUM_LANDMARKS, Landmark, reflect_left_right

_L = Landmark


@dataclass(frozen=True)
class EstimatorSettings:
    num_poses: int = 2
    # VIDEO mode. On pose2sim_multi_cam01.mp4 (two people, touching at times) detection 0.3 with presence and
    # tracking at 0.5 found both on 100% of frames; 0.5/0.5/0.5 on 92%; lowering presence/tracking to 0.2
    # made MediaPipe keep one stale track and find both on 0%.
    min_detection_confidence: float = 0.3
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    # Re-detection on the masked frame (second VIDEO-mode landmarker, one pose): lower detection confidence.
    redetect: bool = True
    redetect_detection_confidence: float = 0.2
    redetect_presence_confidence: float = 0.3
    redetect_backoff_max_frames: int = 8  # after a failed try, wait 1, 2, 4, ... up to this many frames
    # Also look at the masked frame mirrored left-right when the plain one gives no one new: MediaPipe's
    # person detector is not mirror-symmetric, and on frames where the pipeline had one person the mirrored
    # masked frame often gave back the missing one. Off by default: it helps only where the two bodies are
    # mostly apart in the image; where they overlap it also returns poses assembled over both (per stretch:
    # MIRROR_REDETECT in stretches/catalog.py; measured in benchmarks/accuracy.md, session 10).
    mirror_redetect: bool = False
    # "limbs" paints the found body (thick bones, torso, head) and leaves a person lying under it visible
    # (rendered supine_twist: both people on 95% of frames against 32% with "hull"); "hull" suits small
    # people standing apart (letterboxed footage: 100% against 92%). People in contact are the product's
    # normal case, so "limbs" is the default.
    mask_style: str = "limbs"
    mask_grow_frac: float = 0.12  # widen the painted limbs / grow the hull by this fraction
    # False-pose rejection.
    min_pose_diagonal_frac: float = 0.12  # landmark bounding-box diagonal / image diagonal
    min_core_visibility: float = 0.5  # at least two of shoulders/hips must be this visible
    world_trunk_m: tuple[float, float] = (0.25, 0.85)
    # Metric widths: a false pose collapsed onto an object has next to no shoulder width. Hip width is not
    # used (0 = off): real people seen from behind near the frame edge got 0.02–0.08 m from the model.
    world_min_shoulder_width_m: float = 0.08
    world_min_hip_width_m: float = 0.0
    duplicate_distance_frac: float = 0.15  # two poses closer than this (× pose size) are the same person
    # ... unless their torsos differ this much in colour (Lab distance, 0 = off): two people standing close
    # (rendered standing backbend, partner right behind the client: 11 of 80 frames lost the second person),
    # not one person found twice (same pixels: distance 0-30). Off: on the 57 evaluation clips, 40 found
    # both people on 71.8 % of frames instead of 67.2 % and caught 3 more faults, but it also kept poses
    # merged from both bodies: 108 identity swaps instead of 90, 107 false warnings instead of 89
    # (benchmarks/accuracy.md).
    duplicate_min_colour_distance: float = 0.0
    # ... or unless each continues a different person found on the previous frame (two people close
    # together, each where they were a frame ago), the new one within this distance (× size) of its own
    # previous pose and nearer to it than to the pose it overlaps; None = off. Partner right behind a
    # standing client (eval_standing_backbend__support_hands__take2): kept poses were on the right bodies
    # on 98 % of the frames where this rule kept one.
    duplicate_continuity_max_step: float | None = 0.1
    # ... and only if their trunks are no farther apart than this × their mean landmark distance. Two bodies
    # side by side are offset evenly (trunk/mean 0.75-1.34 there); a pose that shares the other's limbs
    # with its trunk elsewhere is assembled from both bodies (childs_pose_fault: 1.95-2.55, all wrong).
    duplicate_continuity_max_trunk_ratio: float = 1.6
    # ... and only once both have been found on this many frames in a row: a second copy of one person that
    # slips past the duplicate distance for a frame or two (0.22 × size beside the one woman of
    # tfjs_pose_squats.mp4) must not carry itself on as "another person". Distance cannot tell them apart:
    # a partner right behind a standing client is 0.14-0.2 away. At 5 (> the batch's 3-frame flicker
    # filter), only a pair the pipeline already reported as two people is carried on.
    duplicate_continuity_min_frames: int = 5
    # How the people are found. "two_pose": one VIDEO landmarker asked for num_poses people, re-detection on
    # the masked frame only when it returns fewer. MediaPipe runs its person detector on every frame where
    # a VIDEO landmarker tracks fewer poses than it was asked for, so when it keeps losing the second
    # person (people lying, kneeling, in contact) every frame pays detector + re-detection.
    # "cascade": the main landmarker is asked for one person on the plain frame and the re-detection
    # landmarker for the next on the frame with that person masked; each tracks its person with the landmark
    # model alone, so the detector runs only when one of them loses its person.
    # "pair": as cascade, but the main landmarker sees the re-detected person masked where they were on the
    # previous frame, so neither landmarker's region drifts onto the other body.
    # "auto": two_pose while the num_poses landmarker finds everyone (one call for both people is cheaper
    # than two), cascade for auto_cascade_frames after it loses someone, then two_pose is tried again.
    strategy: str = "two_pose"
    auto_cascade_frames: int = 30
    # Reject a re-detected pose when this fraction of its visible landmarks lies on the painted mask of a
    # person already found: a "person" assembled from the other body's limbs (0 = off).
    max_redetect_on_mask_frac: float = 0.0
    # Crop re-detection: when a person found on an earlier frame is missing, look for them in a square crop
    # round where they were last seen (their box × crop_scale, the people found masked). In a crop the person
    # fills the detector's input instead of sharing it with the other body, so a partner kneeling behind a
    # lying client is found again (rendered supine_twist_good, first 300 frames: both people 30% → 80%; see
    # tests/test_crop_redetection.py). Runs only while someone is missing.
    crop_redetect: bool = True
    crop_scale: float = 1.5
    crop_lost_max_s: float = 1.5  # look where they were last seen for this long after losing them
    crop_max_last_distance: float = 0.6  # a crop find must be this close (× size) to where they were
    # ...and nearer to there than to (this factor ×) a person found on this frame: the crop landmarker
    # sliding onto the other body fed the tracker the wrong person (1.5 gave more identity swaps).
    crop_other_factor: float = 1.0
    # VIDEO mode on the crop, the box held still while the person stays near it: the landmarker follows them
    # with the landmark model alone instead of running its detector on every lost frame (IMAGE mode: both
    # people 83% vs 93% on supine_twist and ~5 ms/frame more).
    crop_video_mode: bool = True
    # Only someone seen with the other person on this many frames in a row is looked for: in childs_pose a
    # second "person" flickers in for 1-2 frames, and following it grew a false client on 27-47% of frames.
    crop_min_seen_frames: int = 3


    @property
    def pipelinable(self) -> bool:
        """Whether the main pass never uses re-detection results ("pair" masks the re-detected person)."""
        return self.strategy != "pair"


DEFAULT_SETTINGS = EstimatorSettings()
STRATEGIES = ("two_pose", "cascade", "pair", "auto")


@dataclass(frozen=True)
class Pose:
    landmarks: np.ndarray  # float32 (33, 4): x, y normalised to the image, z, visibility
    world: np.ndarray  # float32 (33, 3) metres, hip-centred
    redetected: bool = False
    # median CIE Lab colour of the torso (vision/appearance.py), None until measured or when hidden
    appearance: np.ndarray | None = None

    @property
    def size(self) -> float:
        """Diagonal of the landmarks' bounding box, in normalised image units."""
        return pose_extent(self.landmarks[None])[0]


@dataclass
class Detection:
    poses: list[Pose]
    rejected: list[tuple[Pose, str]] = field(default_factory=list)
    inference_ms: float = 0.0
    redetection_ms: float = 0.0


def pose_extent(landmarks: np.ndarray) -> np.ndarray:
    """Bounding-box diagonal of (..., 33, 4) landmarks in normalised units."""
    xy = landmarks[..., :2]
    span = np.nanmax(xy, axis=-2) - np.nanmin(xy, axis=-2)
    return np.hypot(span[..., 0], span[..., 1])


def pose_problem(pose: Pose, image_size: tuple[int, int], settings: EstimatorSettings = DEFAULT_SETTINGS
                 ) -> str | None:
    """None for a plausible human pose, else the reason it is rejected."""
    width, height = image_size
    xy_px = pose.landmarks[:, :2] * np.array([width, height], dtype=np.float32)
    span = np.ptp(xy_px, axis=0)
    diagonal_frac = float(np.hypot(*span) / np.hypot(width, height))
    if diagonal_frac < settings.min_pose_diagonal_frac:
        return f"too small ({diagonal_frac:.2f} of the image diagonal)"
    core = pose.landmarks[[_L.LEFT_SHOULDER, _L.RIGHT_SHOULDER, _L.LEFT_HIP, _L.RIGHT_HIP], 3]
    if int(np.sum(core >= settings.min_core_visibility)) < 2:
        return "shoulders and hips not visible"
    world = pose.world
    shoulder_mid = (world[_L.LEFT_SHOULDER] + world[_L.RIGHT_SHOULDER]) / 2
    hip_mid = (world[_L.LEFT_HIP] + world[_L.RIGHT_HIP]) / 2
    trunk_m = float(np.linalg.norm(shoulder_mid - hip_mid))
    low, high = settings.world_trunk_m
    if not low <= trunk_m <= high:
        return f"trunk {trunk_m:.2f} m is not human"
    shoulder_width_m = float(np.linalg.norm(world[_L.LEFT_SHOULDER] - world[_L.RIGHT_SHOULDER]))
    if shoulder_width_m < settings.world_min_shoulder_width_m:
        return "shoulders collapsed"
    hip_width_m = float(np.linalg.norm(world[_L.LEFT_HIP] - world[_L.RIGHT_HIP]))
    if settings.world_min_hip_width_m > 0 and hip_width_m < settings.world_min_hip_width_m:
        return "hips collapsed"
    return None


def is_duplicate(a: Pose, b: Pose, settings: EstimatorSettings = DEFAULT_SETTINGS) -> bool:
    distance = float(np.nanmean(np.linalg.norm(a.landmarks[:, :2] - b.landmarks[:, :2], axis=-1)))
    return distance < settings.duplicate_distance_frac * max(a.size, b.size)


def pose_distance(a: Pose, b: Pose) -> float:
    """Mean landmark distance between two poses in units of the larger one's size."""
    distance = float(np.nanmean(np.linalg.norm(a.landmarks[:, :2] - b.landmarks[:, :2], axis=-1)))
    return distance / max(a.size, b.size, 1e-6)


_TRUNK = [_L.LEFT_SHOULDER, _L.RIGHT_SHOULDER, _L.LEFT_HIP, _L.RIGHT_HIP]


def continues_another_person(pose: Pose, kept: Pose, previous: list[Pose], max_step: float,
                             max_trunk_ratio: float = DEFAULT_SETTINGS.duplicate_continuity_max_trunk_ratio
                             ) -> bool:
    """Whether `pose`, though it overlaps `kept`, follows a different person of the previous frame than
    `kept` does: two people close together, each found where they were, not one person found twice (whose
    two copies both follow the same person).

    `previous` holds the distinct people accepted on the previous frame; `max_step` bounds how far (× size)
    `pose` may be from its own previous pose; `max_trunk_ratio` how much farther apart the two trunks may
    be than the two poses' landmarks on average (a pose with the other's limbs and its trunk elsewhere is
    assembled from both bodies).
    """
    if len(previous) < 2:
        return False
    gaps = np.linalg.norm(pose.landmarks[:, :2] - kept.landmarks[:, :2], axis=-1)
    if float(np.nanmean(gaps[_TRUNK])) > max_trunk_ratio * float(np.nanmean(gaps)):
        return False
    kept_gaps = [pose_distance(kept, old) for old in previous]
    pose_gaps = [pose_distance(pose, old) for old in previous]
    kept_follows, pose_follows = int(np.argmin(kept_gaps)), int(np.argmin(pose_gaps))
    step = pose_gaps[pose_follows]
    return kept_follows != pose_follows and step < max_step and step < pose_distance(pose, kept)


def crop_box(landmarks: np.ndarray, image_size: tuple[int, int], scale: float) -> tuple[int, int, int, int]:
    """Pixel box (x0, y0, x1, y1): the square round the landmarks' box, side × scale, clipped to the image."""
    width, height = image_size
    xy = landmarks[:, :2] * np.array([width, height], dtype=np.float32)
    low, high = np.nanmin(xy, axis=0), np.nanmax(xy, axis=0)
    centre, half = (low + high) / 2, float(np.max(high - low)) * scale / 2
    x0, y0 = int(max(0, centre[0] - half)), int(max(0, centre[1] - half))
    x1, y1 = int(min(width, centre[0] + half)), int(min(height, centre[1] + half))
    return x0, y0, x1, y1


def _boxes_close(a: tuple[int, int, int, int], b: tuple[int, int, int, int], tolerance: float = 0.15) -> bool:
    """True when box a's centre and side differ from b's by less than `tolerance` × b's side."""
    side_a, side_b = max(a[2] - a[0], a[3] - a[1]), max(b[2] - b[0], b[3] - b[1])
    shift = max(abs(a[0] + a[2] - b[0] - b[2]), abs(a[1] + a[3] - b[1] - b[3])) / 2
    return shift < tolerance * side_b and abs(side_a - side_b) < tolerance * side_b


def to_crop(pose: Pose, box: tuple[int, int, int, int], image_size: tuple[int, int]) -> Pose:
    """A pose in the whole image's normalised coordinates, in those of the crop `box` (inverse of uncrop)."""
    x0, y0, x1, y1 = box
    width, height = image_size
    landmarks = pose.landmarks.copy()
    landmarks[:, 0] = (landmarks[:, 0] * width - x0) / (x1 - x0)
    landmarks[:, 1] = (landmarks[:, 1] * height - y0) / (y1 - y0)
    landmarks[:, 2] *= width / (x1 - x0)
    return Pose(landmarks, pose.world, pose.redetected)


def uncrop(pose: Pose, box: tuple[int, int, int, int], image_size: tuple[int, int]) -> Pose:
    """A pose found in the crop `box`, in the whole image's normalised coordinates."""
    x0, y0, x1, y1 = box
    width, height = image_size
    landmarks = pose.landmarks.copy()
    landmarks[:, 0] = (x0 + landmarks[:, 0] * (x1 - x0)) / width
    landmarks[:, 1] = (y0 + landmarks[:, 1] * (y1 - y0)) / height
    landmarks[:, 2] *= (x1 - x0) / width  # z is on the scale of x
    return Pose(landmarks, pose.world, pose.redetected)


def mask_people(
    image_rgb: np.ndarray, poses: list[Pose], grow_frac: float, style: str = "limbs"
) -> np.ndarray:
    """A copy of the image with each found person painted mid-grey (the shapes: see `body_mask`)."""
    masked = image_rgb.copy()
    _draw_bodies(masked, poses, (127, 127, 127), grow_frac, style)
    return masked


def body_mask(
    image_hw: tuple[int, int], poses: list[Pose], grow_frac: float, style: str = "limbs"
) -> np.ndarray:
    """uint8 (H, W), 1 on the found people's bodies: exactly the pixels `mask_people` paints.

    style "limbs" covers the body itself (thick bones, the torso, the head), so someone lying under a partner
    who leans over them stays visible between the partner's arms and legs; "hull" covers the whole convex
    hull of the landmarks (grown by grow_frac), which hides more background but also a person underneath.
    """
    mask = np.zeros(image_hw, dtype=np.uint8)
    _draw_bodies(mask, poses, 1, grow_frac, style)
    return mask


def paint_mask(image_rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A copy of the image, mid-grey where mask is non-zero (cv2.copyTo: ~15× faster than numpy indexing)."""
    import cv2

    masked = image_rgb.copy()
    cv2.copyTo(np.full_like(image_rgb, 127), mask, masked)
    return masked


def _draw_bodies(target: np.ndarray, poses: list[Pose], colour, grow_frac: float, style: str) -> None:
    import cv2

    from vision.landmarks import SKELETON_EDGES

    height, width = target.shape[:2]
    for pose in poses:
        points = pose.landmarks[:, :2] * np.array([width, height], dtype=np.float32)
        shoulder_mid = (points[_L.LEFT_SHOULDER] + points[_L.RIGHT_SHOULDER]) / 2
        hip_mid = (points[_L.LEFT_HIP] + points[_L.RIGHT_HIP]) / 2
        trunk_px = float(np.linalg.norm(shoulder_mid - hip_mid))
        # the face landmarks sit inside the head: cover a disc over the skull, or a detector sees a
        # "person" made of this head and the other person's body
        head = points[:11]
        head_centre = head.mean(axis=0).round().astype(int)
        head_radius = int(max(np.linalg.norm(head - head_centre, axis=-1).max(), 0.3 * trunk_px))
        cv2.circle(target, tuple(head_centre), head_radius, colour, -1)
        if style == "hull":
            centre = points.mean(axis=0)
            grown = centre + (points - centre) * (1.0 + grow_frac)
            cv2.fillConvexPoly(target, cv2.convexHull(grown.astype(np.int32)), colour)
            continue
        limb_px = max(4, int(round(trunk_px * (0.35 + grow_frac))))
        pixels = points.round().astype(np.int32)
        for start, end in SKELETON_EDGES:
            cv2.line(target, tuple(pixels[start]), tuple(pixels[end]), colour, limb_px)
        torso = pixels[[_L.LEFT_SHOULDER, _L.RIGHT_SHOULDER, _L.RIGHT_HIP, _L.LEFT_HIP]]
        cv2.fillConvexPoly(target, cv2.convexHull(torso), colour)
        cv2.polylines(target, [torso], True, colour, limb_px)


def dressed_differently(a: Pose, b: Pose, image_rgb: np.ndarray | None, min_distance: float) -> bool:
    """Whether two overlapping poses wear clearly different colours on their torsos: two people standing
    close, not one person found twice (whose torso is the same pixels). False when it cannot be told."""
    if image_rgb is None or min_distance <= 0:
        return False
    return colours_differ(torso_colour_lab(image_rgb, a.landmarks), torso_colour_lab(image_rgb, b.landmarks),
                          min_distance)


def fraction_on_mask(pose: Pose, mask: np.ndarray, min_visibility: float = 0.5) -> float:
    """Share of the pose's visible, in-image landmarks that fall on the mask (0 when none are visible)."""
    height, width = mask.shape
    xy = pose.landmarks[:, :2] * np.array([width, height], dtype=np.float32)
    keep = (pose.landmarks[:, 3] >= min_visibility) & np.isfinite(xy).all(axis=1)
    keep &= (xy[:, 0] >= 0) & (xy[:, 0] < width) & (xy[:, 1] >= 0) & (xy[:, 1] < height)
    if not keep.any():
        return 0.0
    columns, rows = xy[keep, 0].astype(int), xy[keep, 1].astype(int)
    return float(mask[rows, columns].mean())


class PoseEstimator:
    """One instance per stream (VIDEO mode keeps state); `detect` needs increasing timestamps."""

    def __init__(
        self, model_path: str | Path | None = None, settings: EstimatorSettings = DEFAULT_SETTINGS,
        part: str = "all",
    ) -> None:
        """part "main" builds only the main pass (`detect_main`), "redetect" only the rest (`complete`):
        vision/redetect_process.py runs the two in separate processes; "all" does both in `detect`."""
        from vision.model import ensure_model

        if part not in ("all", "main", "redetect"):
            raise ValueError(f"unknown estimator part {part!r}")
        if settings.strategy not in STRATEGIES:
            raise ValueError(f"unknown estimator strategy {settings.strategy!r}: use one of {STRATEGIES}")
        self.settings = settings
        self.model_path = Path(model_path) if model_path is not None else ensure_model("full")
        main, rest = part in ("all", "main"), part in ("all", "redetect")
        self._video = self._create(video_mode=True) if main else None
        # "auto": a one-pose main landmarker for the stretches where the num_poses one keeps losing a person
        self._single = (self._create(video_mode=True, single=True)
                        if main and settings.strategy == "auto" else None)
        self._single_frames_left = 0
        self._second = self._create(video_mode=True, second=True) if rest and settings.redetect else None
        self._mirror = (self._create(video_mode=True, second=True)
                        if rest and settings.redetect and settings.mirror_redetect else None)
        self._mirror_had_person = False  # the mirror landmarker found someone on its last try: ask it first
        self._last_t_ms = -1
        self._redetect_wait_frames = 0
        self._redetect_backoff_frames = 1
        self._last_redetected: Pose | None = None
        self._crop = (self._create(video_mode=settings.crop_video_mode, second=True)
                      if rest and settings.crop_redetect else None)
        self._crop_box: tuple[int, int, int, int] | None = None
        self._all_seen_frames = 0  # consecutive frames, up to the previous one, with num_poses people found
        self._previous: list[Pose] = []  # the poses accepted on the previous frame
        self._lost: tuple[Pose, int] | None = None  # a person who went missing, and when they were last seen

    def _create(self, video_mode: bool, second: bool = False, single: bool = False):
        from mediapipe.tasks.python import vision as mp_vision
        from mediapipe.tasks.python.core import base_options

        s = self.settings
        options = mp_vision.PoseLandmarkerOptions(
            base_options=base_options.BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=mp_vision.RunningMode.VIDEO if video_mode else mp_vision.RunningMode.IMAGE,
            num_poses=1 if second or single or s.strategy in ("cascade", "pair") else s.num_poses,
            min_pose_detection_confidence=(
                s.redetect_detection_confidence if second else s.min_detection_confidence),
            min_pose_presence_confidence=(
                s.redetect_presence_confidence if second else s.min_presence_confidence),
            min_tracking_confidence=s.min_tracking_confidence,
        )
        return mp_vision.PoseLandmarker.create_from_options(options)

    def detect(self, image_bgr: np.ndarray, t_ms: int) -> Detection:
        rgb, t_ms, detection = self.detect_main(image_bgr, t_ms)
        return self.complete(rgb, t_ms, detection)

    def detect_main(self, image_bgr: np.ndarray, t_ms: int) -> tuple[np.ndarray, int, Detection]:
        """The main landmarker's plausible poses: (the RGB frame, the timestamp used, the detection)."""
        import cv2
        import mediapipe as mp

        t_ms = max(int(t_ms), self._last_t_ms + 1)
        self._last_t_ms = t_ms
        height, width = image_bgr.shape[:2]
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        started = time.perf_counter()
        main_input = rgb
        if self.settings.strategy == "pair" and self._last_redetected is not None:
            # each person's landmarker sees the other one masked (where they were a frame ago)
            main_input = mask_people(rgb, [self._last_redetected], self.settings.mask_grow_frac,
                                     self.settings.mask_style)
        main = self._video
        if self._single is not None and self._single_frames_left > 0:
            main = self._single
            self._single_frames_left -= 1
        result = main.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=main_input), t_ms)
        detection = Detection(poses=[])
        self._accept(_poses_from_result(result, redetected=False), (width, height), detection, rgb=rgb)
        lost_someone = len(detection.poses) < self.settings.num_poses
        if main is self._video and self._single is not None and lost_someone:
            # the num_poses landmarker now runs its detector on every frame: cascade for a while instead
            self._single_frames_left = self.settings.auto_cascade_frames
        detection.inference_ms = (time.perf_counter() - started) * 1000.0
        return rgb, t_ms, detection

    def complete(self, rgb: np.ndarray, t_ms: int, detection: Detection) -> Detection:
        """Re-detection of whoever the main pass missed (masked frame, also mirrored with `mirror_redetect`,
        then a crop); updates `detection`."""
        height, width = rgb.shape[:2]
        self._last_redetected = None
        if self._second is not None and len(detection.poses) < self.settings.num_poses:
            if self._redetect_wait_frames > 0:
                self._redetect_wait_frames -= 1
            else:
                started = time.perf_counter()
                mask = None
                if self.settings.max_redetect_on_mask_frac > 0 and detection.poses:
                    mask = body_mask((height, width), detection.poses, self.settings.mask_grow_frac,
                                     self.settings.mask_style)
                    masked = paint_mask(rgb, mask)
                else:
                    masked = mask_people(rgb, detection.poses, self.settings.mask_grow_frac,
                                         self.settings.mask_style)
                before = len(detection.poses)
                self._redetect_masked(masked, t_ms, detection, mask, rgb)
                if len(detection.poses) > before:
                    self._redetect_backoff_frames = 1
                    self._last_redetected = detection.poses[-1]
                else:
                    self._redetect_wait_frames = self._redetect_backoff_frames
                    self._redetect_backoff_frames = min(self._redetect_backoff_frames * 2,
                                                        self.settings.redetect_backoff_max_frames)
                detection.redetection_ms = (time.perf_counter() - started) * 1000.0
        if self._crop is not None:
            started = time.perf_counter()
            self._crop_redetect(rgb, t_ms, detection)
            detection.redetection_ms += (time.perf_counter() - started) * 1000.0
        detection.poses = [replace(pose, appearance=torso_colour_lab(rgb, pose.landmarks))
                           for pose in detection.poses]
        self._previous = list(detection.poses)
        found_all = len(detection.poses) >= self.settings.num_poses
        self._all_seen_frames = self._all_seen_frames + 1 if found_all else 0
        return detection

    def _redetect_masked(self, masked: np.ndarray, t_ms: int, detection: Detection,
                         mask: np.ndarray | None, rgb: np.ndarray) -> None:
        """The re-detection landmarker on the masked frame, then, if it found no one new, the mirror one on
        the frame mirrored (the mirror one first while it follows someone: they are likely still there)."""
        import mediapipe as mp

        height, width = rgb.shape[:2]
        previous = self._distinct_previous()
        tries = [False, True] if self._mirror is not None else [False]
        if self._mirror_had_person:
            tries.reverse()
        for mirrored in tries:
            before = len(detection.poses)
            if mirrored:
                flipped = np.ascontiguousarray(masked[:, ::-1])
                result = self._mirror.detect_for_video(
                    mp.Image(image_format=mp.ImageFormat.SRGB, data=flipped), t_ms)
                candidates = [mirror_pose(pose) for pose in _poses_from_result(result, redetected=True)]
            else:
                result = self._second.detect_for_video(
                    mp.Image(image_format=mp.ImageFormat.SRGB, data=masked), t_ms)
                candidates = _poses_from_result(result, redetected=True)
            self._accept(candidates, (width, height), detection, mask, rgb=rgb, previous=previous)
            found = len(detection.poses) > before
            if mirrored:
                self._mirror_had_person = found
            if found:
                return

    def _crop_redetect(self, rgb: np.ndarray, t_ms: int, detection: Detection) -> None:
        """Remember who went missing; while they are missing, look for them round where they were."""
        s = self.settings
        if len(detection.poses) >= s.num_poses:
            self._lost = None
        elif self._all_seen_frames >= s.crop_min_seen_frames or self._lost is not None:
            missing = list(self._previous)  # minus the nearest old pose to each pose found now
            for pose in detection.poses:
                if missing:
                    gaps = [pose_distance(old, pose) for old in missing]
                    del missing[int(np.argmin(gaps))]
            if missing:
                self._lost = (max(missing, key=lambda pose: pose.size), t_ms)
        if self._lost is not None and t_ms - self._lost[1] > s.crop_lost_max_s * 1000:
            self._lost = None
        if self._lost is not None and len(detection.poses) < s.num_poses:
            import mediapipe as mp

            lost = self._lost[0]
            height, width = rgb.shape[:2]
            box = crop_box(lost.landmarks, (width, height), s.crop_scale)
            if s.crop_video_mode and self._crop_box is not None and _boxes_close(box, self._crop_box):
                box = self._crop_box
            self._crop_box = box
            x0, y0, x1, y1 = box
            if x1 - x0 >= 32 and y1 - y0 >= 32:
                found_in_crop = [to_crop(pose, box, (width, height)) for pose in detection.poses]
                masked = mask_people(rgb[y0:y1, x0:x1], found_in_crop, s.mask_grow_frac, s.mask_style)
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(masked))
                result = (self._crop.detect_for_video(image, t_ms) if s.crop_video_mode
                          else self._crop.detect(image))
                found = [uncrop(pose, (x0, y0, x1, y1), (width, height))
                         for pose in _poses_from_result(result, redetected=True)]
                # near where the lost person was, and not much nearer to someone found: not the other body
                found = [pose for pose in found if pose_distance(lost, pose) < min(
                    [s.crop_max_last_distance]
                    + [s.crop_other_factor * pose_distance(other, pose) for other in detection.poses])]
                self._accept(found, (width, height), detection, rgb=rgb, previous=self._distinct_previous())

    def _distinct_previous(self) -> list[Pose] | None:
        """The previous frame's people, once two have been found long enough to be two different people."""
        settled = self._all_seen_frames >= self.settings.duplicate_continuity_min_frames
        return self._previous if settled else None

    def _is_duplicate(self, pose: Pose, kept: Pose, rgb: np.ndarray | None,
                      previous: list[Pose] | None) -> bool:
        """One person found twice: close to `kept`, unless dressed differently or following another person."""
        s = self.settings
        if not is_duplicate(pose, kept, s):
            return False
        if dressed_differently(pose, kept, rgb, s.duplicate_min_colour_distance):
            return False
        return not (previous and s.duplicate_continuity_max_step is not None and continues_another_person(
            pose, kept, previous, s.duplicate_continuity_max_step, s.duplicate_continuity_max_trunk_ratio))

    def _accept(self, candidates: list[Pose], image_size: tuple[int, int], detection: Detection,
                mask: np.ndarray | None = None, rgb: np.ndarray | None = None,
                previous: list[Pose] | None = None) -> None:
        """Keep the plausible candidates. `previous` (the people of the previous frame) is given only by the
        re-detection part, which alone knows them when the two parts run in separate processes."""
        s = self.settings
        limit = s.max_redetect_on_mask_frac
        for pose in candidates:
            problem = pose_problem(pose, image_size, s)
            if problem is None and any(self._is_duplicate(pose, kept, rgb, previous)
                                       for kept in detection.poses):
                problem = "duplicate of a pose already found"
            if problem is None and mask is not None and limit > 0:
                on_mask = fraction_on_mask(pose, mask)
                if on_mask > limit:
                    problem = f"{on_mask:.0%} of its landmarks lie on the person already found"
            if problem is None:
                detection.poses.append(pose)
            else:
                detection.rejected.append((pose, problem))

    def close(self) -> None:
        for landmarker in (self._video, self._second, self._single, self._crop, self._mirror):
            if landmarker is not None:
                landmarker.close()
        self._video = self._second = self._single = self._crop = self._mirror = None

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def mirror_pose(pose: Pose) -> Pose:
    """A pose found on the left-right mirrored image, back in the image's own frame: x flipped, and each
    left landmark swapped with its right twin (the mirror image's left hand is the person's right)."""
    return replace(pose, landmarks=reflect_left_right(pose.landmarks, about_x=0.5),
                   world=reflect_left_right(pose.world))


def _poses_from_result(result, redetected: bool) -> list[Pose]:
    poses = []
    pairs = zip(result.pose_landmarks, result.pose_world_landmarks, strict=True)
    for image_landmarks, world_landmarks in pairs:
        landmarks = np.array([(p.x, p.y, p.z, p.visibility if p.visibility is not None else 0.0)
                              for p in image_landmarks], dtype=np.float32)
        world = np.array([(p.x, p.y, p.z) for p in world_landmarks], dtype=np.float32)
        if landmarks.shape == (NUM_LANDMARKS, 4):
            poses.append(Pose(landmarks, world, redetected))
    return poses
