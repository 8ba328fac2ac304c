"""Write a video as raw YUV4MPEG2 (.y4m): Chromium's fake webcam plays such a file in a loop.

Used by the browser tests and the live benchmark to feed a known clip through the real webcam path.
Frames are letterboxed to the requested size (aspect kept) and resampled to a constant frame rate.
"""

from __future__ import annotations

import os
from pathlib import Path

import av
import cv2
import numpy as np

from vision.errors import BadInputError


def letterbox(frame_bgr: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale to fit width x height keeping the aspect ratio; pad with black."""
    src_h, src_w = frame_bgr.shape[:2]
    scale = min(width / src_w, height / src_h)
    new_w, new_h = max(2, round(src_w * scale)), max(2, round(src_h * scale))
    resized = cv2.resize(frame_bgr, (new_w, new_h), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    canvas[top:top + new_h, left:left + new_w] = resized
    return canvas


def write_y4m(video: str | os.PathLike, out: str | os.PathLike, *, width: int = 640, height: int = 480,
              fps: int = 30, start_s: float = 0.0, end_s: float | None = None) -> int:
    """Convert [start_s, end_s) of `video` to `out`; returns the number of frames written."""
    if width % 2 or height % 2:
        raise ValueError("y4m 4:2:0 needs an even width and height")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    written = 0

    def slot_s() -> float:  # the time of the next output frame (computed, not accumulated: no drift)
        return start_s + written / fps

    try:
        with av.open(str(video)) as container, tmp.open("wb") as sink:
            sink.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
            last_frame: av.VideoFrame | None = None
            last_planes: bytes | None = None

            def emit() -> None:
                nonlocal last_planes, written
                if last_planes is None:
                    image = letterbox(last_frame.to_ndarray(format="bgr24"), width, height)
                    last_planes = cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420).tobytes()
                sink.write(b"FRAME\n")
                sink.write(last_planes)
                written += 1

            # Sample and hold: each output slot shows the latest source frame at or before its time.
            for frame in container.decode(video=0):
                if frame.time is None:
                    continue
                while last_frame is not None and slot_s() < frame.time - 1e-9 and (
                    end_s is None or slot_s() < end_s - 1e-9
                ):
                    emit()
                if end_s is not None and frame.time >= end_s:
                    break
                last_frame, last_planes = frame, None
            if last_frame is not None and (end_s is None or slot_s() < end_s - 1e-9):
                emit()
        if written == 0:
            raise BadInputError(f"{Path(video).name}: no frames between {start_s} s and {end_s} s")
        os.replace(tmp, out)
    except av.error.FFmpegError as error:
        raise BadInputError(f"{Path(video).name} is not a readable video ({error})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return written


def read_y4m_header(path: str | os.PathLike) -> dict[str, str]:
    """The header fields of a .y4m file, e.g. {"W": "640", "H": "480", "F": "30:1", ...}."""
    with Path(path).open("rb") as source:
        line = source.readline().decode().split()
    if not line or line[0] != "YUV4MPEG2":
        raise BadInputError(f"{Path(path).name} is not a YUV4MPEG2 file")
    return {field[0]: field[1:] for field in line[1:]}
