"""Shared fixtures: the real footage folder (missing = failure, never a skip) and the model bundle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
FOOTAGE_DIR = (REPO_ROOT / ".." / "shared" / "footage").resolve()


@pytest.fixture(scope="session")
def footage_dir() -> Path:
    if not (FOOTAGE_DIR / "MANIFEST.md").is_file():
        pytest.fail(f"footage folder missing: {FOOTAGE_DIR} (tests need ../shared/footage beside the repo)")
    return FOOTAGE_DIR


@pytest.fixture(scope="session")
def footage(footage_dir: Path):
    """footage("name.mp4") -> Path, failing loudly when the file is missing."""

    def resolve(name: str) -> Path:
        path = footage_dir / name
        if not path.is_file():
            pytest.fail(f"footage file missing: {path}")
        return path

    return resolve


def write_clip(source: Path, out: Path, frames: int, width: int, height: int) -> Path:
    """The first `frames` frames of `source`, scaled to width × height, as a 30 fps H.264 file."""
    from fractions import Fraction

    import av

    with av.open(str(source)) as reader, av.open(str(out), "w") as writer:
        stream = writer.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "16"}
        for index, frame in enumerate(reader.decode(video=0)):
            if index == frames:
                break
            scaled = frame.reformat(width=width, height=height, format="yuv420p")
            scaled.pts, scaled.time_base = index, Fraction(1, 30)
            writer.mux(stream.encode(scaled))
        writer.mux(stream.encode())
    return out


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The provisioned PoseLandmarker 'full' bundle (cache, download or offline build)."""
    from vision.model import ensure_model

    return ensure_model("full")


def stick_figure(posture: str, x: float = 0.5, floor_y: float = 0.9, height: float = 0.5,
                 facing: int = 1, lean_deg: float = 0.0, visibility: float = 0.95) -> np.ndarray:
    """(33, 4) side-view landmarks of a person in a posture, in normalised image coordinates (y down).

    x: where the hips are; floor_y: the floor line; height: standing height; facing: +1 faces right;
    lean_deg: trunk tilt from the posture's usual trunk direction (positive = towards the face).
    """
    h = height
    trunk, thigh, shin, head = 0.30 * h, 0.25 * h, 0.25 * h, 0.12 * h
    f = facing
    if posture == "standing":
        ankle = (x, floor_y)
        knee = (x, floor_y - shin)
        hip = (x, floor_y - shin - thigh)
        trunk_dir = (0.0, -1.0)
    elif posture == "seated":  # legs straight out in front
        hip = (x, floor_y - 0.03 * h)
        knee = (x + f * thigh, floor_y - 0.03 * h)
        ankle = (x + f * (thigh + shin), floor_y - 0.02 * h)
        trunk_dir = (0.0, -1.0)
    elif posture == "kneeling":  # upright kneeling: shins on the floor, thighs vertical
        knee = (x, floor_y - 0.02 * h)
        ankle = (x - f * shin, floor_y - 0.01 * h)
        hip = (x, floor_y - 0.02 * h - thigh)
        trunk_dir = (0.0, -1.0)
    elif posture in ("supine", "prone"):
        hip = (x, floor_y - 0.05 * h)
        knee = (x + f * thigh, floor_y - 0.05 * h)
        ankle = (x + f * (thigh + shin), floor_y - 0.04 * h)
        trunk_dir = (-f * 1.0, 0.0)
    else:
        raise ValueError(posture)
    angle = np.radians(lean_deg) * f
    direction = np.array([trunk_dir[0] * np.cos(angle) - trunk_dir[1] * np.sin(angle) * -1,
                          trunk_dir[1] * np.cos(angle) + trunk_dir[0] * np.sin(angle)])
    if posture in ("standing", "seated", "kneeling"):
        direction = np.array([np.sin(angle), -np.cos(angle)])
    hip_p = np.array(hip)
    shoulder = hip_p + direction * trunk
    if posture == "supine":
        nose = shoulder + np.array([-f * head * 0.8, -head * 0.6])
    elif posture == "prone":
        nose = shoulder + np.array([-f * head * 0.8, head * 0.3])
    else:
        nose = shoulder + direction * head + np.array([f * 0.02 * h, 0.0])
    elbow = shoulder + np.array([f * 0.05 * h, 0.12 * h]) if posture != "supine" else shoulder + (0, -0.1 * h)
    wrist = elbow + np.array([f * 0.08 * h, 0.05 * h])
    points = np.zeros((33, 4), dtype=np.float32)
    points[:, 3] = visibility

    def put(indices, xy, dx=0.004):
        for k, index in enumerate(indices):
            points[index, 0] = xy[0] + (dx if k else -dx)
            points[index, 1] = xy[1]

    put(range(0, 11), nose, 0.0)
    put((11, 12), shoulder)
    put((13, 14), elbow)
    put((15, 16, 17, 18, 19, 20, 21, 22), wrist, 0.0)
    put((23, 24), hip)
    put((25, 26), knee)
    put((27, 28, 29, 30), ankle, 0.0)
    put((31, 32), (ankle[0] + f * 0.04 * h, ankle[1]), 0.0)
    return points


@pytest.fixture
def figure():
    return stick_figure
