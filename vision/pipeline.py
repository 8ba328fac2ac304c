"""Frames → both people's smoothed landmarks with stable identities: batch (`track_video`) and live.

One per-frame path (`PoseFramePipeline`) serves both: estimator (with re-detection) → tracker → One Euro
smoothing. The batch path decodes in a background thread so decoding overlaps inference.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vision.errors import BadInputError
from vision.estimator import DEFAULT_SETTINGS, Detection, EstimatorSettings, PoseEstimator
from vision.landmarks import NUM_LANDMARKS
from vision.smoothing import DEFAULT_SMOOTHING, PersonSmoother, SmoothingSettings
from vision.sources import TimedIterator, open_source, prefetch
from vision.track import Track
from vision.tracking import (
    DEFAULT_TRACKER_SETTINGS,
    NUM_SLOTS,
    PoseTracker,
    TrackerSettings,
    drop_short_runs,
)

# progress(done_frames, total_frames or None)
FrameProgress = Callable[[int, "int | None"], None]
MIN_RUN_FRAMES = 3  # batch: a person seen for fewer consecutive frames is a flicker, not a person
STAGES = ("decode", "inference", "redetection", "tracking", "smoothing")


@dataclass(frozen=True)
class FramePoses:
    t_ms: int
    landmarks: np.ndarray  # float32 (2, 33, 4), NaN rows for an absent person
    world: np.ndarray  # float32 (2, 33, 3), NaN rows for an absent person
    redetected: tuple[bool, ...] = (False, False)

    @property
    def present(self) -> np.ndarray:
        return ~np.isnan(self.landmarks[..., 0]).all(axis=-1)


@dataclass
class StageTimes:
    """Milliseconds spent per stage, summed over frames (decode is measured by its own thread)."""

    ms: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    frames: int = 0

    def add(self, stage: str, ms: float) -> None:
        self.ms[stage] = self.ms.get(stage, 0.0) + ms

    def per_frame(self) -> dict[str, float]:
        return {stage: total / max(self.frames, 1) for stage, total in self.ms.items()}


class PoseFramePipeline:
    """estimator → tracker → smoother for one stream; feed frames in time order."""

    def __init__(
        self,
        model_path: str | os.PathLike | None = None,
        estimator_settings: EstimatorSettings = DEFAULT_SETTINGS,
        tracker_settings: TrackerSettings = DEFAULT_TRACKER_SETTINGS,
        smoothing: SmoothingSettings | None = DEFAULT_SMOOTHING,
        pipelined: bool = False,
    ) -> None:
        """pipelined: re-detection runs in a second process one frame behind (batch: see `feed`)."""
        from vision.model import ensure_model

        self._model_path = Path(model_path) if model_path is not None else ensure_model("full")
        self._estimator_settings = estimator_settings
        self._pipelined = pipelined and estimator_settings.pipelinable
        self.estimator = None if self._pipelined else PoseEstimator(self._model_path, estimator_settings)
        self._split = None  # the PipelinedEstimator, made on the first frame (it needs the frame size)
        self._pending_t_ms: deque[int] = deque()
        self.tracker = PoseTracker(tracker_settings)
        self._smoothers = [PersonSmoother(smoothing) for _ in range(NUM_SLOTS)] if smoothing else None
        self.times = StageTimes()

    def feed(self, frame_bgr: np.ndarray, t_ms: int) -> list[FramePoses]:
        """Add a frame; returns the frames whose poses are now complete, in order (pipelined: those the
        second process has finished, possibly none; call `flush` after the last frame)."""
        if not self._pipelined:
            return [self.process(frame_bgr, t_ms)]
        from vision.redetect_process import PipelinedEstimator

        if self._split is None:
            self._split = PipelinedEstimator(self._model_path, self._estimator_settings, frame_bgr.shape)
        done = []
        if self._split.pending >= self._split.max_outstanding:
            done.append(self._complete())
        self._split.submit(frame_bgr, t_ms)
        self._pending_t_ms.append(int(t_ms))
        while self._split.ready():
            done.append(self._complete())
        return done

    def flush(self) -> list[FramePoses]:
        """The frames still in flight (pipelined), in order."""
        done = []
        while self._split is not None and self._split.pending:
            done.append(self._complete())
        return done

    def _complete(self) -> FramePoses:
        detection = self._split.next_result()
        return self._track(detection, self._pending_t_ms.popleft())

    def process(self, frame_bgr: np.ndarray, t_ms: int) -> FramePoses:
        """One frame in, its poses out (in-process; the live path)."""
        if self.estimator is None:
            raise RuntimeError("a pipelined PoseFramePipeline takes frames through feed()")
        return self._track(self.estimator.detect(frame_bgr, t_ms), t_ms)

    def _track(self, detection: Detection, t_ms: int) -> FramePoses:
        self.times.add("inference", detection.inference_ms)
        self.times.add("redetection", detection.redetection_ms)

        started = time.perf_counter()
        tracked = self.tracker.update(detection.poses, t_ms)
        self.times.add("tracking", (time.perf_counter() - started) * 1000.0)

        started = time.perf_counter()
        landmarks = np.full((NUM_SLOTS, NUM_LANDMARKS, 4), np.nan, dtype=np.float32)
        world = np.full((NUM_SLOTS, NUM_LANDMARKS, 3), np.nan, dtype=np.float32)
        for slot, pose in enumerate(tracked.poses):
            if pose is None:
                continue  # the smoother bridges short gaps and restarts after long ones by itself
            if self._smoothers is not None:
                if tracked.costs[slot] is None:  # a newcomer: do not blend with whoever held the slot before
                    self._smoothers[slot].reset()
                landmarks[slot], world[slot] = self._smoothers[slot](pose.landmarks, pose.world, t_ms)
            else:
                landmarks[slot], world[slot] = pose.landmarks, pose.world
        self.times.add("smoothing", (time.perf_counter() - started) * 1000.0)
        self.times.frames += 1
        redetected = tuple(bool(pose is not None and pose.redetected) for pose in tracked.poses)
        return FramePoses(int(t_ms), landmarks, world, redetected)

    def close(self) -> None:
        for part in (self.estimator, self._split):
            if part is not None:
                part.close()


class LivePipeline(PoseFramePipeline):
    """Per-frame twin of `track_video` for the live view: build once, call `process(frame_bgr, t_ms)`.

    Timestamp-driven, so dropped frames are fine; times that do not increase are nudged forward by 1 ms
    (MediaPipe's VIDEO mode requires increasing timestamps).
    """

    def __init__(self, model_path: str | os.PathLike | None = None, **settings) -> None:
        super().__init__(model_path, **settings)
        self._last_t_ms = -1

    def process(self, frame_bgr: np.ndarray, t_ms: int) -> FramePoses:
        t_ms = max(int(t_ms), self._last_t_ms + 1)
        self._last_t_ms = t_ms
        return super().process(frame_bgr, t_ms)


def track_video(
    path: str | os.PathLike,
    progress: FrameProgress | None = None,
    model_path: str | os.PathLike | None = None,
    model_variant: str = "full",
    times: StageTimes | None = None,
    on_frame: Callable[[FramePoses], None] | None = None,
    **settings,
) -> Track:
    """Run the pipeline over a video file (or a still image) and return its Track (P = 2 people).

    Re-detection runs in a second process one frame behind the main landmarker unless pipelined=False is
    given (the results are the same; see vision/redetect_process.py).

    on_frame receives each frame's poses as they come (before the batch-only removal of flickers), so a
    consumer such as the annotated-video process can start before the track is complete.
    """
    from vision.model import ensure_model

    model = Path(model_path) if model_path is not None else ensure_model(model_variant)
    source = open_source(Path(path))
    settings.setdefault("pipelined", True)
    pipeline = PoseFramePipeline(model, **settings)
    decode = TimedIterator(source)
    t_ms: list[int] = []
    landmarks: list[np.ndarray] = []
    world: list[np.ndarray] = []
    redetections = 0
    try:
        with source:
            total = source.info.frame_count

            def take(done: list[FramePoses]) -> None:
                nonlocal redetections
                for poses in done:
                    t_ms.append(poses.t_ms)
                    landmarks.append(poses.landmarks)
                    world.append(poses.world)
                    redetections += sum(poses.redetected)
                    if on_frame is not None:
                        on_frame(poses)
                    if progress is not None:
                        progress(len(t_ms), max(total or 0, len(t_ms)) if total else None)

            for frame in prefetch(decode, depth=4):
                take(pipeline.feed(frame.image_bgr, frame.t_ms))
            take(pipeline.flush())
    finally:
        pipeline.close()
    if not t_ms:
        raise BadInputError(f"no frames in {Path(path).name}")
    pipeline.times.add("decode", decode.total_ms)
    if times is not None:
        times.ms.update(pipeline.times.ms)
        times.frames = pipeline.times.frames
    landmark_array, world_array = drop_short_runs(
        np.stack(landmarks).astype(np.float32), np.stack(world).astype(np.float32), MIN_RUN_FRAMES)
    present = ~np.isnan(landmark_array[..., 0]).all(axis=-1)
    info = source.info
    meta = {
        "source": Path(path).name,
        "model": model.name,
        "fps": info.fps,
        "frames": len(t_ms),
        "frames_both_people": int(present.all(axis=1).sum()),
        "redetected_poses": redetections,
    }
    return Track(
        t_ms=np.asarray(t_ms, dtype=np.int64),
        landmarks=landmark_array,
        image_size=(info.width, info.height),
        world=world_array,
        meta=meta,
    )
