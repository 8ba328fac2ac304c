"""Frames with timestamps from a video file, a webcam index or a still image.

Every source yields `Frame(image_bgr, t_ms, index)` with strictly increasing t_ms, and every input a user can
get wrong (missing, empty, corrupt, not a video) raises BadInputError with a one-line reason before the
first frame, so callers never start work on an input that cannot be read.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from vision.errors import BadInputError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})
_T = TypeVar("_T")


@dataclass(frozen=True)
class Frame:
    image_bgr: np.ndarray  # uint8 (H, W, 3)
    t_ms: int
    index: int


@dataclass(frozen=True)
class SourceInfo:
    width: int
    height: int
    fps: float | None  # nominal frames per second, None for a still image
    frame_count: int | None  # best estimate, None when unknown (webcams)
    name: str


class FrameSource:
    """An opened source: `.info` plus iteration over frames. Use as a context manager to release it."""

    info: SourceInfo

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        return None

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(spec: str | int | os.PathLike) -> FrameSource:
    """A webcam for an int (or a digit string that is not a file), else a video or image file."""
    if isinstance(spec, int):
        return WebcamSource(spec)
    if isinstance(spec, str) and spec.isdigit() and not Path(spec).exists():
        return WebcamSource(int(spec))
    path = Path(spec)
    check_readable_file(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource(path)
    return VideoFileSource(path)


def check_readable_file(path: Path) -> None:
    if not path.exists():
        raise BadInputError(f"file not found: {path}")
    if not path.is_file():
        raise BadInputError(f"not a file: {path}")
    if path.stat().st_size == 0:
        raise BadInputError(f"file is empty: {path}")


class ImageSource(FrameSource):
    def __init__(self, path: Path) -> None:
        import cv2

        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise BadInputError(f"not a readable image: {path}")
        self._image = image
        height, width = image.shape[:2]
        self.info = SourceInfo(width, height, None, 1, path.name)

    def __iter__(self) -> Iterator[Frame]:
        yield Frame(self._image, 0, 0)


class VideoFileSource(FrameSource):
    """Decodes with PyAV (FFmpeg, multi-threaded); timestamps come from the stream, not a frame counter."""

    def __init__(self, path: Path) -> None:
        import av

        self._path = path
        try:
            self._container = av.open(str(path))
        except (av.FFmpegError, OSError, ValueError) as error:
            raise BadInputError(f"not a readable video: {path.name} ({_first_line(error)})") from None
        if not self._container.streams.video:
            self._container.close()
            raise BadInputError(f"no video stream in {path.name}; give a video file (e.g. .mp4)")
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        self._stream = stream
        fps = float(stream.average_rate) if stream.average_rate else None
        frames = int(stream.frames) or None
        if frames is None and fps and stream.duration and stream.time_base:
            frames = int(round(float(stream.duration * stream.time_base) * fps))
        width, height = stream.codec_context.width, stream.codec_context.height
        if not width or not height:
            self._container.close()
            raise BadInputError(f"video has no picture size: {path.name}")
        self.info = SourceInfo(width, height, fps, frames, path.name)

    def __iter__(self) -> Iterator[Frame]:
        import av

        last_t_ms = -1
        index = 0
        fallback_period_ms = 1000.0 / (self.info.fps or 30.0)
        try:
            for decoded in self._container.decode(self._stream):
                if decoded.time is not None:
                    t_ms = int(round(decoded.time * 1000.0))
                else:
                    t_ms = int(round(index * fallback_period_ms))
                t_ms = max(t_ms, last_t_ms + 1)  # the track contract needs strictly increasing times
                last_t_ms = t_ms
                yield Frame(decoded.to_ndarray(format="bgr24"), t_ms, index)
                index += 1
        except (av.FFmpegError, OSError) as error:
            raise BadInputError(
                f"video is corrupt after frame {index}: {self._path.name} ({_first_line(error)})"
            ) from None
        if index == 0:
            raise BadInputError(f"video has no decodable frames: {self._path.name}")

    def close(self) -> None:
        self._container.close()


class WebcamSource(FrameSource):
    """A local camera; timestamps from the monotonic clock since opening."""

    def __init__(self, index: int) -> None:
        import cv2

        self._capture = cv2.VideoCapture(index)
        if not self._capture.isOpened():
            raise BadInputError(f"cannot open webcam {index}; check that it is connected and not in use")
        width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = self._capture.get(cv2.CAP_PROP_FPS) or None
        self.info = SourceInfo(width, height, fps, None, f"webcam {index}")

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        last_t_ms = -1
        index = 0
        while True:
            ok, image = self._capture.read()
            if not ok:
                return
            t_ms = max(int((time.monotonic() - start) * 1000.0), last_t_ms + 1)
            last_t_ms = t_ms
            yield Frame(image, t_ms, index)
            index += 1

    def close(self) -> None:
        self._capture.release()


class TimedIterator:
    """Iterates `items`, summing in `total_ms` the time spent producing them (the decode stage's time,
    measured in whichever thread consumes it, e.g. prefetch's)."""

    def __init__(self, items: Iterable[_T]) -> None:
        self._items = iter(items)
        self.total_ms = 0.0

    def __iter__(self) -> TimedIterator:
        return self

    def __next__(self):
        started = time.perf_counter()
        try:
            return next(self._items)
        finally:
            self.total_ms += (time.perf_counter() - started) * 1000.0


def prefetch(items: Iterable[_T], depth: int = 4) -> Iterator[_T]:
    """Produce `items` in a background thread (decoding releases the GIL), `depth` ahead of the consumer.

    Exceptions from the producer are re-raised in the consumer; stopping early stops the producer.
    """
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buffer.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put((done, None))
        except BaseException as error:  # handed to the consumer
            buffer.put((done, error))

    worker = threading.Thread(target=produce, name="frame-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = buffer.get()
            if item is done:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            try:
                buffer.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.05)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
