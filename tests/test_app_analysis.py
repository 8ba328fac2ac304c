"""Review processing: once per file (cached by hash), uploads checked, events re-evaluated from the track."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from appkit import analysis as an
from stretches.catalog import get_stretch
from stretches.thresholds import Thresholds
from vision.errors import BadInputError


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv(an.CACHE_ENV, str(root))
    return root


def test_a_video_is_processed_once_then_served_from_the_cache(cache: Path, footage, tmp_path: Path) -> None:
    video = shutil.copy(footage("pose2sim_multi_cam01.mp4"), tmp_path / "clip.mp4")
    assert an.cached_analysis(video, "standing_backbend") is None
    calls: list[tuple[int, int | None]] = []
    first = an.analyze_cached(video, "standing_backbend", progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1]  # progress reached 100 %
    assert first.track_path.is_file() and first.events_path.is_file() and first.annotated_path.is_file()
    assert first.track().num_frames == 100

    calls.clear()
    again = an.analyze_cached(video, "standing_backbend", progress=lambda d, t: calls.append((d, t)))
    assert again == first and calls == []  # no inference the second time
    renamed = shutil.copy(video, tmp_path / "same-bytes-other-name.mp4")
    assert an.cached_analysis(renamed, "standing_backbend") == first  # keyed by content, not by name
    assert an.list_analyses() == [first]

    default_events = an.events_for(first)
    series = an.series_for(first)
    assert "standing_backbend.backbend_depth" in series
    # A threshold at the slider's far end changes the re-evaluated events: all from the cached track.
    stance = get_stretch("standing_backbend").check("standing_backbend.partner_stance")
    assert stance.direction == "below"
    strictest = stance.slider_range[1]
    strict = Thresholds().with_threshold(stance.id, strictest)
    strict_events = an.events_for(first, strict)
    count = sum(w["check"] == "standing_backbend.partner_stance" for w in strict_events["warnings"])
    default_count = sum(w["check"] == "standing_backbend.partner_stance" for w in default_events["warnings"])
    assert strict_events["duration_s"] == default_events["duration_s"]
    assert count >= default_count
    assert an.series_for(first, strict)["standing_backbend.partner_stance"].threshold == strictest


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.txt", b"hello", "not a video file type"),
        ("empty.mp4", b"", "is empty"),
        ("fake.mp4", b"this is text pretending to be a video" * 100, "cannot be read as a video"),
    ],
)
def test_bad_uploads_are_refused_with_one_line(cache: Path, name: str, data: bytes, message: str) -> None:
    with pytest.raises(BadInputError, match=message) as error:
        an.save_upload(name, data)
    assert "\n" not in str(error.value)
    assert not any((cache / "uploads").glob("*")) if (cache / "uploads").exists() else True


def test_a_good_upload_is_stored_under_its_hash(cache: Path, footage) -> None:
    data = footage("pose2sim_multi_cam01.mp4").read_bytes()
    path = an.save_upload("My Clip.MP4", data)
    assert path.parent == cache / "uploads" and path.suffix == ".mp4"
    assert path.read_bytes() == data
    assert an.save_upload("again.mp4", data) == path
