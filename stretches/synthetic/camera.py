"""A pinhole camera in scene metres (y up, floor at y = 0), and placements for side, oblique, low, high views.

Image axes follow MediaPipe and OpenCV: u right, v down, depth along the optical axis (camera frame x right,
y down, z away from the camera).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCENE_UP = np.array([0.0, 1.0, 0.0])


@dataclass(frozen=True)
class Camera:
    position_m: tuple[float, float, float]
    target_m: tuple[float, float, float]
    focal_px: float
    image_size: tuple[int, int]  # width, height in pixels

    @property
    def rotation(self) -> np.ndarray:
        """Rows: camera x (right), y (down), z (forward) in scene coordinates."""
        forward = np.asarray(self.target_m, dtype=float) - np.asarray(self.position_m, dtype=float)
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, SCENE_UP)
        if np.linalg.norm(right) < 1e-9:  # looking straight down or up: pick scene x as right
            right = np.array([1.0, 0.0, 0.0])
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        return np.stack([right, down, forward])

    def to_camera(self, points_m: np.ndarray) -> np.ndarray:
        """Scene points (...,3) → camera-frame points (...,3): x right, y down, z depth."""
        points = np.asarray(points_m, dtype=float) - np.asarray(self.position_m, dtype=float)
        return points @ self.rotation.T

    def project(self, points_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scene points (...,3) → pixel coordinates (...,2) and depth in metres (...)."""
        cam = self.to_camera(points_m)
        depth = cam[..., 2]
        width, height = self.image_size
        with np.errstate(invalid="ignore", divide="ignore"):
            u = self.focal_px * cam[..., 0] / depth + width / 2.0
            v = self.focal_px * cam[..., 1] / depth + height / 2.0
        return np.stack([u, v], axis=-1), depth

    @property
    def horizontal_fov_deg(self) -> float:
        return float(np.degrees(2 * np.arctan(self.image_size[0] / (2 * self.focal_px))))


# Camera heights: "low" ≈ hip height of a person lying down (the spec's floor-stretch view), "mid" ≈ chest
# height of a seated or kneeling person, "high" ≈ a tripod at standing eye level looking down.
CAMERA_HEIGHTS_M: dict[str, float] = {"low": 0.35, "mid": 0.9, "high": 1.7}
BACKOFF = 1.06  # camera distance beyond the tightest fit


def place_camera(
    points_m: np.ndarray,
    azimuth_deg: float = 0.0,
    height: str | float = "mid",
    image_size: tuple[int, int] = (640, 480),
    horizontal_fov_deg: float = 62.0,
    margin_frac: float = 0.08,
) -> Camera:
    """A camera on the scene's +z side that keeps every point in `points_m` (..., 3) inside the frame.

    azimuth 0 = a pure side view perpendicular to the client's long axis (scene x); ±30 = oblique. The camera
    looks at the centre of the points' bounding box and backs away until all points fit with a margin.
    """
    pts = np.asarray(points_m, dtype=float)
    if pts.ndim > 2 and pts.shape[0] > 120:  # frames first: a spread-out subset of frames bounds the motion
        pts = pts[np.linspace(0, pts.shape[0] - 1, 120).astype(int)]
    pts = pts.reshape(-1, 3)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre = (lo + hi) / 2.0
    cam_height = CAMERA_HEIGHTS_M[height] if isinstance(height, str) else float(height)
    width, img_h = image_size
    focal = width / (2 * np.tan(np.radians(horizontal_fov_deg) / 2))
    az = np.radians(azimuth_deg)
    direction = np.array([np.sin(az), 0.0, np.cos(az)])  # from the scene centre toward the camera

    def at(distance: float) -> Camera:
        position = centre + direction * distance
        position[1] = cam_height
        return Camera(
            tuple(float(v) for v in position),
            tuple(float(v) for v in centre),
            float(focal),
            (int(width), int(img_h)),
        )

    def fits(camera: Camera) -> bool:
        uv, depth = camera.project(pts)
        return bool(
            np.all(depth > 0.3)
            and np.all(uv[:, 0] >= margin_frac * width)
            and np.all(uv[:, 0] <= (1 - margin_frac) * width)
            and np.all(uv[:, 1] >= margin_frac * img_h)
            and np.all(uv[:, 1] <= (1 - margin_frac) * img_h)
        )

    near, far = 0.5, 1.0
    while not fits(at(far)) and far < 100.0:
        near, far = far, far * 1.5
    for _ in range(25):  # the closest distance that still fits everything
        mid = (near + far) / 2
        near, far = (near, mid) if fits(at(mid)) else (mid, far)
    # A little breathing room: a pose detector needs some context around people who fill the frame.
    return at(far * BACKOFF)
