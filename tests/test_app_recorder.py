"""The live session recorder: clean stop, mid-stream resolution change, and a hard crash losing ≤ 1 s."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import av
import numpy as np
import pytest

from appkit.recorder import SessionRecorder, list_sessions, open_session, session_label
from vision.errors import BadInputError
from vision.track import Track

REPO = Path(__file__).resolve().parents[1]


def _frame(i: int, width: int = 320, height: int = 240) -> np.ndarray:
    image = np.zeros((height, width, 3), np.uint8)
    image[:, (i * 7) % width] = 255
    return image


def _landmarks(i: int) -> np.ndarray:
    lm = np.full((2, 33, 4), 0.5, np.float32)
    lm[0, :, 0] = i / 1000
    return lm


def _video_times(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        return [frame.time for frame in container.decode(video=0)]


def test_clean_stop_writes_track_video_and_events(tmp_path: Path) -> None:
    recorder = SessionRecorder(tmp_path, "butterfly")
    t_ms = [1000 + 40 * i for i in range(60)]
    for i, t in enumerate(t_ms):
        # the browser lowers the resolution mid-stream: the recorder must keep going
        size = (320, 240) if i < 30 else (160, 120)
        recorder.add_frame(_frame(i, *size), t, _landmarks(i), None)
    recorder.add_event({"t_ms": 1400, "kind": "warning_start", "check": "butterfly.soles_apart"})
    path = recorder.close(events={"stretch": "butterfly", "warnings": [], "holds": []})

    session = open_session(path)
    assert session.complete and session.stretch_id == "butterfly"
    track = Track.load(session.track_path)
    assert track.t_ms.tolist() == t_ms
    np.testing.assert_allclose(track.landmarks[:, 0, 0, 0], [i / 1000 for i in range(60)], rtol=1e-6)
    assert track.image_size == (320, 240)
    assert not (path / "track").exists()  # chunks merged away
    assert json.loads(session.events_path.read_text())["stretch"] == "butterfly"
    lines = (path / "events.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["check"] == "butterfly.soles_apart"
    times = _video_times(session.video_path)
    assert len(times) == 60
    assert times[-1] == pytest.approx((t_ms[-1] - t_ms[0]) / 1000, abs=0.002)
    assert list_sessions(tmp_path) == [path]


def test_a_killed_recording_loses_at_most_one_second(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import sys, time
        import numpy as np
        from appkit.recorder import SessionRecorder
        recorder = SessionRecorder(sys.argv[1], "prone_quad")
        print(recorder.path, flush=True)
        start = time.monotonic()
        i = 0
        while True:
            t_ms = int((time.monotonic() - start) * 1000)
            image = np.zeros((240, 320, 3), np.uint8)
            image[:, (i * 7) % 320] = 255
            recorder.add_frame(image, t_ms, np.full((2, 33, 4), 0.5, np.float32), None)
            print(t_ms, flush=True)
            i += 1
            time.sleep(1 / 30)
    """)
    process = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=REPO,
                               stdout=subprocess.PIPE, text=True)
    path = Path(process.stdout.readline().strip())
    time.sleep(3.5)
    process.send_signal(signal.SIGKILL)
    last_sent_ms = int(process.communicate()[0].split()[-1])

    session = open_session(path)
    assert not session.complete
    track = Track.load(session.track_path)
    assert track.t_ms[-1] >= last_sent_ms - 1000
    times = _video_times(session.video_path)
    assert times[-1] >= (last_sent_ms - track.t_ms[0]) / 1000 - 1.0


def test_a_folder_without_session_json_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="not a StretchGuard session"):
        open_session(tmp_path)


def test_a_session_being_recorded_is_not_recovered_under_the_recorder(tmp_path: Path) -> None:
    recorder = SessionRecorder(tmp_path, "butterfly")
    for i in range(10):
        recorder.add_frame(_frame(i), 1000 + 40 * i, _landmarks(i), None)
    time.sleep(1.2)  # a chunk is on disk
    with pytest.raises(BadInputError, match="still recording"):
        open_session(recorder.path)
    assert "recording now" in session_label(recorder.path)
    path = recorder.close()
    assert Track.load(open_session(path).track_path).num_frames == 10
    assert "recording now" not in session_label(path)
