"""The annotated video: both skeletons by role, the warnings and the hold timer as Live shows them, H.264.

The overlay of each frame is what the Live page would have shown at that moment (a `LiveEvaluator` fed the
track frame by frame): a warning appears once it is confirmed, the hold timer counts from the moment the
hold is recognised. That keeps the video causal, so it can be drawn while `analyze` is still tracking, and
a recorded session looks the same in Review as it did live. events.json keeps the batch record (a warning
starts where its condition began, a hold where the angle reached its plateau).

Two ways to make it, with the same frames as the result:
- `render_annotated_video`: after the fact, from a finished track (Tune re-draws with other thresholds);
- `ConcurrentAnnotator`: while `analyze` is tracking. MediaPipe keeps one core busy and leaves the other
  nearly idle, so a second process decodes, draws and encodes there a few frames behind the tracker. Roles
  need the whole track, so it draws with the roles of the track so far (starting again if they change),
  and at the end compares what it drew with the final track and roles; any difference and it draws the
  whole video again, so the file is always exactly what `render_annotated_video` gives.
"""

from __future__ import annotations

import os
import queue
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vision.errors import StretchGuardError
from vision.track import Track

VIDEO_CRF = 23  # H.264 quality: visually clean overlays at a small size
VIDEO_PRESET = "superfast"  # ~2 ms/frame at 640×480 (veryfast: ~2.7 ms, half the file size)
WORKER_JOIN_TIMEOUT_S = 60.0
ANNOTATOR_NICENESS = 10
ANNOTATOR_ENCODER_THREADS = 1  # keeps x264 off the core MediaPipe is using, and its output reproducible
_MIN_RUN_FRAMES = 3  # = vision.pipeline.MIN_RUN_FRAMES (not imported: the worker needs no MediaPipe)


class LiveOverlay:
    """Per-frame banners and hold timer exactly as the Live page shows them; feed frames in time order."""

    def __init__(self, stretch_id: str, thresholds, roles: dict[str, int], image_size: tuple[int, int]
                 ) -> None:
        from stretches.engine import LiveEvaluator

        self._evaluator = LiveEvaluator(stretch_id, thresholds=thresholds, roles=roles, image_size=image_size)

    def next(self, t_ms: int, landmarks: np.ndarray, world: np.ndarray | None):
        """(banners, hold) for this frame."""
        from vision.draw import Banner, HoldDisplay

        status = self._evaluator.update(int(t_ms), landmarks, world)
        banners = [Banner(w.message or w.check, w.severity) for w in status.warnings]
        hold = None
        if status.phase == "hold":
            hold = HoldDisplay(status.hold_elapsed_s, status.hold_target_s, status.side)
        return banners, hold


