"""Track files (.npz): the spec's keys, shapes and dtypes round-trip; a bad file is refused in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vision.errors import TrackFileError
from vision.track import Track

F, P = 6, 2


def _track(**overrides) -> Track:
    rng = np.random.default_rng(0)
    values = dict(
        t_ms=np.arange(F, dtype=np.int64) * 33,
        landmarks=rng.random((F, P, 33, 4), dtype=np.float32),
        image_size=(640, 480),
        world=rng.random((F, P, 33, 3), dtype=np.float32),
        roles=("partner", "client"),
        meta={"source": "clip.mp4", "fps": 30.0},
    )
    values.update(overrides)
    return Track(**values)


def test_round_trip_keeps_every_key(tmp_path):
    track = _track()
    track.landmarks[2, 1] = np.nan  # person 1 absent in frame 2
    loaded = Track.load(track.save(tmp_path / "t.npz"))
    np.testing.assert_array_equal(loaded.t_ms, track.t_ms)
    np.testing.assert_array_equal(loaded.landmarks, track.landmarks)
    np.testing.assert_array_equal(loaded.world, track.world)
    assert loaded.image_size == (640, 480)
    assert loaded.roles == ("partner", "client")
    assert loaded.role_index() == {"client": 1, "partner": 0}
    assert loaded.meta == track.meta
    assert loaded.present()[2].tolist() == [True, False]


def test_file_layout_is_exactly_the_spec(tmp_path):
    path = _track().save(tmp_path / "t.npz")
    with np.load(path) as data:
        assert set(data.files) == {"t_ms", "landmarks", "world", "image_size", "roles", "meta"}
        assert data["t_ms"].dtype == np.int64 and data["t_ms"].shape == (F,)
        assert data["landmarks"].dtype == np.float32 and data["landmarks"].shape == (F, P, 33, 4)
        assert data["world"].dtype == np.float32 and data["world"].shape == (F, P, 33, 3)
        assert data["image_size"].dtype == np.int32 and data["image_size"].tolist() == [640, 480]
        assert data["roles"].dtype.kind == "U" and data["roles"].tolist() == ["partner", "client"]
        assert json.loads(str(data["meta"]))["fps"] == 30.0


def test_optional_keys_may_be_absent(tmp_path):
    path = tmp_path / "minimal.npz"
    np.savez(path, t_ms=np.arange(3, dtype=np.int64), landmarks=np.zeros((3, 2, 33, 4), np.float32),
             image_size=np.array([320, 240], np.int32))
    track = Track.load(path)
    assert track.world is None and track.roles is None and track.meta == {}


def _write(path, **arrays):
    base = dict(t_ms=np.arange(F, dtype=np.int64), landmarks=np.zeros((F, P, 33, 4), np.float32),
                image_size=np.array([640, 480], np.int32))
    base.update(arrays)
    np.savez(path, **{k: v for k, v in base.items() if v is not None})
    return path


@pytest.mark.parametrize("arrays, reason", [
    (dict(t_ms=None), "missing required key"),
    (dict(landmarks=None), "missing required key"),
    (dict(image_size=None), "missing required key"),
    (dict(t_ms=np.arange(F, dtype=np.float64)), "'t_ms' must be int64"),
    (dict(t_ms=np.array([0, 5, 5, 9, 12, 20], np.int64)), "strictly increasing"),
    (dict(landmarks=np.zeros((F, P, 33, 4), np.float64)), "'landmarks' must be float32"),
    (dict(landmarks=np.zeros((F, P, 17, 4), np.float32)), "'landmarks' must be float32"),
    (dict(landmarks=np.zeros((F + 1, P, 33, 4), np.float32)), "'landmarks' must be float32"),
    (dict(world=np.zeros((F, P, 33, 4), np.float32)), "'world' must be float32"),
    (dict(image_size=np.array([640, 480, 3], np.int32)), "'image_size' must be int32"),
    (dict(image_size=np.array([0, 480], np.int32)), "positive"),
    (dict(roles=np.array(["client"])), "one role per person"),
    (dict(roles=np.array(["client", "coach"])), "'client' or 'partner'"),
    (dict(meta=np.asarray("{not json")), "not valid JSON"),
])
def test_bad_track_is_refused_with_a_one_line_reason(tmp_path, arrays, reason):
    path = _write(tmp_path / "bad.npz", **arrays)
    with pytest.raises(TrackFileError, match=reason) as caught:
        Track.load(path)
    assert "\n" not in str(caught.value) and "bad.npz" in str(caught.value)


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04broken"])
def test_unreadable_file_is_refused(tmp_path, content):
    path = tmp_path / "junk.npz"
    path.write_bytes(content)
    with pytest.raises(TrackFileError, match="junk.npz"):
        Track.load(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(TrackFileError, match="not found"):
        Track.load(tmp_path / "nope.npz")


def test_save_replaces_atomically_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "t.npz"
    _track().save(path)
    _track(meta={"source": "second.mp4"}).save(path)
    assert Track.load(path).meta["source"] == "second.mp4"
    assert [p.name for p in tmp_path.iterdir()] == ["t.npz"]


def test_saved_track_is_readable_by_others_like_any_user_file(tmp_path):
    """The atomic temp file starts private (0600); the saved track must not stay that way."""
    track = Track(np.arange(3, dtype=np.int64), np.zeros((3, 2, 33, 4), np.float32), (640, 480))
    path = track.save(tmp_path / "track.npz")
    assert path.stat().st_mode & 0o777 == 0o644
