"""Shared fixtures: the real footage folder (missing = failure, never a skip) and the model bundle."""

from __future__ import annotations

from pathlib import Path

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


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The provisioned PoseLandmarker 'full' bundle (cache, download or offline build)."""
    from vision.model import ensure_model

    return ensure_model("full")
