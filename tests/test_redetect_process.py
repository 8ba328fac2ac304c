"""Re-detection in a second process gives exactly the in-process result, one frame later."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from tests.conftest import write_clip
from vision.estimator import EstimatorSettings
from vision.pipeline import PoseFramePipeline, track_video

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
CLIP_FRAMES = 150


@pytest.fixture(scope="module")
def overlap_clip(tmp_path_factory) -> Path:
    """The start of a rendered supine twist: the partner is often lost and re-detected."""
    out = tmp_path_factory.mktemp("clip") / "supine_twist_start.mp4"
    return write_clip(SAMPLES / "supine_twist_good.mp4", out, CLIP_FRAMES, 640, 480)


def test_pipelined_tracking_equals_in_process_tracking(overlap_clip, model_path):
    in_process = track_video(overlap_clip, model_path=model_path, pipelined=False)
    pipelined = track_video(overlap_clip, model_path=model_path)  # the default
    assert pipelined.num_frames == in_process.num_frames == CLIP_FRAMES
    assert in_process.meta["redetected_poses"] > 10  # the second process really had work to do
    assert pipelined.meta == in_process.meta
    assert np.array_equal(pipelined.t_ms, in_process.t_ms)
    assert np.array_equal(pipelined.landmarks, in_process.landmarks, equal_nan=True)
    assert np.array_equal(pipelined.world, in_process.world, equal_nan=True)


def test_pipelined_feed_returns_each_frame_once_in_order(overlap_clip, model_path):
    pipeline = PoseFramePipeline(model_path, pipelined=True)
    times = []
    try:
        with av.open(str(overlap_clip)) as source:
            for index, frame in enumerate(source.decode(video=0)):
                if index == 20:
                    break
                done = pipeline.feed(frame.to_ndarray(format="bgr24"), index * 33)
                times += [poses.t_ms for poses in done]
        times += [poses.t_ms for poses in pipeline.flush()]
    finally:
        pipeline.close()
    assert times == [index * 33 for index in range(20)]


def test_pair_strategy_stays_in_process(model_path):
    """"pair" masks the re-detected person in the next main pass, so it cannot run a frame behind."""
    pipeline = PoseFramePipeline(model_path, EstimatorSettings(strategy="pair"), pipelined=True)
    try:
        assert pipeline.estimator is not None
        frame = np.full((480, 640, 3), 128, dtype=np.uint8)
        assert len(pipeline.feed(frame, 0)) == 1
    finally:
        pipeline.close()
