"""A rendered clip on disk: H.264 video plus its ground truth, written atomically side by side.

Files for a clip `name` in `folder`:
  name.mp4          H.264 (libx264 via PyAV), yuv420p, faststart so browsers can stream it
  name.truth.json   stretch, injected faults with start/end, holds, roles, camera, style, scenario
  name.truth.npz    t_ms (F,) int64; joints_2d (F, 2, 33, 2) float32 px;
                    joints_3d (F, 2, 33, 3) float32 scene metres
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from vision.errors import BadInputError

TRUTH_JSON_SUFFIX = ".truth.json"
TRUTH_NPZ_SUFFIX = ".truth.npz"


@dataclass(frozen=True)
class FaultTruth:
    check_id: str
    start_s: float
    end_s: float
    magnitude: float
    unit: str


@dataclass(frozen=True)
class ClipTruth:
    """What really happened in a rendered clip, for scoring the pipeline against."""

    stretch: str
    fps: float
    image_size: tuple[int, int]
    t_ms: np.ndarray  # int64 (F,)
    joints_2d: np.ndarray  # float32 (F, 2, 33, 2) pixels
    joints_3d: np.ndarray  # float32 (F, 2, 33, 3) scene metres, y up
    roles: dict[str, int]  # {"client": 0, "partner": 1}: person axis of the joints
    faults: list[FaultTruth] = field(default_factory=list)
    holds: list[dict] = field(default_factory=list)  # {"side", "start_s", "end_s"}
    meta: dict = field(default_factory=dict)  # camera, style, scenario: for people and reproduction

    @property
    def duration_s(self) -> float:
        return float(self.t_ms[-1] - self.t_ms[0]) / 1000.0 if self.t_ms.size > 1 else 0.0

    def to_json_dict(self) -> dict:
        return {
            "stretch": self.stretch,
            "fps": self.fps,
            "image_size": list(self.image_size),
            "frames": int(self.t_ms.size),
            "duration_s": round(self.duration_s, 3),
            "roles": dict(self.roles),
            "faults": [asdict(f) for f in self.faults],
            "holds": list(self.holds),
            "meta": self.meta,
        }


def write_clip(frames: Iterable[np.ndarray], truth: ClipTruth, folder: str | os.PathLike, name: str,
               crf: int = 28) -> Path:
    """Encode `frames` (BGR uint8) to folder/name.mp4 and write the truth files; returns the video path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / f"{name}.mp4"
    count = write_mp4(frames, video, truth.fps, crf=crf)
    if count != truth.t_ms.size:
        raise ValueError(f"{name}: rendered {count} frames but the truth has {truth.t_ms.size}")
    save_truth(truth, folder / name)
    return video


def write_mp4(frames: Iterable[np.ndarray], path: Path, fps: float, crf: int = 28) -> int:
    """H.264 encode, atomically (a temporary file renamed into place); returns the frame count."""
    from fractions import Fraction

    import av

    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=".clip-", suffix=".mp4", dir=path.parent)
    os.close(fd)
    count = 0
    try:
        with av.open(tmp_name, mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
            stream = None
            for frame in frames:
                if stream is None:
                    height, width = frame.shape[:2]
                    stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1000))
                    stream.width, stream.height = width, height
                    stream.pix_fmt = "yuv420p"
                    stream.options = {"crf": str(crf), "preset": "veryfast", "threads": "1"}
                video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="bgr24")
                for packet in stream.encode(video_frame):
                    container.mux(packet)
                count += 1
            if stream is not None:
                for packet in stream.encode(None):
                    container.mux(packet)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return count


def save_truth(truth: ClipTruth, stem: Path) -> None:
    stem = Path(stem)
    _atomic_write(stem.with_name(stem.name + TRUTH_JSON_SUFFIX),
                  lambda f: f.write(json.dumps(truth.to_json_dict(), indent=1).encode()))
    arrays = {
        "t_ms": truth.t_ms.astype(np.int64),
        # 0.1 px and 1 mm are far below any check's tolerance and halve the compressed size.
        "joints_2d": np.round(truth.joints_2d.astype(np.float32), 1),
        "joints_3d": np.round(truth.joints_3d.astype(np.float32), 3),
    }
    _atomic_write(stem.with_name(stem.name + TRUTH_NPZ_SUFFIX), lambda f: np.savez_compressed(f, **arrays))


def load_truth(video_or_stem: str | os.PathLike) -> ClipTruth:
    """The ground truth beside a rendered clip (pass the .mp4 path or the stem)."""
    path = Path(video_or_stem)
    stem = path.with_suffix("") if path.suffix == ".mp4" else path
    json_path = stem.with_name(stem.name + TRUTH_JSON_SUFFIX)
    npz_path = stem.with_name(stem.name + TRUTH_NPZ_SUFFIX)
    if not json_path.is_file() or not npz_path.is_file():
        raise BadInputError(f"no ground truth beside {path.name}: expected {json_path.name} and "
                            f"{npz_path.name}")
    info = json.loads(json_path.read_text())
    with np.load(npz_path, allow_pickle=False) as data:
        t_ms, joints_2d, joints_3d = data["t_ms"], data["joints_2d"], data["joints_3d"]
    return ClipTruth(
        stretch=info["stretch"],
        fps=float(info["fps"]),
        image_size=(int(info["image_size"][0]), int(info["image_size"][1])),
        t_ms=t_ms,
        joints_2d=joints_2d,
        joints_3d=joints_3d,
        roles={k: int(v) for k, v in info["roles"].items()},
        faults=[FaultTruth(**f) for f in info["faults"]],
        holds=list(info["holds"]),
        meta=info.get("meta", {}),
    )


def _atomic_write(path: Path, write) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=".truth-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
