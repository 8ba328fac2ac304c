"""The annotated video drawn alongside tracking: same bytes as drawing it afterwards; the Live overlay.

No inference here: a kinematic take (stretches.synthetic) plays the tracker, over a plain video of the same
length, so each test is about drawing, not about MediaPipe.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from stretches.annotated_video import (
    ANNOTATOR_ENCODER_THREADS,
    ConcurrentAnnotator,
    LiveOverlay,
    render_annotated_video,
)
from stretches.synthetic import Scenario, simulate
from vision.draw import SEVERITY_COLORS_BGR

STRETCH = "standing_backbend"
FAULT = "standing_backbend.backbend_depth"


@pytest.fixture(scope="module")
def take():
    return simulate(Scenario(STRETCH, fault=FAULT, seed=3, jitter_frac=0.005))


@pytest.fixture(scope="module")
def plain_video(take, tmp_path_factory) -> Path:
    """A grey 30 fps video with exactly as many frames as the take."""
    width, height = take.track.image_size
    path = tmp_path_factory.mktemp("plain") / "plain.mp4"
    image = np.full((height, width, 3), 160, dtype=np.uint8)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for index in range(take.track.num_frames):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts, frame.time_base = index, Fraction(1, 30)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _draw_concurrently(take, video: Path, out: Path, final_roles: dict[str, int]):
    track = take.track
    with ConcurrentAnnotator(video, out, STRETCH, fps=30.0, image_size=track.image_size) as annotator:
        for index in range(track.num_frames):
            annotator.add(int(track.t_ms[index]), track.landmarks[index], track.world[index])
        return annotator.finish(track, final_roles)


def test_drawn_alongside_tracking_equals_drawing_afterwards(take, plain_video, tmp_path):
    """Whichever way it went (drawn while frames came, or again at the end because the roles or flicker
    filtering changed; that depends on how far the process got), the file is the same."""
    roles = take.track.role_index()
    result = _draw_concurrently(take, plain_video, tmp_path / "concurrent.mp4", roles)
    after = render_annotated_video(plain_video, take.track, STRETCH, tmp_path / "after.mp4", roles=roles,
                                   encoder_threads=ANNOTATOR_ENCODER_THREADS)
    assert _digest(result.path) == _digest(after)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["after.mp4", "concurrent.mp4"]  # no temp files


def test_roles_that_change_at_the_end_give_the_video_of_the_final_roles(take, plain_video, tmp_path):
    roles = take.track.role_index()
    swapped = {"client": roles["partner"], "partner": roles["client"]}
    result = _draw_concurrently(take, plain_video, tmp_path / "concurrent.mp4", swapped)
    after = render_annotated_video(plain_video, take.track, STRETCH, tmp_path / "after.mp4", roles=swapped,
                                   encoder_threads=ANNOTATOR_ENCODER_THREADS)
    assert _digest(result.path) == _digest(after)


def test_abort_leaves_no_file(take, plain_video, tmp_path):
    out = tmp_path / "annotated.mp4"
    with pytest.raises(KeyboardInterrupt), ConcurrentAnnotator(plain_video, out, STRETCH) as annotator:
        for index in range(60):
            annotator.add(int(take.track.t_ms[index]), take.track.landmarks[index], take.track.world[index])
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_overlay_shows_the_warning_during_the_fault_and_the_hold_timer(take):
    track = take.track
    (fault,) = take.faults
    overlay = LiveOverlay(STRETCH, None, track.role_index(), track.image_size)
    warned, timer = [], []
    for index in range(track.num_frames):
        banners, hold = overlay.next(int(track.t_ms[index]), track.landmarks[index], track.world[index])
        warned.append(any(b.severity == "warning" for b in banners))
        timer.append(np.nan if hold is None else hold.elapsed_s)
    t_s = (track.t_ms - track.t_ms[0]) / 1000.0
    warned, timer = np.array(warned), np.array(timer)
    in_fault = (t_s >= fault.start_s + 1.0) & (t_s <= fault.end_s)
    assert warned[in_fault].mean() > 0.8
    assert not warned[t_s < fault.start_s].any()  # never before the fault: the video is causal
    counting = timer[np.isfinite(timer)]
    assert counting.size > 60 and counting.max() > 5.0
    assert np.all(np.diff(timer[np.isfinite(timer)][:60]) > 0)  # the timer counts up from the hold's start


def test_warning_banner_is_drawn_in_the_video(take, plain_video, tmp_path):
    (fault,) = take.faults
    path = render_annotated_video(plain_video, take.track, STRETCH, tmp_path / "a.mp4")
    t_s = (take.track.t_ms - take.track.t_ms[0]) / 1000.0
    wanted = {int(np.argmax(t_s >= fault.start_s + 1.5)), int(np.argmax(t_s >= fault.start_s)) - 30}
    red = np.array(SEVERITY_COLORS_BGR["warning"])
    reds = {}
    with av.open(str(path)) as video:
        for index, frame in enumerate(video.decode(video=0)):
            if index in wanted:
                image = frame.to_ndarray(format="bgr24").astype(int)
                reds[index] = int((np.abs(image - red).sum(axis=-1) < 60).sum())
    during, before = max(wanted), min(wanted)
    assert reds[during] > 500 and reds[before] == 0, reds
