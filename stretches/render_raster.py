"""Ray-cast, z-buffered drawing of capsules and spheres: true depth order and shading without a 3D library.

The renderer only needs a camera's `.project` and `.image_size`; `PinholeRays` recovers the 3x4 projection
matrix from `.project` (direct linear transform), so it works with any pinhole camera of the same contract.
Each primitive is intersected with the per-pixel rays inside its screen bounding box only, which keeps a
640x480 frame of two people at a few tens of milliseconds on one core.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


class ProjectingCamera(Protocol):
    image_size: tuple[int, int]

    def project(self, points_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class Primitive:
    """A capsule from `a_m` to `b_m` (a sphere when they coincide) with a flat albedo (RGB, 0..1).

    With `radius_b_m` set, the radius changes linearly from `radius_m` at `a_m` to `radius_b_m` at `b_m`
    (a round cone: the convex hull of the two end spheres), which gives limbs a smooth taper.

    `material` names special shading: "" plain, "head" (hair cap from `frame`), "eye" (iris toward `frame`).
    """

    a_m: np.ndarray
    b_m: np.ndarray
    radius_m: float
    albedo: tuple[float, float, float]
    material: str = ""
    frame: tuple[np.ndarray, ...] = ()  # for "head": (face_dir, up_dir); hair albedo in `extra`
    extra: tuple[float, ...] = ()
    radius_b_m: float | None = None


class PinholeRays:
    """Per-pixel world rays of a camera, recovered from its `.project` (pinhole, no distortion)."""

    def __init__(self, camera: ProjectingCamera, around_m: np.ndarray | None = None) -> None:
        width, height = (int(v) for v in camera.image_size)
        self.width, self.height = width, height
        centre = np.zeros(3) if around_m is None else np.asarray(around_m, dtype=float)
        grid = np.array([[x, y, z] for x in (-1.0, 1.0) for y in (0.0, 1.5) for z in (-1.0, 1.0)])
        grid = np.vstack([grid, [[0.3, 0.7, 0.2], [-0.4, 1.1, -0.3], [0.2, 0.2, 0.6], [0.0, 0.9, 0.0]]])
        points = grid + centre
        uv, depth = camera.project(points)
        projection = _fit_projection(points, np.asarray(uv, dtype=float))
        # The fit is defined up to sign: make the homogeneous w positive for points the camera sees.
        seen = np.asarray(depth) > 0
        w = np.concatenate([points, np.ones((len(points), 1))], axis=1) @ projection[2]
        if np.sum(w[seen] > 0) < np.sum(seen) / 2:
            projection = -projection
        self.projection = projection
        m = projection[:, :3]
        self.m_inv = np.linalg.inv(m)
        self.origin_m = -self.m_inv @ projection[:, 3]
        row2 = projection[2, :3]
        self.forward = row2 / np.linalg.norm(row2)
        self.focal_px = float(np.linalg.norm(np.cross(projection[0, :3], row2)) / (row2 @ row2))
        us, vs = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
        pix = np.stack([us, vs, np.ones_like(us)], axis=-1)
        dirs = pix @ self.m_inv.T
        dirs /= np.linalg.norm(dirs, axis=-1, keepdims=True)
        self.dirs = dirs.astype(np.float32)

    def project(self, points_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(uv px, depth m along the optical axis), from the fitted matrix."""
        pts = np.asarray(points_m, dtype=float)
        depth = (pts - self.origin_m) @ self.forward
        hom = np.concatenate([pts, np.ones(pts.shape[:-1] + (1,))], axis=-1) @ self.projection.T
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = hom[..., :2] / hom[..., 2:3]
        return uv, depth


def _fit_projection(points: np.ndarray, uv: np.ndarray) -> np.ndarray:
    rows = []
    for (x, y, z), (u, v) in zip(points, uv, strict=True):
        p = [x, y, z, 1.0]
        rows.append([*p, 0, 0, 0, 0, *(-u * np.array(p))])
        rows.append([0, 0, 0, 0, *p, *(-v * np.array(p))])
    _, _, vt = np.linalg.svd(np.asarray(rows))
    return vt[-1].reshape(3, 4)


