"""The one `analyze` orchestration shared by the CLI and the app: video → track → events → annotated video.

Inputs are validated before any inference (stretch id, thresholds, the video itself), so a bad input fails
in a second with one line instead of after minutes. Every output is written to a temporary file and renamed,
so an earlier analysis in the same folder is never half-overwritten.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stretches.engine import Events, evaluate
from vision.atomic import write_text_atomic
from vision.errors import BadInputError, StretchGuardError
from vision.roles import resolve_roles
from vision.track import ROLE_NAMES, Track

TRACK_FILENAME = "track.npz"
EVENTS_FILENAME = "events.json"
VIDEO_FILENAME = "annotated.mp4"
VIDEO_CRF = 23  # H.264 quality: visually clean overlays at a small size
VIDEO_PRESET = "superfast"  # ~2 ms/frame at 640×480 (veryfast: ~2.7 ms, half the file size)

# progress(done, total): frames of tracking, then (when writing the video) frames of rendering
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
) -> SessionResult:
    """Track both people in `video`, evaluate `stretch_id`, write track.npz, events.json, annotated.mp4.

    stage_ms, when given, receives the total milliseconds spent per stage (for benchmarks/pipeline.py).
    """
    import time

    from vision.pipeline import StageTimes, track_video
    from vision.sources import open_source

    stretch = _get_stretch(stretch_id)
    thresholds = _as_thresholds(thresholds)
    video = Path(video)
    with open_source(video):  # fails fast on a missing, empty or non-video file
        pass
    if client is not None:
        _validate_client(client)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInputError(f"--out {out_dir} is a file; give a folder")
    try:  # before inference, so an unwritable folder fails in a second, not after the whole video
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BadInputError(f"cannot create the output folder {out_dir}: {error.strerror or error}") from None

    passes = 2 if write_video else 1

    def tracking_progress(done: int, total: int | None) -> None:
        if progress is not None:
            progress(done, total * passes if total else None)

    times = StageTimes()
    track = track_video(video, progress=tracking_progress, model_path=model_path, times=times)
    started = time.perf_counter()
    roles = _roles_for(track, stretch, client)
    track = track.with_roles(_roles_tuple(roles, track.num_people))
    events = _evaluate(track, stretch.id, thresholds, roles)
    times.add("roles+checks", (time.perf_counter() - started) * 1000.0)

    out_dir.mkdir(parents=True, exist_ok=True)
    track_path = track.save(out_dir / TRACK_FILENAME)
    events_path = write_text_atomic(out_dir / EVENTS_FILENAME, json.dumps(events.to_dict(), indent=2) + "\n")
    video_path = None
    if write_video:
        def render_progress(done: int, total: int) -> None:
            if progress is not None:
                progress(track.num_frames + done, track.num_frames * 2)

        render_ms: dict[str, float] = {}
        video_path = render_annotated_video(video, track, events.to_dict(), out_dir / VIDEO_FILENAME,
                                            progress=render_progress, times=render_ms)
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
        return resolve_roles(track.landmarks, stretch.client_posture, stretch.partner_posture,
                             image_size=track.image_size, client=client)
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


def overlay_for_time(events: dict, t_s: float):
    """(banners, hold) active at `t_s` (seconds on the track clock, t_ms / 1000) from an events dict."""
    from vision.draw import Banner, HoldDisplay

    banners = [Banner(w.get("message") or w["check"], w.get("severity", "warning"))
               for w in events.get("warnings", []) if w["start_s"] <= t_s <= w["end_s"]]
    hold = None
    for h in events.get("holds", []):
        if h["start_s"] <= t_s <= h["end_s"]:
            target = h.get("target_s")
            target_s = tuple(target) if isinstance(target, list | tuple) else float(target or 0.0)
            hold = HoldDisplay(t_s - h["start_s"], target_s, h.get("side"))
            break
    return banners, hold


def render_annotated_video(
    video: Path,
    track: Track,
    events: dict,
    out_path: Path,
    progress: Callable[[int, int], None] | None = None,
    times: dict[str, float] | None = None,
) -> Path:
    """Re-decode `video`, draw both skeletons by role, active warnings and the hold timer, encode H.264.

    Decoding and encoding run in their own threads (FFmpeg releases the GIL), drawing in this one.
    """
    import time

    from vision.draw import draw_overlay
    from vision.sources import open_source, prefetch

    roles = track.role_index() or {}
    t0_ms = int(track.t_ms[0])
    fps = track.meta.get("fps") or _estimate_fps(track.t_ms)
    times = times if times is not None else {}
    times.setdefault("drawing", 0.0)
    decode_timer = None
    with (
        open_source(video) as source,
        _H264Writer(out_path, source.info.width, source.info.height, fps) as writer,
    ):
        decode_timer = _TimedIterable(source)
        for frame in prefetch(decode_timer, depth=4):
            if frame.index >= track.num_frames:
                break
            started = time.perf_counter()
            t_s = int(track.t_ms[frame.index]) / 1000.0  # events use the track's own clock
            banners, hold = overlay_for_time(events, t_s)
            image = draw_overlay(frame.image_bgr, track.landmarks[frame.index], roles, banners, hold)
            times["drawing"] += (time.perf_counter() - started) * 1000.0
            writer.write(image, int(track.t_ms[frame.index]) - t0_ms)
            if progress is not None:
                progress(frame.index + 1, track.num_frames)
    times["encoding"] = writer.encode_ms
    times["decode (render pass)"] = decode_timer.total_ms if decode_timer is not None else 0.0
    return out_path


class _TimedIterable:
    """Iterates `items`, summing the time spent producing each item (runs in the prefetch thread)."""

    def __init__(self, items) -> None:
        self._items = items
        self.total_ms = 0.0

    def __iter__(self):
        import time

        iterator = iter(self._items)
        while True:
            started = time.perf_counter()
            try:
                item = next(iterator)
            except StopIteration:
                return
            finally:
                self.total_ms += (time.perf_counter() - started) * 1000.0
            yield item


def _estimate_fps(t_ms: np.ndarray) -> float:
    if t_ms.size < 2:
        return 30.0
    return float(1000.0 / max(np.median(np.diff(t_ms)), 1.0))


class _H264Writer:
    """H.264 yuv420p MP4 (plays in browsers) written in a background thread, atomically renamed on close."""

    def __init__(self, path: Path, width: int, height: int, fps: float) -> None:
        import queue
        import threading
        from fractions import Fraction

        import av

        self.path = path
        self.encode_ms = 0.0
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".mp4", dir=path.parent)
        os.close(fd)
        self._tmp = Path(tmp)
        self._width, self._height = width - width % 2, height - height % 2  # yuv420p needs even sizes
        self._container = av.open(str(self._tmp), mode="w", format="mp4")
        rate = Fraction(fps).limit_denominator(1000) if fps else Fraction(30)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.width, self._stream.height = self._width, self._height
        self._stream.pix_fmt = "yuv420p"
        self._stream.time_base = Fraction(1, 1000)
        self._stream.codec_context.time_base = Fraction(1, 1000)  # frame pts are milliseconds
        self._time_base = Fraction(1, 1000)
        self._stream.options = {"crf": str(VIDEO_CRF), "preset": VIDEO_PRESET, "movflags": "+faststart"}
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="h264-writer", daemon=True)
        self._thread.start()

    def write(self, image_bgr: np.ndarray, pts_ms: int) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((image_bgr[: self._height, : self._width], pts_ms))

    def _run(self) -> None:
        import time

        import av

        last_pts = -1
        while True:
            item = self._queue.get()
            if item is None:
                break
            if self._error is not None:
                continue
            image, pts_ms = item
            try:
                started = time.perf_counter()
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
                frame.pts = max(pts_ms, last_pts + 1)
                frame.time_base = self._time_base
                last_pts = frame.pts
                for packet in self._stream.encode(frame):
                    self._container.mux(packet)
                self.encode_ms += (time.perf_counter() - started) * 1000.0
            except BaseException as error:  # handed to the producer
                self._error = error

    def __enter__(self) -> _H264Writer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        import time

        self._queue.put(None)
        self._thread.join()
        try:
            if exc_type is None and self._error is None:
                started = time.perf_counter()
                for packet in self._stream.encode():
                    self._container.mux(packet)
                self.encode_ms += (time.perf_counter() - started) * 1000.0
            self._container.close()
            if exc_type is None and self._error is None:
                os.chmod(self._tmp, 0o644)
                os.replace(self._tmp, self.path)
        finally:
            self._tmp.unlink(missing_ok=True)
        if exc_type is None and self._error is not None:
            raise StretchGuardError(f"could not encode {self.path.name}: {self._error}")
