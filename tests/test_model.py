"""Model provisioning: the real offline build, a real download from 127.0.0.1, cache, errors, atomicity."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import shutil
import socket
import struct
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from stretches.cli import main as cli_main
from vision import model
from vision.errors import ModelUnavailableError


def _unused_local_url() -> str:
    """A 127.0.0.1 URL nobody listens on, so the download step fails at once (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """Empty cache dir, no explicit model, and a download URL that refuses connections."""
    cache = tmp_path / "cache"
    monkeypatch.setenv(model.CACHE_DIR_ENV, str(cache))
    monkeypatch.delenv(model.MODEL_PATH_ENV, raising=False)
    monkeypatch.setenv(model.BASE_URL_ENV, _unused_local_url())
    monkeypatch.setenv(model.NPM_REGISTRY_ENV, _unused_local_url())
    return cache


@pytest.fixture(scope="session")
def offline_bundle(tmp_path_factory) -> Path:
    """A bundle built for real from the mediapipe wheel that pip fetches from PyPI."""
    target = tmp_path_factory.mktemp("built") / "pose_landmarker_full.task"
    model.build_bundle_offline(target, "full")
    return target


@pytest.fixture(scope="session")
def npm_tarball(tmp_path_factory) -> Path:
    """The pinned @mediapipe/pose tarball, fetched for real from the public npm registry."""
    return model.download_npm_tarball(tmp_path_factory.mktemp("npm"), registry=model.DEFAULT_NPM_REGISTRY)


class _Server:
    def __init__(self, root: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.requests: list[str] = []
        _QuietHandler.log = self.requests

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    log: list[str] = []

    def log_message(self, format: str, *args: object) -> None:
        self.log.append(self.path)


def _serve_npm_tarball(root: Path, content: bytes) -> None:
    path = root / model.NPM_TARBALL_PATH
    path.parent.mkdir(parents=True)
    path.write_bytes(content)


def _tarball_with(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "pose.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _landmark_model_of(bundle: Path) -> bytes:
    with zipfile.ZipFile(bundle) as archive:
        return archive.read(model.LANDMARKS_MEMBER)


def _detect_t_pose(bundle: Path, footage) -> list:
    """Poses the bundle finds in a real photo of one person standing in a T-pose."""
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import vision as mp_vision
    from mediapipe.tasks.python.core import base_options

    options = mp_vision.PoseLandmarkerOptions(
        base_options=base_options.BaseOptions(model_asset_path=str(bundle)),
        running_mode=mp_vision.RunningMode.IMAGE, num_poses=2, min_pose_detection_confidence=0.3)
    rgb = cv2.cvtColor(cv2.imread(str(footage("yogait_assets_images_test_t5.jpg"))), cv2.COLOR_BGR2RGB)
    with mp_vision.PoseLandmarker.create_from_options(options) as landmarker:
        return landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)).pose_landmarks


def _assert_one_t_pose(poses: list) -> None:
    assert len(poses) == 1
    # arms spread, so the wrists are far wider apart than the shoulders
    pose = poses[0]
    assert abs(pose[15].x - pose[16].x) > 2.5 * abs(pose[11].x - pose[12].x)


def _serve_layout(root: Path, variant: str, content: bytes) -> None:
    folder = root / f"pose_landmarker_{variant}" / "float16" / "latest"
    folder.mkdir(parents=True)
    (folder / f"pose_landmarker_{variant}.task").write_bytes(content)


def test_offline_build_has_pinned_members_metadata_and_alignment(offline_bundle):
    assert model.bundle_problem(offline_bundle) is None
    with zipfile.ZipFile(offline_bundle) as bundle:
        infos = {info.filename: info for info in bundle.infolist()}
        assert sorted(infos) == sorted(model.BUNDLE_MEMBERS)
        detector = bundle.read(model.DETECTOR_MEMBER)
        landmarks = bundle.read(model.LANDMARKS_MEMBER)
    assert all(info.compress_type == zipfile.ZIP_STORED for info in infos.values())
    assert hashlib.sha256(detector).hexdigest() == model.WHEEL_MEMBERS[model.DETECTOR_MEMBER][1]
    # the landmark model gained metadata: the image normalisation PoseLandmarker needs
    from mediapipe.tasks.metadata import metadata_schema_py_generated as meta_fb
    from mediapipe.tasks.metadata import schema_py_generated as tflite_fb

    tflite = tflite_fb.Model.GetRootAsModel(landmarks, 0)
    entries = {tflite.Metadata(i).Name(): tflite.Metadata(i).Buffer() for i in range(tflite.MetadataLength())}
    assert b"TFLITE_METADATA" in entries
    meta_bytes = tflite.Buffers(entries[b"TFLITE_METADATA"]).DataAsNumpy().tobytes()
    meta = meta_fb.ModelMetadataT.InitFromObj(meta_fb.ModelMetadata.GetRootAsModelMetadata(meta_bytes, 0))
    norm = meta.subgraphMetadata[0].inputTensorMetadata[0].processUnits[0].options
    assert list(norm.mean) == [0.0] and list(norm.std) == [255.0]
    # every member's data starts on a 4-byte boundary (MediaPipe mmaps them)
    with open(offline_bundle, "rb") as raw:
        for info in infos.values():
            raw.seek(info.header_offset + 26)
            name_len, extra_len = struct.unpack("<HH", raw.read(4))
            assert (info.header_offset + 30 + name_len + extra_len) % model.BUNDLE_ALIGNMENT_BYTES == 0


def test_offline_bundle_runs_in_pose_landmarker(offline_bundle, footage):
    _assert_one_t_pose(_detect_t_pose(offline_bundle, footage))


@pytest.mark.parametrize("variant", ["heavy", "lite"])
def test_heavy_and_lite_built_offline_from_npm_tarball(isolated, tmp_path, npm_tarball, offline_bundle,
                                                       footage, monkeypatch, variant):
    served = tmp_path / "registry"
    _serve_npm_tarball(served, npm_tarball.read_bytes())
    stages: list[str] = []
    with _Server(served) as server:
        monkeypatch.setenv(model.NPM_REGISTRY_ENV, server.base_url)
        path = model.ensure_model(variant, progress=lambda stage, done, total: stages.append(stage))
    assert server.requests == [f"/{model.NPM_TARBALL_PATH}"]
    assert path == isolated / f"pose_landmarker_{variant}.task"
    assert [p.name for p in isolated.iterdir()] == [path.name]  # no temp files left
    assert any("npm" in stage for stage in stages)
    # a different landmark model from the full bundle's, the same pinned detector
    landmarks = _landmark_model_of(path)
    assert landmarks != _landmark_model_of(offline_bundle)
    npm_sizes_mb = {"lite": (2.5, 3.5), "heavy": (27.0, 29.0)}[variant]
    assert npm_sizes_mb[0] < len(landmarks) / 1e6 < npm_sizes_mb[1]
    with zipfile.ZipFile(path) as bundle:
        detector = bundle.read(model.DETECTOR_MEMBER)
    assert hashlib.sha256(detector).hexdigest() == model.WHEEL_MEMBERS[model.DETECTOR_MEMBER][1]
    _assert_one_t_pose(_detect_t_pose(path, footage))


def test_npm_tarball_with_wrong_hash_is_refused_and_nothing_cached(isolated, tmp_path, monkeypatch):
    served = tmp_path / "registry"
    fake_models = {path: b"TFL3 not the model" for path, _ in model.NPM_LANDMARK_MODELS.values()}
    fake = _tarball_with(tmp_path, fake_models)
    _serve_npm_tarball(served, fake.read_bytes())
    with _Server(served) as server:
        monkeypatch.setenv(model.NPM_REGISTRY_ENV, server.base_url)
        with pytest.raises(ModelUnavailableError, match=r"offline build from .* npm .*sha256") as caught:
            model.ensure_model("heavy")
    assert "\n" not in str(caught.value)
    assert not isolated.exists() or list(isolated.iterdir()) == []


@pytest.mark.parametrize("members, reason", [
    ({"package/pose_landmark_heavy.tflite": b"TFL3 tampered"}, "sha256"),
    ({"package/README.md": b"no models here"}, "has no package/pose_landmark_heavy.tflite"),
])
def test_npm_landmark_model_is_checked(tmp_path, members, reason):
    with pytest.raises(ModelUnavailableError, match=reason):
        model.read_npm_landmark_model(_tarball_with(tmp_path, members), "heavy")


def test_npm_tarball_that_is_not_a_tarball_is_refused(tmp_path):
    junk = tmp_path / "pose.tgz"
    junk.write_bytes(b"<html>rate limited</html>")
    with pytest.raises(ModelUnavailableError, match="not a readable npm tarball"):
        model.read_npm_landmark_model(junk, "lite")


def test_ensure_model_falls_back_to_offline_build_into_cache(isolated):
    stages: list[str] = []
    path = model.ensure_model("full", progress=lambda stage, done, total: stages.append(stage))
    assert path == isolated / "pose_landmarker_full.task"
    assert model.bundle_problem(path) is None
    assert any("pip" in stage for stage in stages)
    assert [p.name for p in isolated.iterdir()] == ["pose_landmarker_full.task"]  # no temp files left


def test_download_from_local_server(isolated, tmp_path, offline_bundle, monkeypatch):
    served = tmp_path / "served"
    _serve_layout(served, "lite", offline_bundle.read_bytes())
    totals: list[int | None] = []
    with _Server(served) as server:
        monkeypatch.setenv(model.BASE_URL_ENV, server.base_url)
        path = model.ensure_model("lite", progress=lambda stage, done, total: totals.append(total))
    assert server.requests == ["/pose_landmarker_lite/float16/latest/pose_landmarker_lite.task"]
    assert path == isolated / "pose_landmarker_lite.task"
    assert path.read_bytes() == offline_bundle.read_bytes()
    assert totals[-1] == offline_bundle.stat().st_size


def test_cache_hit_needs_no_network(isolated, offline_bundle):
    isolated.mkdir(parents=True)
    cached = isolated / "pose_landmarker_lite.task"  # download and npm refuse: only the cache can answer
    shutil.copy(offline_bundle, cached)
    assert model.ensure_model("lite") == cached


def test_corrupt_download_rejected_and_all_failures_listed(isolated, tmp_path, monkeypatch):
    served = tmp_path / "served"
    _serve_layout(served, "heavy", b"<html>not a model</html>")
    isolated.mkdir(parents=True)
    (isolated / "pose_landmarker_heavy.task").write_bytes(b"truncated")  # a broken cache entry
    with _Server(served) as server:
        monkeypatch.setenv(model.BASE_URL_ENV, server.base_url)
        with pytest.raises(ModelUnavailableError) as caught:
            model.ensure_model("heavy")
    message = str(caught.value)
    assert "\n" not in message
    for tried in ("cache", "not a readable .task bundle", "download", "downloaded file rejected",
                  "offline build", "--model PATH"):
        assert tried in message
    # the broken cache entry is untouched and nothing else was left behind
    assert sorted(p.name for p in isolated.iterdir()) == ["pose_landmarker_heavy.task"]


def test_interrupted_download_leaves_no_partial_file(isolated, tmp_path, offline_bundle, monkeypatch):
    served = tmp_path / "served"
    _serve_layout(served, "lite", offline_bundle.read_bytes())

    def interrupt_midway(stage: str, done: int, total: int | None) -> None:
        if total and 0 < done < total:
            raise KeyboardInterrupt

    with _Server(served) as server:
        monkeypatch.setenv(model.BASE_URL_ENV, server.base_url)
        with pytest.raises(KeyboardInterrupt):
            model.ensure_model("lite", progress=interrupt_midway)
    assert not isolated.exists() or list(isolated.iterdir()) == []


@pytest.mark.parametrize("content, reason", [
    (None, "absent"),
    (b"", "not a readable .task bundle"),
    (b"PK\x05\x06" + b"\0" * 18, "missing pose_detector.tflite"),
])
def test_explicit_path_is_validated(isolated, tmp_path, monkeypatch, content, reason):
    path = tmp_path / "given.task"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelUnavailableError, match=reason):
        model.ensure_model(explicit_path=path)
    monkeypatch.setenv(model.MODEL_PATH_ENV, str(path))
    with pytest.raises(ModelUnavailableError, match=model.MODEL_PATH_ENV):
        model.ensure_model()


