"""The live processor behind the webcam view, on real two-person footage with the real pipeline and engine."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from appkit.live import LiveProcessor, frame_time_ms, guidance_from_hidden, people_guidance
from appkit.recorder import open_session
from vision.landmarks import Landmark
from vision.track import Track


def _person(x: float, y: float) -> np.ndarray:
    person = np.zeros((33, 4), np.float32)
    person[:, 0], person[:, 1], person[:, 3] = x, y, 0.9
    return person


@pytest.mark.parametrize(
    ("hidden", "ankle_y", "expected"),
    [
        (["partner.left_ankle", "partner.right_heel"], 1.08,
         ["Step back: the partner's feet are out of frame."]),
        (["partner.left_ankle"], 0.90,
         ["The partner's feet are hidden from the camera: turn it side-on or move what is in the way."]),
        (["client.nose", "client.left_ear"], 0.90,
         ["The client's head is hidden from the camera: turn it side-on or move what is in the way."]),
        (["client.left_wrist", "partner.left_knee"], 0.9,
         ["The client's hands are hidden from the camera: turn it side-on or move what is in the way.",
          "The partner's knees are hidden from the camera: turn it side-on or move what is in the way."]),
        ([], 0.9, []),
    ],
)
def test_guidance_names_who_and_what_is_hidden(hidden: list[str], ankle_y: float,
                                               expected: list[str]) -> None:
    landmarks = np.stack([_person(0.3, 0.5), _person(0.7, 0.5)])
    for name in ("LEFT_ANKLE", "RIGHT_ANKLE", "LEFT_HEEL", "RIGHT_HEEL"):
        landmarks[1, Landmark[name], 1] = ankle_y
    assert guidance_from_hidden(hidden, landmarks, {"client": 0, "partner": 1}) == expected


def test_a_missing_person_is_left_to_the_people_count() -> None:
    landmarks = np.stack([_person(0.3, 0.5), np.full((33, 4), np.nan, np.float32)])
    assert guidance_from_hidden(["partner.left_hip"], landmarks, {"client": 0, "partner": 1}) == []
    assert people_guidance(1)[0].startswith("Only one person found: step back")


@pytest.mark.parametrize(("people", "words"), [(0, "Nobody"), (1, "Only one person"), (2, None)])
def test_people_guidance(people: int, words: str | None) -> None:
    messages = people_guidance(people)
    assert (messages[0].startswith(words)) if words else messages == ()


def test_frame_time_comes_from_the_frame_not_the_clock() -> None:
    frame = av.VideoFrame(64, 48, "yuv420p")
    frame.pts, frame.time_base = 123_750, Fraction(1, 90000)
    assert frame_time_ms(frame) == 1375
    frame.pts = None
    assert frame_time_ms(frame) is None


def _footage_frames(path: Path, count: int) -> list[np.ndarray]:
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            image = frame.to_ndarray(format="bgr24")
            frames.append(image[::3, ::3].copy())  # 1088x1920 → 363x640: webcam-like size
            if len(frames) == count:
                break
    return frames


def test_two_people_are_drawn_evaluated_and_recorded(footage, tmp_path: Path) -> None:
    frames = _footage_frames(footage("pose2sim_multi_cam01.mp4"), 40)
    processor = LiveProcessor()
    processor.select_stretch("standing_backbend")
    try:
        path = None
        for i, image in enumerate(frames):
            if i == 5:
                path = processor.start_recording(tmp_path)
            # a reconnect restarts the sender clock at frame 20: the timeline must still increase
            t_ms = 1000 + 33 * i if i < 20 else 50 + 33 * (i - 20)
            drawn = processor.process(image.copy(), t_ms)
            assert drawn.shape == image.shape
        snapshot = processor.snapshot()
        assert snapshot.error is None
        assert snapshot.people == 2
        assert snapshot.frames_processed == 40
        assert snapshot.phase in ("rest", "approach", "hold", "release")
        assert processor._roles is not None and sorted(processor._roles.values()) == [0, 1]
        assert np.abs(drawn.astype(int) - frames[-1].astype(int)).sum() > 0  # skeletons were drawn
        saved = processor.stop_recording()
    finally:
        processor.close()
    assert saved == path
    session = open_session(saved)
    assert session.complete and session.stretch_id == "standing_backbend"
    track = Track.load(session.track_path)
    assert track.num_frames == 35
    assert np.all(np.diff(track.t_ms) > 0)
    assert track.present().sum(axis=1).max() == 2
    assert session.events_path is not None


class _ReplayPipeline:
    """Stands in for the camera + pose model: hands out a synthetic session's landmarks frame by frame."""

    def __init__(self, track: Track) -> None:
        self.index = {int(t): i for i, t in enumerate(track.t_ms)}
        self.track = track

    def process(self, frame_bgr: np.ndarray, t_ms: int):
        i = self.index[int(t_ms)]
        world = None if self.track.world is None else self.track.world[i]
        return {"landmarks": self.track.landmarks[i], "world": world}


