"""Provisioning of the MediaPipe PoseLandmarker bundle (`pose_landmarker_<variant>.task`).

The bundle is resolved in this order, first success wins:
1. an explicit path (`--model PATH` or the STRETCHGUARD_MODEL environment variable): used as is, never copied;
2. the user cache (`~/.cache/stretchguard/`, or $STRETCHGUARD_CACHE_DIR);
3. the official download (base URL overridable with $STRETCHGUARD_MODEL_BASE_URL, short timeout);
4. an offline build: the pose detector (and the "full" landmark model) from the mediapipe 0.10.x wheel, which
   pip fetches from PyPI; the "lite" and "heavy" landmark models from the npm package @mediapipe/pose, which
   is fetched from the npm registry (overridable with $STRETCHGUARD_NPM_REGISTRY). Every model file is
   pinned by sha256, so a changed wheel or package cannot slip in a different model.

Everything written to the cache goes through a temporary file and os.replace, so an interrupt never leaves a
half-written bundle behind. When every step fails, one ModelUnavailableError lists what was tried.
"""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from vision.errors import ModelUnavailableError

VARIANTS = ("lite", "full", "heavy")
MODEL_PATH_ENV = "STRETCHGUARD_MODEL"
CACHE_DIR_ENV = "STRETCHGUARD_CACHE_DIR"
BASE_URL_ENV = "STRETCHGUARD_MODEL_BASE_URL"
DEFAULT_BASE_URL = "https://storage.googleapis.com/mediapipe-models/pose_landmarker"
DOWNLOAD_TIMEOUT_S = 5.0
DOWNLOAD_CHUNK_BYTES = 256 * 1024

# The wheel the offline build reads. Fixed platform tags make pip pick the same file from any interpreter.
WHEEL_REQUIREMENT = "mediapipe==0.10.21"
WHEEL_PIP_ARGS = ("--no-deps", "--only-binary=:all:", "--python-version", "3.11",
                  "--platform", "manylinux_2_28_x86_64")
PIP_TIMEOUT_S = 600

DETECTOR_MEMBER = "pose_detector.tflite"
LANDMARKS_MEMBER = "pose_landmarks_detector.tflite"
BUNDLE_MEMBERS = (DETECTOR_MEMBER, LANDMARKS_MEMBER)
# bundle member name -> (path inside the mediapipe wheel, pinned sha256)
WHEEL_MEMBERS: dict[str, tuple[str, str]] = {
    DETECTOR_MEMBER: ("mediapipe/modules/pose_detection/pose_detection.tflite",
                      "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c"),
    LANDMARKS_MEMBER: ("mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
                       "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"),
}
# The npm package of the legacy MediaPipe Pose web solution (Apache-2.0) ships all three landmark models;
# the wheel only has "full". Its "full" model is byte-identical to the wheel's.
NPM_REGISTRY_ENV = "STRETCHGUARD_NPM_REGISTRY"
DEFAULT_NPM_REGISTRY = "https://registry.npmjs.org"
NPM_PACKAGE = "@mediapipe/pose@0.5.1675469404"
NPM_TARBALL_PATH = "@mediapipe/pose/-/pose-0.5.1675469404.tgz"
NPM_TARBALL_SHA256 = "8bb349a7b3a3ba699df23be804ddd3b3eab810b50b15406894be257859388a84"
NPM_TIMEOUT_S = 60.0
# variant -> (path inside the npm tarball, pinned sha256)
NPM_LANDMARK_MODELS: dict[str, tuple[str, str]] = {
    "lite": ("package/pose_landmark_lite.tflite",
             "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61"),
    "heavy": ("package/pose_landmark_heavy.tflite",
              "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"),
}
# The landmark model takes RGB pixels scaled to [0, 1]: (pixel - mean) / std.
LANDMARK_INPUT_MEAN = 0.0
LANDMARK_INPUT_STD = 255.0
BUNDLE_ALIGNMENT_BYTES = 4  # tflite members are mmapped by MediaPipe, so their data must be aligned
_ZIPALIGN_EXTRA_ID = 0xD935  # the extra-field id Android's zipalign uses for padding

# progress(stage, done, total): stage is a short human sentence; done/total count bytes (None = unknown).
ModelProgress = Callable[[str, int, "int | None"], None]


def _no_progress(stage: str, done: int, total: int | None) -> None:
    return None


