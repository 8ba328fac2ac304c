"""Process a video once: results cached by the file's SHA-256, so reopening it costs no inference.

Cache layout ($STRETCHGUARD_ANALYSIS_DIR, else "analysis" in StretchGuard's cache folder, the model's):
  <sha16>_<stretch>_v<N>/       track.npz, events.json, annotated.mp4 (defaults), source.json
  <sha16>_<stretch>_v<N>/annotated-<profile sha12>.mp4   re-drawn for other thresholds, no inference
  uploads/<sha16><ext>          uploaded files, checked to be readable video before use
  sessions/<sha16>/             annotated video of a saved live session
Each result folder is built under a temporary name and renamed into place when complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from vision.errors import BadInputError
from vision.track import Track

CACHE_ENV = "STRETCHGUARD_ANALYSIS_DIR"
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
Progress = Callable[[int, "int | None"], None]


def cache_root() -> Path:
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    from vision.model import cache_dir

    return cache_dir() / "analysis"


def file_sha256(path: str | os.PathLike, chunk_bytes: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as source:
        while chunk := source.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def thresholds_key(thresholds) -> str:
    """'' for the defaults, else a short hash of the profile's TOML (what the drawn banners depend on)."""
    if thresholds is None or not getattr(thresholds, "overrides", None):
        return ""
    return hashlib.sha256(thresholds.to_toml().encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Analysis:
    """A processed video or saved session: everything the Review and Tune pages need."""

    folder: Path
    stretch_id: str
    label: str
    track_path: Path
    events_path: Path | None
    annotated_path: Path | None
    source_video: Path | None
    kind: str  # "video" | "session"

    def track(self) -> Track:
        return Track.load(self.track_path)

    def video_offset_s(self) -> float:
        """Subtract from an event time (track clock) to get the time in the annotated video."""
        return float(self.track().t_ms[0]) / 1000.0


# Bump when analyze's results change for the same video (pose strategy, re-detection, overlay), so the
# Review page does not serve an analysis made the old way. 2: per-stretch strategy, Live overlay in video.
ANALYSIS_VERSION = 2


def _result_dir(sha: str, stretch_id: str) -> Path:
    return cache_root() / f"{sha[:16]}_{stretch_id}_v{ANALYSIS_VERSION}"


def _is_complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in ("track.npz", "events.json", "source.json"))


def _from_folder(folder: Path) -> Analysis:
    source = json.loads((folder / "source.json").read_text(encoding="utf-8"))
    annotated = folder / "annotated.mp4"
    return Analysis(
        folder=folder,
        stretch_id=source["stretch"],
        label=source.get("label", folder.name),
        track_path=folder / "track.npz",
        events_path=folder / "events.json",
        annotated_path=annotated if annotated.is_file() else None,
        source_video=Path(source["video"]) if source.get("video") else None,
        kind="video",
    )


def cached_analysis(video: str | os.PathLike, stretch_id: str) -> Analysis | None:
    folder = _result_dir(file_sha256(video), stretch_id)
    return _from_folder(folder) if _is_complete(folder) else None