def test_a_routine_moves_on_once_the_hold_is_done(tmp_path: Path) -> None:
    from stretches.catalog import ROUTINE_LOWER_BACK
    from stretches.synthetic import Scenario, simulate

    session = simulate(Scenario("childs_pose", seed=3))
    track = session.track
    processor = LiveProcessor(pipeline_factory=lambda: _ReplayPipeline(track))
    processor.select_routine(ROUTINE_LOWER_BACK)
    processor.start_recording(tmp_path)
    blank = np.zeros((track.image_size[1], track.image_size[0], 3), np.uint8)
    steps = []
    for t_ms in track.t_ms[::2]:  # 15 fps is plenty; the timers run on these timestamps
        processor.process(blank.copy(), int(t_ms))
        snapshot = processor.snapshot()
        steps.append((float(t_ms) / 1000, snapshot.stretch_id, snapshot.phase))
    hold_end_s = session.holds[0].end_s
    assert processor.snapshot().error is None
    assert any(phase == "hold" and stretch == "childs_pose" for _, stretch, phase in steps)
    moved = [t for t, stretch, _ in steps if stretch == ROUTINE_LOWER_BACK[1]]
    assert moved, "the routine never moved past child's pose"
    assert hold_end_s - 1.0 <= moved[0] <= hold_end_s + 5.0
    assert processor.snapshot().routine_index == 1
    # Recording went on across the step: one saved session per stretch, the first one with its hold.
    processor.stop_recording()
    sessions = {open_session(p).stretch_id: open_session(p) for p in tmp_path.iterdir()}
    assert set(sessions) == {"childs_pose", "straddle_fold"}
    first = json.loads(sessions["childs_pose"].events_path.read_text())
    assert first["stretch"] == "childs_pose" and len(first["holds"]) == 1


def test_checks_start_even_when_the_partner_stays_hidden() -> None:
    from stretches.synthetic import Scenario, simulate

    track = simulate(Scenario("standing_backbend", seed=5)).track
    client = track.role_index()["client"]
    landmarks = track.landmarks.copy()
    landmarks[:, 1 - client] = np.nan  # the partner, right behind the client, is never detected
    hidden = Track(track.t_ms, landmarks, track.image_size, None, track.roles, {})
    processor = LiveProcessor(pipeline_factory=lambda: _ReplayPipeline(hidden))
    processor.select_stretch("standing_backbend")
    blank = np.zeros((track.image_size[1], track.image_size[0], 3), np.uint8)
    phases = []
    for t_ms in hidden.t_ms[:120]:
        processor.process(blank.copy(), int(t_ms))
        phases.append(processor.snapshot().phase)
    assert processor.snapshot().error is None
    assert phases[20] == ""  # still deciding roles
    assert all(phases[40:])  # evaluating after the provisional decision
    assert processor._roles == {"client": client, "partner": 1 - client}  # the one in view is checked
    assert processor._roles_confident is False
    assert processor.snapshot().guidance[0].startswith("Only one person found")