def test_explicit_path_wins_over_cache(isolated, offline_bundle, monkeypatch):
    monkeypatch.setenv(model.MODEL_PATH_ENV, str(offline_bundle))
    assert model.ensure_model() == offline_bundle
    assert not isolated.exists()  # nothing was provisioned


def test_wheel_member_with_wrong_hash_is_refused(tmp_path):
    wheel = tmp_path / "mediapipe-0.10.21-fake.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for wheel_path, _ in model.WHEEL_MEMBERS.values():
            archive.writestr(wheel_path, b"TFL3 but not the pinned model")
    with pytest.raises(ModelUnavailableError, match="sha256"):
        model.read_pinned_members(wheel)


@pytest.mark.parametrize("name_lengths", [(1, 2), (3, 30), (20, 30), (7, 8)])
def test_bundle_members_are_aligned_for_any_name_length(tmp_path, name_lengths):
    members = {"a" * n + ".tflite": bytes(range(n + 5)) for n in name_lengths}
    path = tmp_path / "b.task"
    model.write_aligned_bundle(path, members)
    with zipfile.ZipFile(path) as bundle, open(path, "rb") as raw:
        for info in bundle.infolist():
            assert bundle.read(info.filename) == members[info.filename]
            raw.seek(info.header_offset + 26)
            name_len, extra_len = struct.unpack("<HH", raw.read(4))
            assert (info.header_offset + 30 + name_len + extra_len) % 4 == 0


def test_cli_model_path_prints_only_the_path(isolated, offline_bundle, capsys):
    isolated.mkdir(parents=True)
    shutil.copy(offline_bundle, isolated / "pose_landmarker_full.task")
    assert cli_main(["model", "--path"]) == 0
    assert capsys.readouterr().out == f"{isolated / 'pose_landmarker_full.task'}\n"


def test_cli_model_failure_is_one_line_exit_2(isolated, capsys):
    assert cli_main(["model", "--variant", "heavy"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len([line for line in err if line.startswith("stretchguard: error:")]) == 1
    assert "Traceback" not in "\n".join(err)


def test_cli_analyze_variant_selects_that_bundle(isolated, tmp_path, footage, capsys):
    # every source refuses, so the error names the bundle analyze asked for — without running inference
    out = tmp_path / "out"
    code = cli_main(["analyze", str(footage("pose2sim_multi_cam01.mp4")), "--stretch", "standing_backbend",
                     "--variant", "heavy", "--no-video", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "no PoseLandmarker 'heavy' bundle" in err and "npm" in err
    assert not (out / "track.npz").exists()
