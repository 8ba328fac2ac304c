"""Re-detection of a lost person in a second process, one frame behind the main landmarker (batch only).

Why a process: MediaPipe's Tasks API sends every call of a process through one dispatcher thread
(`mediapipe.tasks.python.core.serial_dispatcher`), so two landmarkers in one process never run at the same
time, and the main landmarker keeps only one of the two cores busy. Here the main process runs the main
landmarker on frame i + 1 while this process runs the re-detection landmarkers (masked frame, crop) on
frame i. Frames travel through shared memory (a ring of slots); poses, a few kilobytes, through a pipe.
The results are exactly those of `PoseEstimator.detect` (the same code runs, split in two), one frame later.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from multiprocessing import shared_memory
from pathlib import Path

import numpy as np

from vision.errors import StretchGuardError
from vision.estimator import Detection, EstimatorSettings, PoseEstimator

# Frames in flight: the main pass runs ahead of the second process by up to (slots - 1) frames, as it does
# for the ~1 s the second process takes to start its landmarkers; at 640×480 the budget holds 69 frames.
RING_BUDGET_BYTES = 64 * 1024 * 1024
MAX_RING_SLOTS = 90
MIN_RING_SLOTS = 4


def ring_slots(frame_shape: tuple[int, int, int]) -> int:
    return int(np.clip(RING_BUDGET_BYTES // int(np.prod(frame_shape)), MIN_RING_SLOTS, MAX_RING_SLOTS))
START_TIMEOUT_S = 120.0


class PipelinedEstimator:
    """`submit` frames in order, take their detections in order from `next_result` (one call per submit).

    The main landmarker runs here; re-detection runs in a second process. `pending` says how many submitted
    frames have no result taken yet; keep it below `max_outstanding` (take a result before submitting more).
    """

    def __init__(self, model_path: str | os.PathLike, settings: EstimatorSettings,
                 frame_shape: tuple[int, int, int]) -> None:
        import multiprocessing

        if not settings.pipelinable:
            raise ValueError(f"strategy {settings.strategy!r} feeds re-detection back into the main pass")
        self._main = PoseEstimator(model_path, settings, part="main")
        self._frame_shape = frame_shape
        self._slots = ring_slots(frame_shape)
        self.max_outstanding = self._slots - 1  # a slot in use is never overwritten
        self._memory = shared_memory.SharedMemory(create=True, size=int(np.prod(frame_shape)) * self._slots)
        self._ring = np.ndarray((self._slots, *frame_shape), dtype=np.uint8, buffer=self._memory.buf)
        context = multiprocessing.get_context("spawn")  # fork is unsafe once MediaPipe's threads run
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=_redetect_main, name="stretchguard-redetect", daemon=True,
            args=(child, str(model_path), settings, self._memory.name, frame_shape, self._slots))
        self._process.start()
        child.close()
        self._next_slot = 0
        self._in_flight: deque[int] = deque()
        self._closed = False

    @property
    def pending(self) -> int:
        return len(self._in_flight)

    def ready(self) -> bool:
        """Whether the oldest pending result has arrived (`next_result` would not wait)."""
        return bool(self._in_flight) and self._connection.poll(0)

    def submit(self, image_bgr: np.ndarray, t_ms: int) -> None:
        if image_bgr.shape != self._frame_shape:
            raise StretchGuardError(f"frame size changed: {image_bgr.shape} after {self._frame_shape}")
        rgb, t_ms, detection = self._main.detect_main(image_bgr, t_ms)
        slot = self._next_slot
        self._next_slot = (slot + 1) % self._slots
        self._ring[slot] = rgb
        self._connection.send((slot, t_ms, detection))
        self._in_flight.append(slot)

    def next_result(self) -> Detection:
        if not self._in_flight:
            raise RuntimeError("next_result() without a submitted frame")
        while not self._connection.poll(1.0):
            if not self._process.is_alive():
                raise StretchGuardError("the re-detection process stopped unexpectedly")
        kind, payload = self._connection.recv()
        self._in_flight.popleft()
        if kind == "error":
            raise StretchGuardError(f"re-detection failed: {payload}")
        return payload

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(BrokenPipeError, OSError):
            self._connection.send(None)
        self._process.join(timeout=10.0)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5.0)
        self._connection.close()
        self._main.close()
        del self._ring
        self._memory.close()
        self._memory.unlink()

    def __enter__(self) -> PipelinedEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _redetect_main(connection, model_path: str, settings: EstimatorSettings, memory_name: str,
                   frame_shape: tuple[int, int, int], slots: int) -> None:
    """The second process: the re-detection half of PoseEstimator.detect, frame after frame."""
    memory = shared_memory.SharedMemory(name=memory_name)  # the parent owns it and unlinks it
    try:
        _serve(connection, model_path, settings, memory, frame_shape, slots)
    finally:
        memory.close()


def _serve(connection, model_path: str, settings: EstimatorSettings, memory: shared_memory.SharedMemory,
           frame_shape: tuple[int, int, int], slots: int) -> None:
    ring = np.ndarray((slots, *frame_shape), dtype=np.uint8, buffer=memory.buf)
    with PoseEstimator(Path(model_path), settings, part="redetect") as estimator:
        while True:
            try:
                message = connection.recv()
            except EOFError:
                return
            if message is None:
                return
            slot, t_ms, detection = message
            try:
                result = estimator.complete(ring[slot], t_ms, detection)
            except Exception as error:  # handed to the parent, which raises it as one line
                connection.send(("error", str(error) or type(error).__name__))
                return
            connection.send(("ok", result))
