"""App helpers: ICE configuration, the webrtc reset guard, audible-cue gating, y4m, charts and reports."""

from __future__ import annotations

import csv
import io
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from streamlit_webrtc.component import WebRtcStreamerContext, WebRtcStreamerState

from appkit.charts import metric_chart, spans_for
from appkit.cues import CueGate, beep_wav
from appkit.report import event_rows, html_report, key_frames, rows_csv
from appkit.rtc import IceConfigError, note_page, rtc_configuration, stabilise_webrtc_context
from appkit.y4m import read_y4m_header, write_y4m
from stretches.engine import MetricSeries
from vision.errors import BadInputError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {"iceServers": []}),
        ("", {"iceServers": []}),
        ('[{"urls": ["stun:stun.example.org:3478"]}]',
         {"iceServers": [{"urls": ["stun:stun.example.org:3478"]}]}),
        ('[{"urls": "turn:t.example.org", "username": "u", "credential": "c"}]',
         {"iceServers": [{"urls": "turn:t.example.org", "username": "u", "credential": "c"}]}),
    ],
)
def test_ice_servers_default_to_none_and_are_configurable(value: str | None, expected: dict) -> None:
    env = {} if value is None else {"STRETCHGUARD_ICE_SERVERS": value}
    assert rtc_configuration(env) == expected


@pytest.mark.parametrize("value", ["stun:x", "{not json", '{"urls": "stun:x"}', '[{"url": "stun:x"}]'])
def test_bad_ice_servers_are_reported_in_one_line(value: str) -> None:
    with pytest.raises(IceConfigError, match="STRETCHGUARD_ICE_SERVERS") as error:
        rtc_configuration({"STRETCHGUARD_ICE_SERVERS": value})
    assert "\n" not in str(error.value)


def _context(last_rendered: int | None) -> WebRtcStreamerContext:
    context = WebRtcStreamerContext(worker=None, state=WebRtcStreamerState(playing=True, signalling=False))
    context._last_rendered_run_count = last_rendered
    return context


def test_reset_guard_keeps_a_stream_alive_within_one_page_visit() -> None:
    state: dict = {}
    assert note_page(state, "live") == 1
    state["cam"] = _context(None)
    stabilise_webrtc_context(state, "cam")  # first render of this visit
    state["cam"]._last_rendered_run_count = 7  # the library records run 7
    assert note_page(state, "live") == 1  # next run, same page
    stabilise_webrtc_context(state, "cam")
    # A lagging run counter (run 9 seen after 7) must not look like a page change: the check is disabled.
    assert state["cam"]._last_rendered_run_count is None


def test_reset_guard_forces_the_library_reset_after_another_page() -> None:
    state: dict = {}
    note_page(state, "live")
    state["cam"] = _context(None)
    stabilise_webrtc_context(state, "cam")
    state["cam"]._last_rendered_run_count = 7
    assert note_page(state, "review") == 2
    assert note_page(state, "live") == 3
    stabilise_webrtc_context(state, "cam")
    assert state["cam"]._last_rendered_run_count == -2  # any run count is now "more than one run later"


def test_cue_sounds_once_per_new_warning_within_the_cooldown() -> None:
    gate = CueGate(cooldown_s=5.0)
    timeline = [
        (0.0, set(), False),
        (1.0, {"a"}, True),  # new warning
        (1.5, {"a"}, False),  # still active: no repeat
        (2.0, set(), False),
        (3.0, {"a"}, False),  # back within the cooldown
        (7.0, set(), False),
        (7.5, {"a"}, True),  # after the cooldown
        (8.0, {"a", "b"}, True),  # another check
    ]
    assert [gate.update(t, active) for t, active, _ in timeline] == [cue for _, _, cue in timeline]


def test_beep_is_a_short_wav() -> None:
    with wave.open(io.BytesIO(beep_wav(duration_s=0.25, sample_rate_hz=16000))) as wav:
        assert wav.getnframes() == 4000 and wav.getnchannels() == 1