def render_annotated_video(
    video: Path,
    track: Track,
    stretch_id: str,
    out_path: Path,
    thresholds=None,
    roles: dict[str, int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    times: dict[str, float] | None = None,
    encoder_threads: int = 0,
) -> Path:
    """Re-decode `video`, draw both skeletons by role, the live warnings and hold timer, encode H.264.

    roles default to the track's stored roles. Decoding and encoding run in their own threads (FFmpeg
    releases the GIL), drawing in this one. x264 output depends on its thread count (0 = all cores): the
    same frames and the same `encoder_threads` give the same bytes.
    """
    roles = roles if roles is not None else (track.role_index() or {"client": 0, "partner": 1})
    fps = track.meta.get("fps") or _estimate_fps(track.t_ms)
    overlay = LiveOverlay(stretch_id, thresholds, roles, track.image_size)
    world = track.world
    times = times if times is not None else {}
    with _FrameDrawer(video, out_path, fps, track.t_ms, encoder_threads) as drawer:
        for index in range(track.num_frames):
            frame_overlay = overlay.next(int(track.t_ms[index]), track.landmarks[index],
                                         None if world is None else world[index])
            if not drawer.draw(index, track.landmarks[index], roles, frame_overlay):
                break
            if progress is not None:
                progress(index + 1, track.num_frames)
    drawer.add_times(times)
    return out_path


class _FrameDrawer:
    """Decoded frames of `video` in order → overlay → H.264 writer; the one drawing path of both renderers."""

    def __init__(self, video: Path, out_path: Path, fps: float, t_ms, encoder_threads: int = 0) -> None:
        from vision.sources import TimedIterator, open_source, prefetch

        self._t_ms = t_ms  # index → ms on the track clock (a growing list while tracking)
        self._source = open_source(video)
        try:
            self._writer = _H264Writer(out_path, self._source.info.width, self._source.info.height, fps,
                                       encoder_threads)
        except BaseException:
            self._source.close()
            raise
        self._decode = TimedIterator(self._source)
        self._frames = prefetch(self._decode, depth=4)
        self.drawing_ms = 0.0

    def draw(self, index: int, landmarks: np.ndarray, roles: dict[str, int], overlay) -> bool:
        """Draw and queue frame `index` (frames come in order); False when the video has no such frame."""
        from vision.draw import draw_overlay

        frame = next(self._frames, None)
        if frame is None or frame.index != index:
            return False
        started = time.perf_counter()
        banners, hold = overlay
        image = draw_overlay(frame.image_bgr, landmarks, roles, banners, hold)
        self.drawing_ms += (time.perf_counter() - started) * 1000.0
        self._writer.write(image, int(self._t_ms[index]) - int(self._t_ms[0]))
        return True

    def add_times(self, times: dict[str, float]) -> None:
        times["drawing"] = times.get("drawing", 0.0) + self.drawing_ms
        times["encoding"] = times.get("encoding", 0.0) + self._writer.encode_ms
        times["decode (render pass)"] = times.get("decode (render pass)", 0.0) + self._decode.total_ms

    def __enter__(self) -> _FrameDrawer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self._frames.close()
        finally:
            try:
                self._writer.__exit__(exc_type, exc, tb)
            finally:
                self._source.close()


@dataclass(frozen=True)
class AnnotatorResult:
    path: Path
    redrawn: bool  # True when the final roles or landmarks differed from those drawn: all drawn again
    times_ms: dict[str, float]


class ConcurrentAnnotator:
    """Draws and encodes the annotated video in a second process while the caller is still tracking.

    Feed every tracked frame in order with `add`, then call `finish` with the final track and roles;
    `abort` (or leaving a `with` block on an exception) stops the process and leaves no partial file.
    """

    def __init__(self, video: Path, out_path: Path, stretch_id: str, thresholds=None,
                 client: str | int | None = None, fps: float = 30.0,
                 image_size: tuple[int, int] = (640, 480)) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # fork is unsafe once MediaPipe's threads run
        self._requests = context.Queue()
        self._replies = context.Queue()
        self._process = context.Process(
            target=_annotator_main, name="stretchguard-annotator", daemon=True,
            args=(self._requests, self._replies, str(video), str(out_path), stretch_id, thresholds, client,
                  fps, image_size))
        self._process.start()
        self._finished = False

    def add(self, t_ms: int, landmarks: np.ndarray, world: np.ndarray) -> None:
        self._requests.put(("frame", int(t_ms), landmarks, world))

    def finish(self, track: Track, roles: dict[str, int]) -> AnnotatorResult:
        """Hand over the final track and roles; wait for the finished, checked file."""
        self._requests.put(("final", track.landmarks, track.world, dict(roles)))
        while True:
            try:
                kind, payload = self._replies.get(timeout=1.0)
                break
            except queue.Empty:
                if not self._process.is_alive():
                    self._finished = True
                    raise StretchGuardError("the annotated-video process stopped unexpectedly") from None
        self._process.join(timeout=WORKER_JOIN_TIMEOUT_S)
        self._finished = True
        if kind == "error":
            raise StretchGuardError(f"could not write the annotated video: {payload}")
        path, redrawn, times_ms = payload
        return AnnotatorResult(Path(path), redrawn, times_ms)

    def abort(self) -> None:
        if self._finished:
            return
        self._finished = True
        self._requests.put(("abort",))
        self._process.join(timeout=10.0)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5.0)

    def __enter__(self) -> ConcurrentAnnotator:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.abort()


class _Aborted(Exception):
    pass


class _Redraw(Exception):
    pass


def _annotator_main(requests, replies, video: str, out_path: str, stretch_id: str, thresholds,
                    client, fps: float, image_size: tuple[int, int]) -> None:
    """The second process: draw while frames arrive, then check against the final track and roles."""
    # Lowest claim on the CPU: this work can trail the tracker by any amount until the end, so it takes the
    # time the tracker and re-detection leave free rather than delaying them.
    os.nice(ANNOTATOR_NICENESS)
    try:
        result = _TrailingRenderer(requests, Path(video), Path(out_path), stretch_id, thresholds, client,
                                   fps, image_size).run()
    except _Aborted:
        return
    except BaseException as error:  # reported to the parent, which raises it as one line
        replies.put(("error", str(error) or type(error).__name__))
        return
    replies.put(("done", result))


