"""Room behind the people: a wooden floor (y = 0) with an exercise mat, a wall behind, soft contact shadows.

The room is ray-cast once per clip (the camera does not move); each frame only adds the people's shadows,
drawn in a small floor-plane map and looked up per pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from stretches.render_raster import Lighting, PinholeRays

RGB = tuple[float, float, float]
_SHADOW_MAP_CELL_M = 0.02
_SHADOW_MAP_HALF_M = 3.0


@dataclass(frozen=True)
class RoomStyle:
    """Colours (RGB 0..1) and sizes of the room; `mat` None leaves the bare floor."""

    wall: RGB = (0.82, 0.80, 0.74)
    floor: RGB = (0.62, 0.45, 0.30)
    plank_width_m: float = 0.14
    mat: RGB | None = (0.30, 0.55, 0.55)
    mat_size_m: tuple[float, float] = (2.0, 0.75)  # along the wall, toward the camera
    wall_behind_m: float = 1.6  # wall distance behind the scene centre, seen from the camera
    baseboard: RGB = (0.93, 0.93, 0.90)
    lighting: Lighting = Lighting()


class Room:
    """Per-pixel colour and ray distance of the empty room, plus the floor lookup used for shadows."""

    def __init__(self, rays: PinholeRays, style: RoomStyle, centre_m: np.ndarray, seed: int = 0) -> None:
        self.rays = rays
        self.style = style
        self.centre_m = np.asarray(centre_m, dtype=float)
        origin = rays.origin_m
        dirs = rays.dirs.astype(np.float64)
        forward = rays.forward.copy()
        forward[1] = 0.0
        if np.linalg.norm(forward) < 1e-6:  # camera straight down: put the wall along x
            forward = np.array([0.0, 0.0, -1.0])
        forward /= np.linalg.norm(forward)
        self.along_wall = np.cross(forward, [0.0, 1.0, 0.0])
        wall_point = self.centre_m + forward * style.wall_behind_m
        # Ray distances to the floor (y = 0) and to the wall plane.
        with np.errstate(divide="ignore", invalid="ignore"):
            t_floor = np.where(dirs[..., 1] < -1e-6, -origin[1] / dirs[..., 1], np.inf)
            denom = dirs @ forward
            t_wall = np.where(denom > 1e-6, ((wall_point - origin) @ forward) / denom, np.inf)
        floor_hit = origin + dirs * np.where(np.isfinite(t_floor), t_floor, 0)[..., None]
        beyond_wall = (floor_hit - wall_point) @ forward > 0
        t_floor = np.where(beyond_wall, np.inf, t_floor)
        on_floor = t_floor <= t_wall
        depth = np.minimum(t_floor, t_wall)
        depth = np.where(np.isfinite(depth), depth, 100.0)
        rng = np.random.default_rng(seed)
        colour = np.empty(dirs.shape, dtype=np.float32)
        colour[:] = np.asarray(style.wall, dtype=np.float32)
        # Wall: baseboard strip, soft vertical light gradient.
        wall_hit = origin + dirs * np.where(np.isfinite(t_wall), t_wall, 0)[..., None]
        wall_y = wall_hit[..., 1]
        colour[wall_y < 0.09] = np.asarray(style.baseboard, dtype=np.float32)
        wall_light = 0.92 + 0.08 * np.clip(wall_y / 2.5, 0, 1)
        colour *= wall_light[..., None].astype(np.float32)
        # Floor: planks along the wall, each with its own tint, thin dark seams.
        along = floor_hit @ self.along_wall
        toward = floor_hit @ forward
        plank = np.floor(toward / style.plank_width_m).astype(np.int64)
        tints = rng.uniform(0.85, 1.1, size=512)
        grain = 0.97 + 0.03 * np.sin(along * 23.0 + np.sin(toward * 7.0) * 2.0)
        floor_colour = np.asarray(style.floor)[None, None, :] * (tints[plank % 512] * grain)[..., None]
        seam = np.abs(toward / style.plank_width_m - np.round(toward / style.plank_width_m)) < 0.04
        floor_colour[seam] *= 0.6
        if style.mat is not None:
            rel = floor_hit - self.centre_m
            in_mat = (np.abs(rel @ self.along_wall) < style.mat_size_m[0] / 2) & (
                np.abs(rel @ forward) < style.mat_size_m[1] / 2)
            floor_colour[in_mat] = np.asarray(style.mat)
        colour[on_floor] = floor_colour[on_floor].astype(np.float32)
        light = style.lighting
        to_light = -np.asarray(light.key_dir, dtype=float)
        to_light /= np.linalg.norm(to_light)
        floor_lit = light.ambient + light.key_strength * max(0.0, to_light[1])
        wall_lit = light.ambient + light.key_strength * max(0.45, float(to_light @ -forward))
        lit = np.where(on_floor, floor_lit, wall_lit)
        # Light pool around the people; the room darkens toward the edges.
        dist = np.linalg.norm((np.where(on_floor[..., None], floor_hit, wall_hit) - self.centre_m), axis=-1)
        lit = lit * (1.0 - 0.25 * np.clip(dist / 5.0, 0, 1))
        self.colour = (colour * lit[..., None] * np.asarray(light.tint)).astype(np.float32)
        self.depth_m = depth.astype(np.float32)
        self.on_floor = on_floor
        # Floor-plane coordinates of every floor pixel, as shadow-map indices (for cv2.remap).
        n = int(2 * _SHADOW_MAP_HALF_M / _SHADOW_MAP_CELL_M)
        self._map_size = n
        rel = floor_hit - self.centre_m
        self._map_x = ((rel[..., 0] + _SHADOW_MAP_HALF_M) / _SHADOW_MAP_CELL_M).astype(np.float32)
        self._map_z = ((rel[..., 2] + _SHADOW_MAP_HALF_M) / _SHADOW_MAP_CELL_M).astype(np.float32)

    def shadow_factor(self, points_m: np.ndarray, radii_m: np.ndarray) -> np.ndarray:
        """float32 (H, W) multiplier <= 1: soft darkening of the floor under points near the ground."""
        n = self._map_size
        occlusion = np.zeros((n, n), dtype=np.float32)
        for point, radius in zip(points_m, radii_m, strict=True):
            height = point[1]
            if not np.isfinite(height) or height > 1.2:
                continue
            strength = float(np.clip(1.0 - height / 1.2, 0, 1)) ** 2 * 0.55
            cx = (point[0] - self.centre_m[0] + _SHADOW_MAP_HALF_M) / _SHADOW_MAP_CELL_M
            cz = (point[2] - self.centre_m[2] + _SHADOW_MAP_HALF_M) / _SHADOW_MAP_CELL_M
            rad = max(1, int((radius + 0.04 + 0.15 * height) / _SHADOW_MAP_CELL_M))
            if -rad < cx < n + rad and -rad < cz < n + rad:
                cv2.circle(occlusion, (int(cx), int(cz)), rad, strength, -1, cv2.LINE_AA)
        occlusion = cv2.GaussianBlur(occlusion, (0, 0), 4.0)
        sampled = cv2.remap(occlusion, self._map_x, self._map_z, cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        sampled = np.where(self.on_floor, np.clip(sampled, 0, 0.7), 0.0)
        return (1.0 - sampled).astype(np.float32)