def test_y4m_is_raw_420_at_a_constant_rate(footage, tmp_path: Path) -> None:
    out = tmp_path / "cam.y4m"
    written = write_y4m(footage("pose2sim_multi_cam01.mp4"), out, width=320, height=240, fps=30, end_s=1.0)
    assert written == 30
    assert read_y4m_header(out) == {"W": "320", "H": "240", "F": "30:1", "I": "p", "A": "1:1", "C": "420jpeg"}
    header = len(b"YUV4MPEG2 W320 H240 F30:1 Ip A1:1 C420jpeg\n")
    assert out.stat().st_size == header + written * (len(b"FRAME\n") + 320 * 240 * 3 // 2)


def test_y4m_from_a_non_video_is_a_bad_input(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(b"not a video at all")
    with pytest.raises(BadInputError):
        write_y4m(bogus, tmp_path / "out.y4m")
    assert not (tmp_path / "out.y4m").exists()


EVENTS = {
    "stretch": "standing_backbend",
    "duration_s": 4.0,
    "roles": {"client": 0, "partner": 1},
    "holds": [{"side": None, "start_s": 10.5, "end_s": 13.0, "duration_s": 2.5, "target_s": [10, 20],
               "status": "short"}],
    "warnings": [{"check": "standing_backbend.backbend_depth", "severity": "warning", "role": "client",
                  "start_s": 11.0, "end_s": 12.0, "peak": 31.5, "threshold": 25.0, "unit": "deg",
                  "message": "Lean back less."}],
    "not_visible": [],
    "coverage": {"frames": 120, "frames_both_people": 118},
}


def test_rows_csv_lists_warnings_and_holds_in_video_time() -> None:
    rows = event_rows(EVENTS, offset_s=10.0)
    assert [(r.kind, r.start_s, r.end_s) for r in rows] == [("hold", 0.5, 3.0), ("warning", 1.0, 2.0)]
    table = list(csv.DictReader(io.StringIO(rows_csv(rows))))
    assert table[1]["check"] == "standing_backbend.backbend_depth"
    assert table[1]["peak"] == "31.5" and table[1]["unit"] == "deg" and table[1]["duration_s"] == "1.0"
    assert table[0]["status"] == "short"


def _clip(path: Path, seconds: float = 3.0, fps: int = 10) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for i in range(int(seconds * fps)):
            image = np.full((120, 160, 3), (i * 8) % 256, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def test_key_frames_pick_the_frame_at_each_time(tmp_path: Path) -> None:
    video = _clip(tmp_path / "clip.mp4")
    jpegs = key_frames(video, [2.0, 0.0, 99.0])
    assert all(j and j[:2] == b"\xff\xd8" for j in jpegs)
    import cv2

    brightness = [cv2.imdecode(np.frombuffer(j, np.uint8), cv2.IMREAD_GRAYSCALE).mean() for j in jpegs]
    assert brightness[1] < 10 < brightness[0]  # frame 0 is black, frame 20 is brighter
    assert brightness[2] == pytest.approx((29 * 8) % 256, abs=8)  # past the end: the last frame


def test_html_report_has_a_card_and_key_frame_per_warning(tmp_path: Path) -> None:
    video = _clip(tmp_path / "clip.mp4")
    rows = event_rows(EVENTS, offset_s=10.0)
    page = html_report(EVENTS, rows, title="Report", stretch_name="Standing backbend", video=video)
    assert page.count("class='card") == 1
    assert "data:image/jpeg;base64," in page
    assert "Lean back less." in page and "short" in page
    assert "@media print" in page


def test_metric_chart_marks_threshold_default_and_warning_spans() -> None:
    t_s = np.linspace(10, 14, 41)
    series = MetricSeries("standing_backbend.backbend_depth", "Backbend depth", "client", t_s,
                          np.linspace(0, 40, 41), 25.0, "deg", "above", "hold")
    spans = spans_for(EVENTS, "standing_backbend.backbend_depth", offset_s=10.0)
    assert spans == [(1.0, 2.0)]
    spec = metric_chart(series, spans, threshold=30.0, default_threshold=25.0, offset_s=10.0).to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
             for layer in spec["layer"]]
    assert marks == ["rect", "line", "rule", "rule"]
    same = metric_chart(series, [], threshold=25.0, default_threshold=25.0).to_dict()
    assert len(same["layer"]) == 2  # no spans, and the default rule coincides with the threshold