@dataclass(frozen=True)
class Lighting:
    """A key light (direction the light travels, world), its strength, ambient light and a colour tint."""

    key_dir: tuple[float, float, float] = (0.4, -1.0, -0.5)
    key_strength: float = 0.75
    ambient: float = 0.38
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)


class ZBuffer:
    """Colour and depth (ray distance, metres) of one frame; primitives are drawn in any order."""

    def __init__(self, rays: PinholeRays, colour: np.ndarray, depth_m: np.ndarray,
                 lighting: Lighting) -> None:
        self.rays = rays
        self.colour = colour.astype(np.float32, copy=True)
        self.depth_m = depth_m.astype(np.float32, copy=True)
        to_light = -np.asarray(lighting.key_dir, dtype=np.float32)
        self.to_light = to_light / np.linalg.norm(to_light)
        self.lighting = lighting
        self.tint = np.asarray(lighting.tint, dtype=np.float32)

    def draw(self, prim: Primitive) -> None:
        box = self._screen_box(prim)
        if box is None:
            return
        x0, x1, y0, y1 = box
        dirs = self.rays.dirs[y0:y1, x0:x1].reshape(-1, 3)
        origin = self.rays.origin_m.astype(np.float32)
        t, normal = _intersect(origin, dirs, prim)
        depth_view = self.depth_m[y0:y1, x0:x1].reshape(-1)
        hit = np.isfinite(t) & (t < depth_view) & (t > 0.05)
        if not hit.any():
            return
        idx = np.nonzero(hit)[0]
        n = normal[idx]
        albedo = self._albedo(prim, n, idx.size)
        view = -dirs[idx]
        diffuse = np.clip(n @ self.to_light, 0.0, None)
        half = self.to_light + view
        half /= np.linalg.norm(half, axis=-1, keepdims=True)
        spec = np.clip((n * half).sum(-1), 0.0, None) ** 24 * 0.12
        rim = np.clip(1.0 - (n * view).sum(-1), 0.0, 1.0) ** 3 * 0.08
        light = self.lighting.ambient + self.lighting.key_strength * diffuse
        shaded = albedo * light[:, None] * self.tint + (spec + rim)[:, None]
        colour_view = self.colour[y0:y1, x0:x1].reshape(-1, 3)
        colour_view[idx] = shaded
        depth_view[idx] = t[idx]
        self.colour[y0:y1, x0:x1] = colour_view.reshape(y1 - y0, x1 - x0, 3)
        self.depth_m[y0:y1, x0:x1] = depth_view.reshape(y1 - y0, x1 - x0)

    def _screen_box(self, prim: Primitive) -> tuple[int, int, int, int] | None:
        ends = np.stack([prim.a_m, prim.b_m])
        uv, depth = self.rays.project(ends)
        if np.any(depth < 0.1) or not np.all(np.isfinite(uv)):
            return None
        pad = self.rays.focal_px * prim.radius_m / depth.min() * 1.15 + 2
        x0 = int(max(0, np.floor(uv[:, 0].min() - pad)))
        x1 = int(min(self.rays.width, np.ceil(uv[:, 0].max() + pad)))
        y0 = int(max(0, np.floor(uv[:, 1].min() - pad)))
        y1 = int(min(self.rays.height, np.ceil(uv[:, 1].max() + pad)))
        if x1 <= x0 or y1 <= y0:
            return None
        return x0, x1, y0, y1

    @staticmethod
    def _albedo(prim: Primitive, normal: np.ndarray, count: int) -> np.ndarray:
        base = np.broadcast_to(np.asarray(prim.albedo, dtype=np.float32), (count, 3)).copy()
        if prim.material == "head" and prim.frame:
            face_dir, up_dir = prim.frame
            hair = np.asarray(prim.extra[:3], dtype=np.float32)
            hairline = prim.extra[3] if len(prim.extra) > 3 else 0.45
            facing = normal @ face_dir.astype(np.float32)
            upness = normal @ up_dir.astype(np.float32)
            is_hair = (facing < -0.15) | (upness > hairline - 0.25 * np.clip(facing, 0, 1))
            base[is_hair] = hair
        elif prim.material == "eye" and prim.frame:
            (look_dir,) = prim.frame[:1]
            iris = np.asarray(prim.extra[:3], dtype=np.float32)
            facing = normal @ look_dir.astype(np.float32)
            base[facing > 0.75] = iris
            base[facing > 0.92] = (0.03, 0.03, 0.03)
        return base


