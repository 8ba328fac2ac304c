"""Record a live session to disk as it happens, so a crash or a closed tab loses at most about a second.

A session folder holds:
  session.json      what was recorded (stretch, start time); "complete": true once stopped cleanly
  video.mp4         fragmented MP4 (H.264): every fragment (≤ 1 s) is readable on its own, no index at the end
  track/chunk_*.npz landmarks, one file per second, each written atomically; merged into track.npz on stop
  events.jsonl      live warning start/end lines, appended and fsync'ed as they happen
  events.json       the engine's events for the whole session, written on stop

A writer thread does the encoding and file I/O so the frame callback never waits for the disk.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import re
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from appkit.y4m import letterbox
from vision.atomic import atomic_writer
from vision.errors import BadInputError, StretchGuardError
from vision.track import Track

SESSIONS_ENV = "STRETCHGUARD_SESSIONS_DIR"
LOCK_NAME = ".recording.lock"
FLUSH_INTERVAL_S = 0.5  # track chunks and video fragments: the most a crash can lose
_QUEUE_LIMIT_FRAMES = 90  # ~3 s at 30 fps; beyond that the disk is too slow and frames are skipped
_STOP = object()


def sessions_root() -> Path:
    """Where live sessions are saved: $STRETCHGUARD_SESSIONS_DIR or ./sessions."""
    return Path(os.environ.get(SESSIONS_ENV) or "sessions").resolve()


def write_json_atomic(path: Path, payload: object) -> None:
    with atomic_writer(path, durable=True) as out:
        json.dump(payload, out, indent=2)


def _save_npz_atomic(path: Path, **arrays: np.ndarray) -> None:
    with atomic_writer(path, binary=True, durable=True) as out:
        np.savez(out, **arrays)


class _FragmentedVideoWriter:
    """H.264 in fragmented MP4 with a keyframe (and so a new fragment) at least every second."""

    def __init__(self, path: Path, width: int, height: int) -> None:
        self.size = (width - width % 2, height - height % 2)
        self._container = av.open(
            str(path), "w", format="mp4",
            options={"movflags": "frag_keyframe+empty_moov+default_base_moof", "flush_packets": "1"},
        )
        self._stream = self._container.add_stream("libx264", rate=30)
        self._stream.width, self._stream.height = self.size
        self._stream.pix_fmt = "yuv420p"
        self._stream.time_base = Fraction(1, 1000)
        self._stream.codec_context.time_base = Fraction(1, 1000)
        self._stream.options = {"preset": "ultrafast", "tune": "zerolatency", "crf": "26"}
        self._last_pts = -1
        self._last_key_pts: int | None = None

    def write(self, frame_bgr: np.ndarray, pts_ms: int) -> None:
        if pts_ms <= self._last_pts:
            return
        width, height = self.size
        if frame_bgr.shape[1] != width or frame_bgr.shape[0] != height:
            frame_bgr = letterbox(frame_bgr, width, height)  # the browser may change resolution mid-stream
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame_bgr), format="bgr24")
        frame.pts = pts_ms
        frame.time_base = Fraction(1, 1000)
        if self._last_key_pts is None or pts_ms - self._last_key_pts >= 1000 * FLUSH_INTERVAL_S:
            frame.pict_type = av.video.frame.PictureType.I
            self._last_key_pts = pts_ms
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self._last_pts = pts_ms

    def close(self) -> None:
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()


class SessionRecorder:
    """Saves frames, landmarks and live events of one recording into a new session folder."""

    def __init__(self, root: str | os.PathLike, stretch_id: str, *, meta: dict | None = None) -> None:
        started = datetime.now(UTC)
        name = f"{started:%Y%m%d-%H%M%S}_{stretch_id}"
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        path = root / name
        suffix = 1
        while path.exists():
            suffix += 1
            path = root / f"{name}-{suffix}"
        (path / "track").mkdir(parents=True)
        self.path = path
        # Held while recording (the OS drops it if the process dies): others must not "recover" us meanwhile.
        self._lock_file = (path / LOCK_NAME).open("w")
        fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        self.stretch_id = stretch_id
        self._meta = {"stretch": stretch_id, "started_utc": started.isoformat(timespec="seconds"),
                      "complete": False, **(meta or {})}
        write_json_atomic(path / "session.json", self._meta)
        self._queue: queue.Queue = queue.Queue()
        self._events_file = (path / "events.jsonl").open("a", encoding="utf-8")
        self._events_lock = threading.Lock()
        self.frames_skipped = 0
        self.frames_written = 0
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"recorder-{name}", daemon=True)
        self._thread.start()

    # --- called from the frame callback thread -------------------------------------------------
    def add_frame(self, frame_bgr: np.ndarray, t_ms: int, landmarks: np.ndarray,
                  world: np.ndarray | None) -> None:
        if self._closed:
            return
        if self._queue.qsize() > _QUEUE_LIMIT_FRAMES:
            self.frames_skipped += 1
            return
        self._queue.put((frame_bgr.copy(), int(t_ms), np.array(landmarks, dtype=np.float32),
                         None if world is None else np.array(world, dtype=np.float32)))

    def add_event(self, event: dict) -> None:
        """Append one live event line and force it to disk now (events are rare and precious)."""
        with self._events_lock:
            if self._events_file.closed:
                return
            self._events_file.write(json.dumps(event) + "\n")
            self._events_file.flush()
            os.fsync(self._events_file.fileno())

    # --- stop ----------------------------------------------------------------------------------
    def close(self, events: dict | None = None, timeout_s: float = 30.0) -> Path:
        """Flush everything, merge the landmark chunks into track.npz and write events.json."""
        if self._closed:
            return self.path
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join(timeout_s)
        with self._events_lock:
            self._events_file.close()
        finish_session(self.path, _owner=True)
        if events is not None:
            write_json_atomic(self.path / "events.json", events)
        self._meta.update(complete=True, frames=self.frames_written, frames_skipped=self.frames_skipped)
        write_json_atomic(self.path / "session.json", self._meta)
        fcntl.flock(self._lock_file, fcntl.LOCK_UN)
        self._lock_file.close()
        if self._error is not None:
            raise StretchGuardError(f"recording stopped early: {self._error}") from None
        return self.path

    # --- writer thread -------------------------------------------------------------------------
    def _run(self) -> None:
        video: _FragmentedVideoWriter | None = None
        chunk: list[tuple[int, np.ndarray, np.ndarray | None]] = []
        chunk_index = 0
        t0_ms: int | None = None
        last_flush = time.monotonic()
        try:
            while True:
                try:
                    item = self._queue.get(timeout=0.2)
                except queue.Empty:
                    item = None
                if item is _STOP:
                    break
                if item is not None:
                    frame, t_ms, landmarks, world = item
                    if t0_ms is None:
                        t0_ms = t_ms
                        height, width = frame.shape[:2]
                        video = _FragmentedVideoWriter(self.path / "video.mp4", width, height)
                        self._meta.update(t0_ms=t0_ms, image_size=list(video.size))
                        write_json_atomic(self.path / "session.json", self._meta)
                    if chunk and t_ms <= chunk[-1][0]:
                        continue
                    video.write(frame, t_ms - t0_ms)
                    chunk.append((t_ms, landmarks, world))
                    self.frames_written += 1
                if chunk and time.monotonic() - last_flush >= FLUSH_INTERVAL_S:
                    chunk_index += 1
                    self._write_chunk(chunk, chunk_index, video.size)
                    chunk, last_flush = [], time.monotonic()
        except BaseException as error:  # noqa: BLE001 - reported by close(); the live view must go on
            self._error = error
        finally:
            if chunk and video is not None:
                chunk_index += 1
                self._write_chunk(chunk, chunk_index, video.size)
            if video is not None:
                video.close()

    def _write_chunk(self, chunk: list, index: int, image_size: tuple[int, int]) -> None:
        arrays = {
            "t_ms": np.array([t for t, _, _ in chunk], dtype=np.int64),
            "landmarks": np.stack([lm for _, lm, _ in chunk]).astype(np.float32),
            "image_size": np.asarray(image_size, dtype=np.int32),
        }
        if all(world is not None for _, _, world in chunk):
            arrays["world"] = np.stack([w for _, _, w in chunk]).astype(np.float32)
        _save_npz_atomic(self.path / "track" / f"chunk_{index:05d}.npz", **arrays)


def is_recording(path: str | os.PathLike) -> bool:
    """Whether a recorder (in any process) is still writing this session."""
    lock_path = Path(path) / LOCK_NAME
    if not lock_path.exists():
        return False
    with lock_path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def finish_session(path: str | os.PathLike, _owner: bool = False) -> Path | None:
    """Merge track/chunk_*.npz into track.npz (also recovers a session that crashed); None if no frames."""
    path = Path(path)
    if not _owner and is_recording(path):
        raise BadInputError(f"session {path.name} is still recording; stop the recording first")
    chunk_dir = path / "track"
    chunks = sorted(chunk_dir.glob("chunk_*.npz"), key=lambda p: int(re.findall(r"\d+", p.stem)[0]))
    if not chunks:
        return path / "track.npz" if (path / "track.npz").exists() else None
    parts = []
    for chunk_path in chunks:
        try:
            with np.load(chunk_path) as data:
                parts.append({key: data[key] for key in data.files})
        except (OSError, ValueError, EOFError):
            break  # an unreadable last chunk: keep what came before
    if not parts:
        return None
    people = max(part["landmarks"].shape[1] for part in parts)
    t_ms = np.concatenate([part["t_ms"] for part in parts])
    landmarks = np.concatenate([_pad_people(part["landmarks"], people) for part in parts])
    world = None
    if all("world" in part for part in parts):
        world = np.concatenate([_pad_people(part["world"], people) for part in parts])
    keep = np.concatenate([[True], np.diff(t_ms) > 0]) if t_ms.size else np.zeros(0, bool)
    meta = _read_meta(path)
    track = Track(
        t_ms=t_ms[keep].astype(np.int64),
        landmarks=landmarks[keep].astype(np.float32),
        image_size=tuple(int(v) for v in parts[0]["image_size"]),
        world=None if world is None else world[keep].astype(np.float32),
        meta={"source": "live", "stretch": meta.get("stretch", "")},
    )
    track.save(path / "track.npz")
    shutil.rmtree(chunk_dir, ignore_errors=True)
    return path / "track.npz"


def _pad_people(array: np.ndarray, people: int) -> np.ndarray:
    if array.shape[1] == people:
        return array
    pad = np.full((array.shape[0], people - array.shape[1], *array.shape[2:]), np.nan, dtype=array.dtype)
    return np.concatenate([array, pad], axis=1)


def _read_meta(path: Path) -> dict:
    try:
        meta = json.loads((path / "session.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return meta if isinstance(meta, dict) else {}


@dataclass(frozen=True)
class SavedSession:
    path: Path
    stretch_id: str
    started_utc: str
    complete: bool
    video_path: Path | None
    track_path: Path | None
    events_path: Path | None

    @property
    def label(self) -> str:
        state = "" if self.complete else " (recovered after an interrupted recording)"
        return f"{self.started_utc} · {self.stretch_id}{state}"


def open_session(path: str | os.PathLike) -> SavedSession:
    """A saved session, recovering its track from chunks if the recording never stopped cleanly."""
    path = Path(path)
    meta = _read_meta(path)
    if not meta.get("stretch"):
        raise BadInputError(f"{path.name} is not a StretchGuard session folder (no session.json)")
    track_path = finish_session(path)
    video_path = path / "video.mp4"
    events_path = path / "events.json"
    return SavedSession(
        path=path,
        stretch_id=str(meta["stretch"]),
        started_utc=str(meta.get("started_utc", "")),
        complete=bool(meta.get("complete")),
        video_path=video_path if video_path.exists() and video_path.stat().st_size > 0 else None,
        track_path=track_path,
        events_path=events_path if events_path.exists() else None,
    )


def session_label(path: str | os.PathLike) -> str:
    """A one-line description of a session folder for pickers (reads only session.json)."""
    meta = _read_meta(Path(path))
    if not meta.get("stretch"):
        return Path(path).name
    if is_recording(path):
        state = " (recording now)"
    else:
        state = "" if meta.get("complete") else " (interrupted: recovered on opening)"
    return f"{meta.get('started_utc', '')} · {meta['stretch']}{state}"


def list_sessions(root: str | os.PathLike | None = None) -> list[Path]:
    """Session folders under root, newest first."""
    root = Path(root) if root is not None else sessions_root()
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if (p / "session.json").is_file()), reverse=True)