class _TrailingRenderer:
    """Draws frame i once frame i + MIN_RUN_FRAMES has arrived (then its flicker filtering is settled)."""

    def __init__(self, requests, video: Path, out_path: Path, stretch_id: str, thresholds, client,
                 fps: float, image_size: tuple[int, int]) -> None:
        from stretches.catalog import get_stretch

        self._requests = requests
        self._video, self._out_path = video, out_path
        self._stretch = get_stretch(stretch_id)
        self._thresholds, self._client = thresholds, client
        self._fps, self._image_size = fps, image_size
        self._t_ms: list[int] = []
        self._landmarks: list[np.ndarray] = []
        self._world: list[np.ndarray] = []
        self._final: tuple | None = None
        self.times: dict[str, float] = {}

    def run(self) -> tuple[str, bool, dict[str, float]]:
        while True:
            try:
                self._draw_while_tracking()
                return str(self._out_path), False, self.times
            except _Redraw:
                if self._final is not None:
                    break  # the final roles or landmarks differ from the drawn ones
        landmarks, world, roles = self._final
        track_t_ms = np.asarray(self._t_ms, dtype=np.int64)
        track = Track(t_ms=track_t_ms, landmarks=landmarks, image_size=self._image_size, world=world,
                      meta={"fps": self._fps})
        render_annotated_video(self._video, track, self._stretch.id, self._out_path, self._thresholds,
                               roles, times=self.times, encoder_threads=ANNOTATOR_ENCODER_THREADS)
        return str(self._out_path), True, self.times

    def _draw_while_tracking(self) -> None:
        """Draw frames as they settle; raise _Redraw when the roles change under the frames drawn so far."""
        roles: dict[str, int] | None = None
        overlay: LiveOverlay | None = None
        drawn: list[np.ndarray] = []  # the landmarks drawn per frame, for the final comparison
        checked_at = 0
        with _FrameDrawer(self._video, self._out_path, self._fps, self._t_ms,
                          encoder_threads=ANNOTATOR_ENCODER_THREADS) as drawer:
            try:
                while self._final is None:
                    self._receive()
                    if self._final is not None:
                        break
                    count = len(self._t_ms)
                    if count - checked_at < max(int(self._fps) // 2, count // 100):
                        continue  # roles are re-checked on the whole track so far: not on every frame
                    checked_at = count
                    now_roles = self._roles_so_far()
                    if now_roles is None:
                        continue
                    if roles is not None and now_roles != roles:
                        raise _Redraw
                    if roles is None:
                        roles = now_roles
                        overlay = LiveOverlay(self._stretch.id, self._thresholds, roles, self._image_size)
                    self._draw_settled(drawer, overlay, roles, drawn, count - _MIN_RUN_FRAMES)
                landmarks, world, final_roles = self._final
                if roles is None:
                    roles = final_roles
                    overlay = LiveOverlay(self._stretch.id, self._thresholds, roles, self._image_size)
                if final_roles != roles or not all(
                        np.array_equal(a, landmarks[i], equal_nan=True) for i, a in enumerate(drawn)):
                    raise _Redraw
                for index in range(len(drawn), len(self._t_ms)):
                    frame_world = None if world is None else world[index]
                    frame_overlay = overlay.next(self._t_ms[index], landmarks[index], frame_world)
                    if not drawer.draw(index, landmarks[index], roles, frame_overlay):
                        break
            finally:
                drawer.add_times(self.times)

    def _draw_settled(self, drawer: _FrameDrawer, overlay: LiveOverlay, roles: dict[str, int],
                      drawn: list[np.ndarray], until: int) -> None:
        from vision.tracking import drop_short_runs

        start = len(drawn)
        if until <= start:
            return
        # a run reaching back past the window start shows at least MIN_RUN_FRAMES frames inside it
        window = max(start - _MIN_RUN_FRAMES, 0)
        landmarks, world = drop_short_runs(np.stack(self._landmarks[window:]), np.stack(self._world[window:]),
                                           _MIN_RUN_FRAMES)
        for index in range(start, until):
            frame_landmarks, frame_world = landmarks[index - window], world[index - window]
            frame_overlay = overlay.next(self._t_ms[index], frame_landmarks, frame_world)
            if not drawer.draw(index, frame_landmarks, roles, frame_overlay):
                break
            drawn.append(frame_landmarks)

    def _roles_so_far(self) -> dict[str, int] | None:
        from stretches.roles import stretch_roles
        from vision.tracking import drop_short_runs

        landmarks, _ = drop_short_runs(np.stack(self._landmarks), None, _MIN_RUN_FRAMES)
        try:
            return stretch_roles(self._stretch, landmarks, self._image_size, client=self._client)
        except ValueError:
            return None  # e.g. nobody seen yet: wait for more of the track

    def _receive(self) -> None:
        """Block for the next message, then take whatever else is waiting."""
        message = self._requests.get()
        while True:
            if message[0] == "abort":
                raise _Aborted
            if message[0] == "frame":
                _, t_ms, landmarks, world = message
                self._t_ms.append(t_ms)
                self._landmarks.append(landmarks)
                self._world.append(world)
            elif message[0] == "final":
                self._final = message[1:]
                return
            try:
                message = self._requests.get_nowait()
            except queue.Empty:
                return


def _estimate_fps(t_ms: np.ndarray) -> float:
    if t_ms.size < 2:
        return 30.0
    return float(1000.0 / max(np.median(np.diff(t_ms)), 1.0))


class _H264Writer:
    """H.264 yuv420p MP4 (plays in browsers) written in a background thread, atomically renamed on close.

    encoder_threads 0 lets x264 use every core; the concurrent annotator asks for 1 so that it stays off the
    core MediaPipe is using.
    """

    def __init__(self, path: Path, width: int, height: int, fps: float, encoder_threads: int = 0) -> None:
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
        options = {"crf": str(VIDEO_CRF), "preset": VIDEO_PRESET, "movflags": "+faststart"}
        if encoder_threads:
            options["threads"] = str(encoder_threads)
        self._stream.options = options
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="h264-writer", daemon=True)
        self._thread.start()

    def write(self, image_bgr: np.ndarray, pts_ms: int) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((image_bgr[: self._height, : self._width], pts_ms))

    def _run(self) -> None:
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