def _intersect(origin: np.ndarray, dirs: np.ndarray, prim: Primitive) -> tuple[np.ndarray, np.ndarray]:
    """Ray distance (inf on a miss) and unit surface normal per ray (normals only where a ray hits)."""
    a = prim.a_m.astype(np.float32)
    b = prim.b_m.astype(np.float32)
    ra = float(prim.radius_m)
    rb = ra if prim.radius_b_m is None else float(prim.radius_b_m)
    ba = b - a
    if float(ba @ ba) < 1e-10:
        t, region = _sphere(origin, dirs, a, ra), None
    else:
        t, region = _round_cone(origin, dirs, a, b, ra, rb)
    normal = np.zeros_like(dirs)
    hit = np.nonzero(np.isfinite(t))[0]
    if hit.size == 0:
        return t, normal
    points = origin + dirs[hit] * t[hit, None]
    if region is None:
        normal[hit] = _unit(points - a)
        return t, normal
    length = float(np.sqrt(ba @ ba))
    axis = ba / length
    reg = region[hit]
    along = (points - a) @ axis
    radial = _unit(points - a - along[:, None] * axis)
    sin_slope = (ra - rb) / length
    side_normal = radial * np.sqrt(max(0.0, 1 - sin_slope**2)) + sin_slope * axis
    normal_hit = np.where((reg == 0)[:, None], side_normal,
                          np.where((reg == 1)[:, None], _unit(points - a), _unit(points - b)))
    normal[hit] = normal_hit
    return t, normal


def _round_cone(origin: np.ndarray, dirs: np.ndarray, a: np.ndarray, b: np.ndarray, ra: float,
                rb: float) -> tuple[np.ndarray, np.ndarray]:
    """Ray against the convex hull of sphere (a, ra) and sphere (b, rb) (a capsule when ra == rb).

    Returns the ray distance (inf on a miss) and which part was hit: 0 side, 1 sphere a, 2 sphere b.
    """
    ba = b - a
    oa = origin - a
    rr = ra - rb
    m0 = float(ba @ ba)
    m1 = float(ba @ oa)
    m2 = dirs @ ba
    m3 = dirs @ oa
    m5 = float(oa @ oa)
    d2 = m0 - rr * rr
    k2 = d2 - m2 * m2
    k1 = d2 * m3 - m1 * m2 + m2 * rr * ra
    k0 = d2 * m5 - m1 * m1 + m1 * rr * ra * 2.0 - m0 * ra * ra
    h = k1 * k1 - k0 * k2
    t = np.full(dirs.shape[0], np.inf, dtype=np.float32)
    region = np.zeros(dirs.shape[0], dtype=np.int8)
    ok = h >= 0
    if not ok.any():
        return t, region
    with np.errstate(divide="ignore", invalid="ignore"):
        t_side = (-np.sqrt(np.where(ok, h, 0)) - k1) / k2
    y = m1 - ra * rr + t_side * m2
    side = ok & (y > 0) & (y < d2) & (np.abs(k2) > 1e-12)
    t[side] = t_side[side]
    rest = np.nonzero(ok & ~side)[0]
    if rest.size:
        for code, (centre, radius) in ((1, (a, ra)), (2, (b, rb))):
            tc = _sphere(origin, dirs[rest], centre, radius)
            better = tc < t[rest]
            t[rest[better]] = tc[better]
            region[rest[better]] = code
    return t, region


def _sphere(origin: np.ndarray, dirs: np.ndarray, centre: np.ndarray, r: float) -> np.ndarray:
    """Ray distance to a sphere, inf on a miss."""
    oc = origin - centre
    b = dirs @ oc
    c = float(oc @ oc) - r * r
    h = b * b - c
    t = np.full(dirs.shape[0], np.inf, dtype=np.float32)
    ok = h >= 0
    t[ok] = -b[ok] - np.sqrt(h[ok])
    return t


def _unit(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(norm, 1e-9)
