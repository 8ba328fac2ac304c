"""The `stretchguard` command end to end: real files out, exit 2 with one line for every bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from stretches.catalog import STRETCHES
from stretches.cli import main
from tests.conftest import write_clip
from vision.track import Track

CLIP_FRAMES = 24


@pytest.fixture(scope="module")
def short_clip(footage, tmp_path_factory) -> Path:
    """The first frames of the two-person footage, scaled to 360×640, as an H.264 file."""
    out = tmp_path_factory.mktemp("clip") / "two_people.mp4"
    return write_clip(footage("pose2sim_multi_cam01.mp4"), out, CLIP_FRAMES, 360, 640)


@pytest.fixture(scope="module")
def analyzed(short_clip, tmp_path_factory, model_path):
    out = tmp_path_factory.mktemp("analysis")
    code = main(["analyze", str(short_clip), "--stretch", "standing_backbend", "--out", str(out),
                 "--model", str(model_path)])
    assert code == 0
    return out


def test_analyze_writes_track_events_and_browser_playable_video(analyzed):
    track = Track.load(analyzed / "track.npz")
    assert track.num_frames == CLIP_FRAMES and track.num_people == 2
    assert track.image_size == (360, 640)
    assert sorted(track.roles) == ["client", "partner"]
    assert track.present().all(axis=1).mean() > 0.9

    events = json.loads((analyzed / "events.json").read_text())
    assert events["stretch"] == "standing_backbend"
    assert set(events["roles"]) == {"client", "partner"}
    assert events["coverage"]["frames"] == CLIP_FRAMES
    assert {"holds", "warnings", "duration_s"} <= set(events)

    with av.open(str(analyzed / "annotated.mp4")) as video:
        stream = video.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        frames = [f.to_ndarray(format="bgr24") for f in video.decode(stream)]
    assert len(frames) == CLIP_FRAMES
    assert frames[0].shape == (640, 360, 3)


def test_annotated_video_shows_the_role_colours(analyzed, short_clip):
    from vision.draw import CLIENT_COLOR_BGR, PARTNER_COLOR_BGR

    with av.open(str(analyzed / "annotated.mp4")) as video:
        frame = next(video.decode(video=0)).to_ndarray(format="bgr24").astype(int)
    for color in (CLIENT_COLOR_BGR, PARTNER_COLOR_BGR):
        near = (np.abs(frame - np.array(color)).sum(axis=-1) < 60).sum()
        assert near > 200, f"skeleton colour {color} not drawn"


def test_check_reprints_the_same_events_without_inference(analyzed, capsys):
    assert main(["check", str(analyzed / "track.npz"), "--stretch", "standing_backbend"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((analyzed / "events.json").read_text())


def test_check_client_override_swaps_roles(analyzed, capsys):
    stored = Track.load(analyzed / "track.npz").role_index()
    other = stored["partner"]
    assert main(["check", str(analyzed / "track.npz"), "--stretch", "standing_backbend",
                 "--client", str(other)]) == 0
    assert json.loads(capsys.readouterr().out)["roles"] == {"client": other, "partner": stored["client"]}


def test_analyze_no_video(short_clip, tmp_path, model_path):
    assert main(["analyze", str(short_clip), "--stretch", "butterfly", "--out", str(tmp_path),
                 "--no-video", "--model", str(model_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.json", "track.npz"]


def test_stretches_lists_every_id_with_its_checks(capsys):
    assert main(["stretches"]) == 0
    text = capsys.readouterr().out
    for stretch in STRETCHES.values():
        assert stretch.id in text
        assert all(check.id in text for check in stretch.checks)
    assert main(["stretches", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [entry["id"] for entry in listed] == list(STRETCHES)


def _bad_inputs(tmp: Path, analyzed: Path) -> dict[str, list[str]]:
    (tmp / "empty.mp4").write_bytes(b"")
    (tmp / "corrupt.mp4").write_bytes(bytes(range(256)) * 64)
    (tmp / "notes.txt").write_text("not a video at all\n")
    (tmp / "bad.toml").write_text("[seated_forward_fold.pull_speed\nthreshold = 'fast'\n")
    (tmp / "unknown.toml").write_text("[no_such.check]\nthreshold = 1.0\n")
    (tmp / "garbage.npz").write_bytes(b"PK\x03\x04 not really a zip")
    np.savez(tmp / "missing_keys.npz", t_ms=np.arange(3, dtype=np.int64))
    clip = str(analyzed.parent / "placeholder")  # replaced below by the real clip path
    return {
        "missing video": ["analyze", str(tmp / "nope.mp4"), "--stretch", "butterfly"],
        "empty video": ["analyze", str(tmp / "empty.mp4"), "--stretch", "butterfly"],
        "corrupt video": ["analyze", str(tmp / "corrupt.mp4"), "--stretch", "butterfly"],
        "not a video": ["analyze", str(tmp / "notes.txt"), "--stretch", "butterfly"],
        "unknown stretch": ["analyze", clip, "--stretch", "headstand"],
        "unreadable thresholds": ["analyze", clip, "--stretch", "butterfly",
                                  "--thresholds", str(tmp / "bad.toml")],
        "unknown check in thresholds": ["check", str(analyzed / "track.npz"), "--stretch", "butterfly",
                                        "--thresholds", str(tmp / "unknown.toml")],
        "missing thresholds": ["check", str(analyzed / "track.npz"), "--stretch", "butterfly",
                               "--thresholds", str(tmp / "none.toml")],
        "bad client": ["analyze", clip, "--stretch", "butterfly", "--client", "middle"],
        "missing track": ["check", str(tmp / "none.npz"), "--stretch", "butterfly"],
        "corrupt track": ["check", str(tmp / "garbage.npz"), "--stretch", "butterfly"],
        "track missing keys": ["check", str(tmp / "missing_keys.npz"), "--stretch", "butterfly"],
        "check unknown stretch": ["check", str(analyzed / "track.npz"), "--stretch", "headstand"],
        "no arguments": ["analyze"],
    }


@pytest.mark.parametrize("case", [
    "missing video", "empty video", "corrupt video", "not a video", "unknown stretch",
    "unreadable thresholds",
    "unknown check in thresholds", "missing thresholds", "bad client", "missing track", "corrupt track",
    "track missing keys", "check unknown stretch", "no arguments",
])
def test_bad_input_exits_2_with_one_line(case, tmp_path, analyzed, short_clip, capsys):
    argv = [str(short_clip) if arg.endswith("placeholder") else arg
            for arg in _bad_inputs(tmp_path, analyzed)[case]]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "events.json").write_text("earlier results\n")
    if argv[0] == "analyze" and len(argv) > 1:
        argv += ["--out", str(out_dir)]
    with pytest.raises(SystemExit) if case == "no arguments" else _no_exit() as raised:
        code = main(argv)
    if case == "no arguments":
        code = raised.value.code
    captured = capsys.readouterr()
    assert code == 2
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("stretchguard: error:"), captured.err
    assert "Traceback" not in captured.err
    assert (out_dir / "events.json").read_text() == "earlier results\n"  # nothing earlier is overwritten
    assert sorted(p.name for p in out_dir.iterdir()) == ["events.json"]


class _no_exit:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_console_script_reports_bad_input_without_traceback(tmp_path):
    script = Path(sys.executable).with_name("stretchguard")
    result = subprocess.run([str(script), "analyze", str(tmp_path / "missing.mp4"), "--stretch", "butterfly"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    expected = f"stretchguard: error: file not found: {tmp_path / 'missing.mp4'}"
    assert result.stderr.strip().splitlines() == [expected]


def test_unwritable_output_folder_is_one_line_exit_2(short_clip, tmp_path, capsys):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the output folder's parent should be\n")
    assert main(["analyze", str(short_clip), "--stretch", "butterfly", "--out", str(blocked / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("stretchguard: error:") and "blocked" in err[0]


def test_default_output_folder_is_in_the_working_directory(short_clip, tmp_path, monkeypatch, model_path):
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", str(short_clip), "--stretch", "butterfly", "--no-video",
                 "--model", str(model_path)]) == 0
    assert (tmp_path / "two_people.stretchguard" / "events.json").is_file()
