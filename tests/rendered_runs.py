"""Run the pose pipeline over part of a rendered sample and score it against the sample's ground truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.accuracy import frames_on_right_bodies
from vision.estimator import EstimatorSettings
from vision.pipeline import MIN_RUN_FRAMES, PoseFramePipeline
from vision.tracking import drop_short_runs

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


def people_found(clip_name: str, settings: EstimatorSettings, model_path, first: int, frames: int
                 ) -> tuple[float, float]:
    """(fraction of frames with both people tracked, fraction with both on the right bodies, scored as
    benchmarks/accuracy.py scores them)."""
    import av

    clip = SAMPLES / f"{clip_name}.mp4"
    with np.load(clip.with_name(f"{clip_name}.truth.npz")) as data:
        truth = data["joints_2d"][first:first + frames]
    pipeline = PoseFramePipeline(model_path, settings)
    landmarks = []
    try:
        with av.open(str(clip)) as source:
            for index, frame in enumerate(source.decode(video=0)):
                if index >= first + frames:
                    break
                if index >= first:
                    image = frame.to_ndarray(format="bgr24")
                    landmarks.append(pipeline.process(image, int(round(frame.time * 1000))).landmarks)
    finally:
        pipeline.close()
    cleaned, _ = drop_short_runs(np.stack(landmarks), None, MIN_RUN_FRAMES)
    height, width = image.shape[:2]
    both = ~np.isnan(cleaned[..., 0]).all(axis=-1).any(axis=-1)
    return float(both.mean()), frames_on_right_bodies(cleaned, (width, height), truth) / len(cleaned)
