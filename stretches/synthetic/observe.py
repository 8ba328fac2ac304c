"""The sensor model: what a pose estimator would report for scene landmarks seen by a camera.

Normalised image landmarks (x = u / width, y = v / height, z ≈ depth relative to the hips in x's scale,
visibility), MediaPipe-style world landmarks (metres, origin at the hip midpoint, camera-aligned axes x right,
y down, z away), with the estimator's imperfections: jitter, slow drift, lower confidence on the far side of a
body seen from the side, hidden landmarks and dropped frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stretches.synthetic.camera import Camera
from vision.landmarks import Landmark as L

# Left/right landmark pairs; the one further from the camera is (partly) hidden behind the body.
PAIRS: tuple[tuple[int, int], ...] = (
    (L.LEFT_EYE_INNER, L.RIGHT_EYE_INNER), (L.LEFT_EYE, L.RIGHT_EYE), (L.LEFT_EYE_OUTER, L.RIGHT_EYE_OUTER),
    (L.LEFT_EAR, L.RIGHT_EAR), (L.MOUTH_LEFT, L.MOUTH_RIGHT), (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
    (L.LEFT_ELBOW, L.RIGHT_ELBOW), (L.LEFT_WRIST, L.RIGHT_WRIST), (L.LEFT_PINKY, L.RIGHT_PINKY),
    (L.LEFT_INDEX, L.RIGHT_INDEX), (L.LEFT_THUMB, L.RIGHT_THUMB), (L.LEFT_HIP, L.RIGHT_HIP),
    (L.LEFT_KNEE, L.RIGHT_KNEE), (L.LEFT_ANKLE, L.RIGHT_ANKLE), (L.LEFT_HEEL, L.RIGHT_HEEL),
    (L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX),
)

VISIBLE_LEVEL = 0.97  # a clearly seen landmark
FAR_SIDE_DROP = 0.25  # far-side landmarks fall to about 0.72: lower, but still above a 0.5 gate
FAR_SIDE_DEPTH_M = 0.08  # depth behind its partner point at which the far-side drop is complete
HIDDEN_RANGE = (0.03, 0.25)  # visibility of a hidden (occluded / out of view) landmark
OUT_OF_FRAME_LEVEL = 0.1


@dataclass(frozen=True)
class SensorNoise:
    jitter_frac: float = 0.01  # σ of frame-to-frame landmark noise, fraction of image width / height
    drift_frac: float = 0.0  # σ of slowly wandering error (correlation time drift_tau_s), same unit
    drift_tau_s: float = 0.5
    drop_rate: float = 0.0  # fraction of frames in which a person is not detected at all
    drop_burst_frames: float = 3.0  # mean length of a detection gap
    lr_swap_rate: float = 0.0  # fraction of frames in which a person's left and right labels are swapped
    #                            (a known side-view estimator failure), in bursts like the drops


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], frames_tau: float) -> np.ndarray:
    """Unit-variance first-order autoregressive noise along axis 0 (correlation time in frames)."""
    a = float(np.exp(-1.0 / max(frames_tau, 1e-6)))
    out = np.empty(shape)
    out[0] = rng.standard_normal(shape[1:])
    innovation = rng.standard_normal(shape) * np.sqrt(1 - a * a)
    for i in range(1, shape[0]):
        out[i] = a * out[i - 1] + innovation[i]
    return out


def drop_mask(rng: np.random.Generator, frames: int, people: int, rate: float, burst: float) -> np.ndarray:
    """bool (F, P): True where a person is missed; gaps come in bursts of mean length `burst` frames."""
    mask = np.zeros((frames, people), dtype=bool)
    if rate <= 0:
        return mask
    start_p = rate / max(burst, 1.0) / max(1e-9, 1 - rate)
    for p in range(people):
        i = 0
        while i < frames:
            if rng.random() < start_p:
                length = int(rng.geometric(1.0 / max(burst, 1.0)))
                mask[i : i + length, p] = True
                i += length
            else:
                i += 1
    return mask


def observe(
    scene: np.ndarray,
    camera: Camera,
    fps: float,
    noise: SensorNoise,
    hidden: np.ndarray,
    rng: np.random.Generator,
    person_heights_m: tuple[float, ...] = (1.72, 1.72),
) -> tuple[np.ndarray, np.ndarray]:
    """landmarks float32 (F,P,33,4) and world float32 (F,P,33,3) for scene landmarks (F,P,33,3).

    `hidden` bool (F,P,33) marks landmarks the estimator cannot see (low visibility, extra noise).
    """
    frames, people = scene.shape[:2]
    width, height = camera.image_size
    uv, depth = camera.project(scene)
    cam = camera.to_camera(scene)
    hip_mid_cam = (cam[:, :, L.LEFT_HIP] + cam[:, :, L.RIGHT_HIP]) / 2  # (F,P,3)
    hip_depth = hip_mid_cam[..., 2]

    # Visibility: clear for the near side, lower for the far side of each left/right pair.
    vis = np.full((frames, people, 33), VISIBLE_LEVEL)
    for left, right in PAIRS:
        mid = (depth[:, :, left] + depth[:, :, right]) / 2
        for idx in (left, right):
            behind = np.clip((depth[:, :, idx] - mid) / FAR_SIDE_DEPTH_M, 0.0, 1.0)
            vis[:, :, idx] -= FAR_SIDE_DROP * behind
    vis += rng.normal(0.0, 0.015, vis.shape)
    x = uv[..., 0] / width
    y = uv[..., 1] / height
    outside = (x < 0) | (x > 1) | (y < 0) | (y > 1) | (depth <= 0)
    vis = np.where(outside, OUT_OF_FRAME_LEVEL, vis)
    hidden_vis = rng.uniform(*HIDDEN_RANGE, size=vis.shape)
    vis = np.where(hidden, hidden_vis, vis)
    vis = np.clip(vis, 0.0, 1.0)

    # Position noise in normalised units: white jitter plus optional slow drift; hidden points wander more.
    shape = (frames, people, 33, 2)
    err = rng.normal(0.0, noise.jitter_frac, shape)
    if noise.drift_frac > 0:
        err += noise.drift_frac * _ar1(rng, shape, noise.drift_tau_s * fps)
    err = np.where(hidden[..., None], err * 3.0, err)
    x_obs = x + err[..., 0]
    y_obs = y + err[..., 1]
    # MediaPipe z: depth relative to the hips, roughly in the scale of x.
    scale = camera.focal_px / (np.maximum(hip_depth, 1e-3) * width)  # (F,P): normalised x per metre
    z_obs = (depth - hip_depth[..., None]) * scale[..., None]
    z_obs = z_obs + rng.normal(0.0, 2 * noise.jitter_frac, z_obs.shape)

    landmarks = np.stack([x_obs, y_obs, z_obs, vis], axis=-1)

    # World landmarks: metres about the hip midpoint in camera axes. The estimator regresses them at the
    # person's own scale, so their noise is the same fraction of body height (depth 1.5x worse).
    world = cam - hip_mid_cam[:, :, None, :]
    scale_m = np.asarray(person_heights_m, dtype=float)[None, :, None, None]
    world_err = rng.normal(0.0, 1.0, world.shape) * noise.jitter_frac * scale_m
    world_err[..., 2] *= 1.5
    if noise.drift_frac > 0:
        world_err += noise.drift_frac * scale_m * _ar1(rng, world.shape, noise.drift_tau_s * fps)
    world = world + np.where(hidden[..., None], world_err * 3.0, world_err)

    if noise.lr_swap_rate > 0:
        swapped = drop_mask(rng, frames, people, noise.lr_swap_rate, noise.drop_burst_frames)
        for left, right in PAIRS:
            for arr in (landmarks, world):
                a = arr[:, :, left].copy()
                arr[:, :, left] = np.where(swapped[..., None], arr[:, :, right], a)
                arr[:, :, right] = np.where(swapped[..., None], a, arr[:, :, right])
    dropped = drop_mask(rng, frames, people, noise.drop_rate, noise.drop_burst_frames)
    landmarks[dropped] = np.nan
    world[dropped] = np.nan
    return landmarks.astype(np.float32), world.astype(np.float32)
