"""The one `analyze` orchestration shared by the CLI and the app: video → track → events → annotated video.

Inputs are validated before any inference (stretch id, thresholds, the video itself), so a bad input fails
in a second with one line instead of after minutes. Every output is written to a temporary file and renamed,
so an earlier analysis in the same folder is never half-overwritten.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from stretches.engine import Events, evaluate
from stretches.roles import stretch_roles
from vision.atomic import write_text_atomic
from vision.errors import BadInputError
from vision.track import ROLE_NAMES, Track

TRACK_FILENAME = "track.npz"
EVENTS_FILENAME = "events.json"
VIDEO_FILENAME = "annotated.mp4"

# progress(done, total): frames tracked (the annotated video is drawn alongside, in a second process)
Progress = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class SessionResult:
    track_path: Path
    events_path: Path
    video_path: Path | None
    events: Events
    track: Track


def analyze(
    video: str | os.PathLike,
    stretch_id: str,
    out_dir: str | os.PathLike,
    thresholds=None,
    client: str | int | None = None,
    write_video: bool = True,
    progress: Progress | None = None,
    model_path: str | os.PathLike | None = None,
    stage_ms: dict[str, float] | None = None,
    model_variant: str = "full",
) -> SessionResult:
    """Track both people in `video`, evaluate `stretch_id`, write track.npz, events.json, annotated.mp4.

    stage_ms, when given, receives the total milliseconds spent per stage (for benchmarks/pipeline.py).
    """
    import time

    from stretches.annotated_video import ConcurrentAnnotator, render_annotated_video
    from vision.estimator import EstimatorSettings
    from vision.pipeline import StageTimes, track_video
    from vision.sources import open_source

    stretch = _get_stretch(stretch_id)
    thresholds = _as_thresholds(thresholds)
    video = Path(video)
    with open_source(video) as source:  # fails fast on a missing, empty or non-video file
        info = source.info
    if client is not None:
        _validate_client(client)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInputError(f"--out {out_dir} is a file; give a folder")
    try:  # before inference, so an unwritable folder fails in a second, not after the whole video
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BadInputError(f"cannot create the output folder {out_dir}: {error.strerror or error}") from None

    annotator = None
    if write_video and info.fps:  # a still image has no clock to draw along; it is drawn after tracking
        annotator = ConcurrentAnnotator(video, out_dir / VIDEO_FILENAME, stretch.id, thresholds, client,
                                        fps=info.fps, image_size=(info.width, info.height))
    with annotator if annotator is not None else contextlib.nullcontext():
        on_frame = None
        if annotator is not None:
            def on_frame(poses) -> None:
                annotator.add(poses.t_ms, poses.landmarks, poses.world)

        times = StageTimes()
        track = track_video(video, progress=progress, model_path=model_path, model_variant=model_variant,
                            times=times, on_frame=on_frame,
                            estimator_settings=EstimatorSettings(strategy=stretch.pose_strategy,
                                                                 mirror_redetect=stretch.mirror_redetect))
        started = time.perf_counter()
        roles = _roles_for(track, stretch, client)
        track = track.with_roles(_roles_tuple(roles, track.num_people))
        events = _evaluate(track, stretch.id, thresholds, roles)
        times.add("roles+checks", (time.perf_counter() - started) * 1000.0)

        out_dir.mkdir(parents=True, exist_ok=True)
        track_path = track.save(out_dir / TRACK_FILENAME)
        events_path = write_text_atomic(out_dir / EVENTS_FILENAME,
                                        json.dumps(events.to_dict(), indent=2) + "\n")
        video_path = None
        render_ms: dict[str, float] = {}
        if annotator is not None:
            started = time.perf_counter()
            drawn = annotator.finish(track, roles)
            times.add("video tail (after tracking)", (time.perf_counter() - started) * 1000.0)
            render_ms = drawn.times_ms
            video_path = drawn.path
            if drawn.redrawn:
                times.add("video redrawn (final roles differed)", 1.0)
        elif write_video:
            video_path = render_annotated_video(video, track, stretch.id, out_dir / VIDEO_FILENAME,
                                                thresholds, roles, times=render_ms)
        for stage, ms in render_ms.items():
            times.add(stage, ms)
    if stage_ms is not None:
        stage_ms.update(times.ms)
    return SessionResult(track_path, events_path, video_path, events, track)


def check_track(
    track_path: str | os.PathLike, stretch_id: str, thresholds=None, client: str | int | None = None
):
    """Events for a saved track, without inference (roles: override > stored > posture)."""
    stretch = _get_stretch(stretch_id)
    thresholds = _as_thresholds(thresholds)
    track = Track.load(track_path)
    if track.num_frames == 0:
        raise BadInputError(f"{Path(track_path).name} has no frames")
    if client is not None:
        roles = _roles_for(track, stretch, client)
    else:
        roles = track.role_index()
        if roles is None or set(roles) != set(ROLE_NAMES):
            roles = _roles_for(track, stretch, None)
    return _evaluate(track, stretch.id, thresholds, roles)


def _get_stretch(stretch_id: str):
    from stretches.catalog import get_stretch

    return get_stretch(stretch_id)


def _as_thresholds(thresholds):
    if thresholds is None or not isinstance(thresholds, str | os.PathLike):
        return thresholds
    from stretches.thresholds import load_thresholds

    return load_thresholds(thresholds)


def _validate_client(client: str | int) -> None:
    if str(client).strip().lower() not in {"left", "right", "0", "1"}:
        raise BadInputError(f"--client must be left, right, 0 or 1, got {client!r}")


def _roles_for(track: Track, stretch, client: str | int | None) -> dict[str, int]:
    if client is not None:
        _validate_client(client)
    try:
        return stretch_roles(stretch, track.landmarks, track.image_size, client=client)
    except ValueError as error:
        raise BadInputError(str(error)) from None


def _roles_tuple(roles: dict[str, int], people: int) -> tuple[str, ...]:
    names = [""] * people
    for role, index in roles.items():
        if 0 <= index < people and not names[index]:
            names[index] = role
    return tuple(names)


def _evaluate(track: Track, stretch_id: str, thresholds, roles: dict[str, int]) -> Events:
    return evaluate(track, stretch_id, thresholds=thresholds, roles=roles)