def analyze_cached(video: str | os.PathLike, stretch_id: str, *, label: str | None = None,
                   progress: Progress | None = None) -> Analysis:
    """The cached analysis of `video` for `stretch_id`; stretches.session.analyze runs only the first time."""
    from stretches.session import analyze

    video = Path(video)
    sha = file_sha256(video)
    folder = _result_dir(sha, stretch_id)
    if _is_complete(folder):
        return _from_folder(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        analyze(video, stretch_id, work, progress=progress)
        source = {"stretch": stretch_id, "label": label or video.name, "video": str(video.resolve()),
                  "sha256": sha}
        (work / "source.json").write_text(json.dumps(source, indent=2), encoding="utf-8")
        if folder.exists():  # a concurrent run finished first: keep theirs
            shutil.rmtree(work, ignore_errors=True)
        else:
            os.replace(work, folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return _from_folder(folder)


def list_analyses() -> list[Analysis]:
    """Every completed analysis in the cache (for the Tune page), newest first."""
    root = cache_root()
    if not root.is_dir():
        return []
    folders = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and _is_complete(p)]
    folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [_from_folder(p) for p in folders]


def save_upload(name: str, data: bytes) -> Path:
    """Store an uploaded video in the cache (named by its hash) after checking it really is a video."""
    from vision.sources import open_source

    suffix = Path(name).suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise BadInputError(f"{name}: not a video file type; upload one of {', '.join(VIDEO_SUFFIXES)}")
    if not data:
        raise BadInputError(f"{name} is empty; upload a video file")
    sha = hashlib.sha256(data).hexdigest()
    folder = cache_root() / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sha[:16]}{suffix}"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=suffix, dir=folder)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        try:
            with open_source(Path(tmp)):
                pass
        except BadInputError:
            Path(tmp).unlink(missing_ok=True)
            raise BadInputError(f"{name} cannot be read as a video (damaged, or not a video inside); "
                                "upload an MP4, MOV, AVI, MKV or WebM file") from None
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        os.replace(tmp, path)
    return path


def events_for(analysis: Analysis, thresholds=None) -> dict:
    """The analysis's events under `thresholds` (re-evaluated from the track: no inference)."""
    if thresholds is None and analysis.events_path is not None and analysis.events_path.is_file():
        return json.loads(analysis.events_path.read_text(encoding="utf-8"))
    from stretches.session import check_track

    return check_track(analysis.track_path, analysis.stretch_id, thresholds=thresholds).to_dict()


def annotated_for(analysis: Analysis, events: dict, thresholds=None,
                  progress: Callable[[int, int], None] | None = None) -> Path | None:
    """The annotated video whose banners match `thresholds`; drawn from the track when needed."""
    from stretches.annotated_video import render_annotated_video

    key = thresholds_key(thresholds)
    if analysis.kind == "video" and not key and analysis.annotated_path is not None:
        return analysis.annotated_path
    if analysis.source_video is None or not analysis.source_video.is_file():
        return analysis.annotated_path
    name = f"annotated-{key}.mp4" if key else "annotated.mp4"
    path = analysis.folder / name
    if not path.is_file():
        track = analysis.track()
        roles = track.role_index()
        if roles is None and events.get("roles"):  # a live recording: roles come from its events
            roles = {role: int(index) for role, index in events["roles"].items()}
        render_annotated_video(analysis.source_video, track, analysis.stretch_id, path, thresholds=thresholds,
                               roles=roles, progress=progress)
    return path


def session_analysis(session_path: str | os.PathLike) -> Analysis:
    """A saved live session as an Analysis (its track is used as recorded: no inference)."""
    from appkit.recorder import open_session

    session = open_session(session_path)
    if session.track_path is None:
        raise BadInputError(f"session {Path(session_path).name} has no recorded frames")
    folder = cache_root() / "sessions" / hashlib.sha256(str(session.path.resolve()).encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    return Analysis(
        folder=folder,
        stretch_id=session.stretch_id,
        label=session.label,
        track_path=session.track_path,
        events_path=session.events_path,
        annotated_path=None,
        source_video=session.video_path,
        kind="session",
    )


def series_for(analysis: Analysis, thresholds=None) -> dict:
    """check id → MetricSeries of the analysis's track; the metric values are computed once per track."""
    from dataclasses import replace

    path = analysis.track_path
    series = _series_cached(str(path), path.stat().st_mtime, analysis.stretch_id)
    if thresholds is None:
        return series
    from stretches.catalog import get_stretch

    checks = {c.id: c for c in get_stretch(analysis.stretch_id).checks}
    return {key: replace(s, threshold=thresholds.threshold(checks[key])) if key in checks else s
            for key, s in series.items()}


@lru_cache(maxsize=16)
def _series_cached(track_path: str, mtime: float, stretch_id: str) -> dict:
    from stretches.engine import metric_series

    return metric_series(Track.load(track_path), stretch_id)
