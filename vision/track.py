"""The Track value: every landmark of a session, so checks can be re-run and tuned without inference.

The arrays follow the track-file contract of docs/stretch-spec.md exactly; `save` and `load` are the only
places that know the `.npz` layout, and `load` rejects a wrong file with a one-line reason.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vision.atomic import atomic_writer
from vision.errors import TrackFileError
from vision.landmarks import NUM_LANDMARKS

ROLE_NAMES = ("client", "partner")
_REQUIRED_KEYS = ("t_ms", "landmarks", "image_size")
_KNOWN_KEYS = (*_REQUIRED_KEYS, "world", "roles", "meta")


@dataclass(frozen=True)
class Track:
    """Landmarks of P tracked people over F frames; person index p is the same person in every frame."""

    t_ms: np.ndarray  # int64 (F,), strictly increasing milliseconds
    landmarks: np.ndarray  # float32 (F, P, 33, 4): x, y in [0,1] image coords, z, visibility; NaN if absent
    image_size: tuple[int, int]  # width, height in pixels
    world: np.ndarray | None = None  # float32 (F, P, 33, 3) metres, NaN if absent
    roles: tuple[str, ...] | None = None  # "client"/"partner" per person axis, or None = assign automatically
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate_arrays(self.t_ms, self.landmarks, self.image_size, self.world, self.roles)

    @property
    def num_frames(self) -> int:
        return int(self.t_ms.shape[0])

    @property
    def num_people(self) -> int:
        return int(self.landmarks.shape[1])

    @property
    def duration_s(self) -> float:
        if self.num_frames < 2:
            return 0.0
        return float(self.t_ms[-1] - self.t_ms[0]) / 1000.0

    def present(self) -> np.ndarray:
        """bool (F, P): whether each person was found in each frame."""
        return ~np.isnan(self.landmarks[..., 0]).all(axis=-1)

    def role_index(self) -> dict[str, int] | None:
        """{"client": p, "partner": q} from the stored roles, or None when roles are not stored."""
        if self.roles is None:
            return None
        return {role: self.roles.index(role) for role in ROLE_NAMES if role in self.roles}

    def with_roles(self, roles: tuple[str, ...] | None) -> Track:
        return Track(self.t_ms, self.landmarks, self.image_size, self.world, roles, dict(self.meta))

    def save(self, path: str | os.PathLike) -> Path:
        """Write atomically: an interrupted save never leaves a half-written file under `path`."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "t_ms": self.t_ms.astype(np.int64),
            "landmarks": self.landmarks.astype(np.float32),
            "image_size": np.asarray(self.image_size, dtype=np.int32),
            "meta": np.asarray(json.dumps(self.meta)),
        }
        if self.world is not None:
            arrays["world"] = self.world.astype(np.float32)
        if self.roles is not None:
            arrays["roles"] = np.asarray(self.roles, dtype=str)
        with atomic_writer(path, binary=True) as out:
            np.savez_compressed(out, **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Track:
        path = Path(path)
        if not path.is_file():
            raise TrackFileError(f"track file not found: {path}")
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
            raise TrackFileError(f"{path.name} is not a readable .npz track file ({error})") from None
        missing = [key for key in _REQUIRED_KEYS if key not in arrays]
        if missing:
            raise TrackFileError(f"{path.name} is missing required key(s) {', '.join(missing)}")
        meta: dict = {}
        if "meta" in arrays:
            try:
                meta = json.loads(str(arrays["meta"]))
            except json.JSONDecodeError:
                raise TrackFileError(f"{path.name}: 'meta' is not valid JSON") from None
            if not isinstance(meta, dict):
                raise TrackFileError(f"{path.name}: 'meta' must be a JSON object")
        image_size = arrays["image_size"]
        if image_size.shape != (2,) or not np.issubdtype(image_size.dtype, np.integer):
            raise TrackFileError(f"{path.name}: 'image_size' must be int32 of shape (2,), got "
                                 f"{image_size.dtype} {image_size.shape}")
        roles = arrays.get("roles")
        if roles is not None:
            if roles.dtype.kind != "U" or roles.ndim != 1:
                raise TrackFileError(f"{path.name}: 'roles' must be a 1-D string array")
            roles = tuple(str(r) for r in roles)
        try:
            return cls(
                t_ms=arrays["t_ms"],
                landmarks=arrays["landmarks"],
                image_size=(int(image_size[0]), int(image_size[1])),
                world=arrays.get("world"),
                roles=roles,
                meta=meta,
            )
        except TrackFileError as error:
            raise TrackFileError(f"{path.name}: {error}") from None


def validate_arrays(
    t_ms: np.ndarray,
    landmarks: np.ndarray,
    image_size: tuple[int, int],
    world: np.ndarray | None,
    roles: tuple[str, ...] | None,
) -> None:
    """Raise TrackFileError naming the first key whose dtype or shape breaks the contract."""
    if not isinstance(t_ms, np.ndarray) or t_ms.ndim != 1 or t_ms.dtype != np.int64:
        raise TrackFileError(f"'t_ms' must be int64 of shape (F,), got {_describe(t_ms)}")
    if t_ms.size > 1 and not np.all(np.diff(t_ms) > 0):
        raise TrackFileError("'t_ms' must be strictly increasing")
    frames = t_ms.shape[0]
    if (
        not isinstance(landmarks, np.ndarray)
        or landmarks.dtype != np.float32
        or landmarks.ndim != 4
        or landmarks.shape[0] != frames
        or landmarks.shape[2:] != (NUM_LANDMARKS, 4)
    ):
        raise TrackFileError(
            f"'landmarks' must be float32 of shape ({frames}, P, {NUM_LANDMARKS}, 4), "
            f"got {_describe(landmarks)}"
        )
    people = landmarks.shape[1]
    if world is not None and (
        not isinstance(world, np.ndarray)
        or world.dtype != np.float32
        or world.shape != (frames, people, NUM_LANDMARKS, 3)
    ):
        raise TrackFileError(
            f"'world' must be float32 of shape ({frames}, {people}, {NUM_LANDMARKS}, 3), "
            f"got {_describe(world)}"
        )
    width, height = image_size
    if width <= 0 or height <= 0:
        raise TrackFileError(f"'image_size' must be positive width, height, got {image_size}")
    if roles is not None:
        if len(roles) != people:
            raise TrackFileError(f"'roles' must name one role per person ({people}), got {len(roles)}")
        unknown = sorted(set(roles) - set(ROLE_NAMES) - {""})
        if unknown:
            raise TrackFileError(f"'roles' must be 'client' or 'partner', got {', '.join(unknown)}")


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} {value.shape}"
    return type(value).__name__