def cache_dir() -> Path:
    """Where bundles live: $STRETCHGUARD_CACHE_DIR, else ($XDG_CACHE_HOME or ~/.cache)/stretchguard."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "stretchguard"


def bundle_filename(variant: str) -> str:
    return f"pose_landmarker_{variant}.task"


def download_url(variant: str) -> str:
    base = os.environ.get(BASE_URL_ENV, DEFAULT_BASE_URL).rstrip("/")
    return f"{base}/pose_landmarker_{variant}/float16/latest/{bundle_filename(variant)}"


def ensure_model(
    variant: str = "full",
    explicit_path: str | os.PathLike | None = None,
    progress: ModelProgress | None = None,
) -> Path:
    """Path of a usable PoseLandmarker bundle, provisioning it into the cache when needed."""
    _require_known_variant(variant)
    progress = progress or _no_progress
    explicit = explicit_path if explicit_path is not None else os.environ.get(MODEL_PATH_ENV) or None
    if explicit is not None:
        path = Path(explicit).expanduser()
        problem = bundle_problem(path)
        if problem:
            source = "--model" if explicit_path is not None else MODEL_PATH_ENV
            raise ModelUnavailableError(f"model bundle from {source} is unusable: {path}: {problem}; "
                                        "pass a pose_landmarker_*.task file or omit it to use the cache")
        return path

    target = cache_dir() / bundle_filename(variant)
    tried: list[str] = []
    problem = bundle_problem(target)
    if problem is None:
        return target
    tried.append(f"cache {target} ({problem})")

    url = download_url(variant)
    try:
        _download(url, target, progress)
        return target
    except ModelUnavailableError as error:
        tried.append(f"download {url} ({error})")

    try:
        build_bundle_offline(target, variant, progress)
        return target
    except ModelUnavailableError as error:
        tried.append(f"offline build from {_offline_sources(variant)} ({error})")
    needs = "PyPI" if variant == "full" else "PyPI and the npm registry"
    raise ModelUnavailableError(
        f"no PoseLandmarker '{variant}' bundle: tried " + "; ".join(tried)
        + f". Fix: allow access to {needs} or the download, or pass --model PATH (or set {MODEL_PATH_ENV})"
    )


def _require_known_variant(variant: str) -> None:
    if variant not in VARIANTS:
        raise ModelUnavailableError(f"unknown model variant {variant!r}; choose one of {', '.join(VARIANTS)}")


def _offline_sources(variant: str) -> str:
    wheel = f"the {WHEEL_REQUIREMENT} wheel via pip"
    return wheel if variant == "full" else f"{wheel} and npm {NPM_PACKAGE}"


def bundle_problem(path: Path) -> str | None:
    """None when `path` is a readable PoseLandmarker bundle, else a short reason."""
    if not path.exists():
        return "absent"
    if not path.is_file():
        return "not a file"
    try:
        with zipfile.ZipFile(path) as bundle:
            names = set(bundle.namelist())
            missing = [name for name in BUNDLE_MEMBERS if name not in names]
            if missing:
                return f"not a PoseLandmarker bundle (missing {', '.join(missing)})"
            for name in BUNDLE_MEMBERS:
                with bundle.open(name) as member:
                    head = member.read(8)
                if len(head) < 8 or head[4:8] != b"TFL3":
                    return f"{name} is not a tflite model"
    except (zipfile.BadZipFile, OSError) as error:
        return f"not a readable .task bundle ({error})"
    return None


@contextmanager
def _atomic_output(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; it replaces `target` only if the block completes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        tmp.chmod(0o644)  # mkstemp creates 0600; the cache is an ordinary user file
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _download(url: str, target: Path, progress: ModelProgress) -> None:
    with _atomic_output(target) as tmp:
        _fetch(url, tmp, progress, DOWNLOAD_TIMEOUT_S)
        problem = bundle_problem(tmp)
        if problem:
            raise ModelUnavailableError(f"downloaded file rejected: {problem}")


def _fetch(url: str, dest: Path, progress: ModelProgress, timeout_s: float) -> str:
    """Stream `url` into `dest`, reporting bytes; returns the sha256 of what was written."""
    stage = f"downloading {url}"
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            total = response.headers.get("Content-Length")
            total_bytes = int(total) if total and total.isdigit() else None
            done = 0
            progress(stage, done, total_bytes)
            with open(dest, "wb") as out:
                while chunk := response.read(DOWNLOAD_CHUNK_BYTES):
                    out.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    progress(stage, done, total_bytes)
    except urllib.error.HTTPError as error:
        raise ModelUnavailableError(f"HTTP {error.code}") from None
    except urllib.error.URLError as error:
        raise ModelUnavailableError(str(error.reason)) from None
    except (OSError, ValueError) as error:  # timeouts, resets, malformed URLs
        raise ModelUnavailableError(f"{type(error).__name__}: {error}") from None
    return digest.hexdigest()


def build_bundle_offline(target: Path, variant: str = "full", progress: ModelProgress | None = None) -> None:
    """Build pose_landmarker_<variant>.task from pinned model files on PyPI (and npm for lite/heavy)."""
    _require_known_variant(variant)
    progress = progress or _no_progress
    with tempfile.TemporaryDirectory(prefix="stretchguard-build-") as workdir:
        wheel = _pip_download_wheel(Path(workdir), progress)
        members = read_pinned_members(wheel)
        source = f"the {WHEEL_REQUIREMENT} wheel"
        if variant != "full":
            tarball = download_npm_tarball(Path(workdir), progress)
            members[LANDMARKS_MEMBER] = read_npm_landmark_model(tarball, variant)
            source = f"npm {NPM_PACKAGE}"
        progress(f"building {target.name} from {source}", 0, None)
        members[LANDMARKS_MEMBER] = add_image_input_metadata(members[LANDMARKS_MEMBER],
                                                             f"BlazePose GHUM 3D landmarks ({variant}), "
                                                             f"from {source}.")
        with _atomic_output(target) as tmp:
            write_aligned_bundle(tmp, members)
            problem = bundle_problem(tmp)
            if problem:
                raise ModelUnavailableError(f"built bundle is unusable: {problem}")
        progress(f"built {target}", 0, None)


def npm_tarball_url(registry: str | None = None) -> str:
    registry = registry or os.environ.get(NPM_REGISTRY_ENV) or DEFAULT_NPM_REGISTRY
    return f"{registry.rstrip('/')}/{NPM_TARBALL_PATH}"


def download_npm_tarball(workdir: Path, progress: ModelProgress | None = None,
                         registry: str | None = None) -> Path:
    """Fetch the pinned @mediapipe/pose tarball into `workdir`; refuses any other bytes."""
    url = npm_tarball_url(registry)
    tarball = workdir / Path(NPM_TARBALL_PATH).name
    actual = _fetch(url, tarball, progress or _no_progress, NPM_TIMEOUT_S)
    if actual != NPM_TARBALL_SHA256:
        tarball.unlink(missing_ok=True)
        raise ModelUnavailableError(f"{url} has sha256 {actual[:16]}…, expected {NPM_TARBALL_SHA256[:16]}…")
    return tarball


def read_npm_landmark_model(tarball: Path, variant: str) -> bytes:
    """The `variant` landmark model from the npm tarball, checked against its pinned sha256."""
    if variant not in NPM_LANDMARK_MODELS:
        raise ModelUnavailableError(f"the npm package has no {variant!r} landmark model")
    member_path, expected_sha256 = NPM_LANDMARK_MODELS[variant]
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            try:
                member = archive.extractfile(member_path)
            except KeyError:
                member = None
            if member is None:
                raise ModelUnavailableError(f"{tarball.name} has no {member_path}")
            data = member.read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ModelUnavailableError(f"{tarball.name} is not a readable npm tarball ({error})") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise ModelUnavailableError(
            f"{member_path} in {tarball.name} has sha256 {actual[:16]}…, expected {expected_sha256[:16]}…")
    return data


def _pip_download_wheel(workdir: Path, progress: ModelProgress) -> Path:
    progress(f"fetching the {WHEEL_REQUIREMENT} wheel from PyPI with pip", 0, None)
    command = [sys.executable, "-m", "pip", "download", WHEEL_REQUIREMENT, *WHEEL_PIP_ARGS,
               "-d", str(workdir)]
    try:
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=PIP_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ModelUnavailableError(f"pip could not run: {error}") from None
    wheels = sorted(workdir.glob("mediapipe-*.whl"))
    if result.returncode != 0 or not wheels:
        last_line = next((line for line in reversed(result.stdout.splitlines()) if line.strip()), "no output")
        raise ModelUnavailableError(f"pip download failed (exit {result.returncode}): {last_line.strip()}")
    return wheels[0]


def read_pinned_members(wheel: Path) -> dict[str, bytes]:
    """The two tflite models from the wheel, keyed by bundle member name, each checked against its sha256."""
    members: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(wheel) as archive:
            for bundle_name, (wheel_path, expected_sha256) in WHEEL_MEMBERS.items():
                try:
                    data = archive.read(wheel_path)
                except KeyError:
                    raise ModelUnavailableError(f"{wheel.name} has no {wheel_path}") from None
                actual = hashlib.sha256(data).hexdigest()
                if actual != expected_sha256:
                    raise ModelUnavailableError(
                        f"{wheel_path} in {wheel.name} has sha256 {actual[:16]}…, "
                        f"expected {expected_sha256[:16]}…"
                    )
                members[bundle_name] = data
    except (zipfile.BadZipFile, OSError) as error:
        raise ModelUnavailableError(f"{wheel.name} is not a readable wheel ({error})") from None
    return members


def add_image_input_metadata(tflite: bytes, description: str = "BlazePose GHUM 3D landmarks.") -> bytes:
    """Attach TFLite model metadata saying the input is an RGB image normalised by (x - 0) / 255.

    The PoseLandmarker graph reads this to scale pixels for the landmark model; the legacy wheel and npm
    package ship the models without it. Written with the flatbuffer schema classes that mediapipe itself
    ships, so no compiled metadata tooling is needed.
    """
    import flatbuffers
    from mediapipe.tasks.metadata import metadata_schema_py_generated as meta_fb
    from mediapipe.tasks.metadata import schema_py_generated as tflite_fb

    model = tflite_fb.ModelT.InitFromObj(tflite_fb.Model.GetRootAsModel(tflite, 0))
    metadata_bytes = _image_input_metadata(meta_fb, len(model.subgraphs[0].outputs), description)

    buffer = tflite_fb.BufferT()
    buffer.data = list(metadata_bytes)
    model.buffers.append(buffer)
    entry = tflite_fb.MetadataT()
    entry.name = "TFLITE_METADATA"
    entry.buffer = len(model.buffers) - 1
    stale = (b"TFLITE_METADATA", "TFLITE_METADATA")
    model.metadata = [m for m in (model.metadata or []) if m.name not in stale]
    model.metadata.append(entry)

    builder = flatbuffers.Builder(len(tflite) + len(metadata_bytes) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _image_input_metadata(meta_fb, num_outputs: int, description: str) -> bytes:
    import flatbuffers

    normalization = meta_fb.NormalizationOptionsT()
    normalization.mean = [LANDMARK_INPUT_MEAN]
    normalization.std = [LANDMARK_INPUT_STD]
    unit = meta_fb.ProcessUnitT()
    unit.optionsType = meta_fb.ProcessUnitOptions.NormalizationOptions
    unit.options = normalization

    image_properties = meta_fb.ImagePropertiesT()
    image_properties.colorSpace = meta_fb.ColorSpaceType.RGB
    content = meta_fb.ContentT()
    content.contentPropertiesType = meta_fb.ContentProperties.ImageProperties
    content.contentProperties = image_properties

    stats = meta_fb.StatsT()
    stats.max = [1.0]
    stats.min = [0.0]

    image_input = meta_fb.TensorMetadataT()
    image_input.name = "image"
    image_input.description = "RGB image, pixels scaled to [0, 1]."
    image_input.content = content
    image_input.processUnits = [unit]
    image_input.stats = stats

    outputs = []
    for index in range(num_outputs):
        output = meta_fb.TensorMetadataT()
        output.name = f"output_{index}"
        outputs.append(output)

    subgraph = meta_fb.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [image_input]
    subgraph.outputTensorMetadata = outputs

    model_metadata = meta_fb.ModelMetadataT()
    model_metadata.name = "pose_landmarks_detector"
    model_metadata.description = description
    model_metadata.subgraphMetadata = [subgraph]
    model_metadata.minParserVersion = "1.0.0"

    builder = flatbuffers.Builder(1024)
    builder.Finish(model_metadata.Pack(builder), file_identifier=b"M001")
    return bytes(builder.Output())


def write_aligned_bundle(path: Path, members: dict[str, bytes]) -> None:
    """Zip `members` uncompressed, each one's data starting on a BUNDLE_ALIGNMENT_BYTES boundary."""
    with open(path, "wb") as raw, zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED) as bundle:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            offset = raw.tell()
            header_bytes = 30 + len(name.encode("utf-8"))
            # the padding field itself takes 4 bytes (id + size) plus 0..3 filler bytes
            filler = -(offset + header_bytes + 4) % BUNDLE_ALIGNMENT_BYTES
            info.extra = struct.pack("<HH", _ZIPALIGN_EXTRA_ID, filler) + b"\0" * filler
            bundle.writestr(info, data)
