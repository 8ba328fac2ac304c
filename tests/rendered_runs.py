"""Run the pose pipeline over part of a rendered sample and score it against the sample's ground truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vision.estimator import EstimatorSettings
from vision.pipeline import MIN_RUN_FRAMES, PoseFramePipeline
from vision.tracking import drop_short_runs

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
RIGHT_BODY_MAX_ERROR = 0.2  # as benchmarks/accuracy.py: mean landmark error × the true body's size


def people_found(clip_name: str, settings: EstimatorSettings, model_path, first: int, frames: int
                 ) -> tuple[float, float]:
    """(fraction of frames with both people tracked, fraction with both on the right bodies)."""
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
    xy = cleaned[..., :2] * np.array([width, height], dtype=np.float32)
    both = ~np.isnan(xy[..., 0]).all(axis=-1).any(axis=-1)
    right = 0
    for f in np.flatnonzero(both):
        size = [float(np.hypot(*np.ptp(truth[f, q], axis=0))) for q in range(2)]
        error = [[float(np.nanmean(np.linalg.norm(xy[f, p] - truth[f, q], axis=-1))) / size[q]
                  for q in range(2)] for p in range(2)]
        right += min(max(error[0][0], error[1][1]), max(error[0][1], error[1][0])) < RIGHT_BODY_MAX_ERROR
    return float(both.mean()), right / len(xy)
