"""Turns the 3D motion of two people into video frames, independent of how the motion was made.

Input: per-frame scene landmarks (F, 2, 33, 3) in metres (y up, floor y = 0), a camera with `.project` and
`.image_size`, and a `RenderStyle` (clothes, skin, hair, build, room, light). Output: BGR uint8 frames.
`stretches.render_clip` writes a clip and its ground truth; `stretches.samples` builds the sample set.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from stretches.render_backdrop import Room, RoomStyle
from stretches.render_body import PersonStyle, figure_primitives
from stretches.render_raster import Lighting, PinholeRays, ProjectingCamera, ZBuffer

SKIN_TONES = ((0.96, 0.80, 0.69), (0.87, 0.68, 0.55), (0.76, 0.57, 0.42), (0.60, 0.42, 0.29),
              (0.45, 0.30, 0.20), (0.33, 0.22, 0.15))
HAIR_COLOURS = ((0.08, 0.06, 0.05), (0.22, 0.14, 0.08), (0.45, 0.30, 0.15), (0.75, 0.62, 0.40),
                (0.55, 0.25, 0.12), (0.55, 0.55, 0.55))
CLOTHING_COLOURS = ((0.80, 0.15, 0.15), (0.15, 0.35, 0.80), (0.15, 0.60, 0.30), (0.95, 0.70, 0.10),
                    (0.55, 0.20, 0.60), (0.95, 0.45, 0.15), (0.10, 0.55, 0.65), (0.90, 0.90, 0.88),
                    (0.25, 0.25, 0.28), (0.85, 0.35, 0.55))
TROUSER_COLOURS = ((0.12, 0.12, 0.15), (0.18, 0.22, 0.40), (0.35, 0.35, 0.38), (0.40, 0.30, 0.20),
                   (0.15, 0.30, 0.25), (0.55, 0.10, 0.15))
WALL_COLOURS = ((0.85, 0.83, 0.78), (0.75, 0.80, 0.84), (0.86, 0.80, 0.70), (0.70, 0.75, 0.68),
                (0.90, 0.90, 0.90), (0.62, 0.60, 0.58))
FLOOR_COLOURS = ((0.62, 0.45, 0.30), (0.75, 0.60, 0.42), (0.45, 0.32, 0.22), (0.55, 0.55, 0.52))
MAT_COLOURS = ((0.30, 0.55, 0.55), (0.55, 0.30, 0.50), (0.25, 0.30, 0.55), (0.40, 0.55, 0.25), None)


@dataclass(frozen=True)
class RenderStyle:
    """Looks of one clip: the two people (person axis order of the motion), the room and sensor noise."""

    people: tuple[PersonStyle, PersonStyle] = (PersonStyle(), PersonStyle(shirt=(0.80, 0.15, 0.15)))
    room: RoomStyle = field(default_factory=RoomStyle)
    noise_sigma: float = 2.0  # grey levels of sensor noise
    blur_sigma_px: float = 0.6  # lens softness, also hides the ray-cast staircase on edges


def random_style(seed: int) -> RenderStyle:
    """A plausible, varied look; the two people always wear clearly different shirts."""
    rng = np.random.default_rng(seed)

    def pick(options: tuple, exclude: tuple = ()) -> tuple:
        choices = [o for o in options if o not in exclude]
        return choices[int(rng.integers(len(choices)))]

    people: list[PersonStyle] = []
    used_shirts: list[tuple] = []
    for _ in range(2):
        shirt = pick(CLOTHING_COLOURS, tuple(used_shirts))
        used_shirts.append(shirt)
        people.append(PersonStyle(
            skin=pick(SKIN_TONES),
            hair=pick(HAIR_COLOURS),
            shirt=shirt,
            trousers=pick(TROUSER_COLOURS),
            shoes=pick(((0.9, 0.9, 0.9), (0.15, 0.15, 0.15), (0.5, 0.2, 0.2), (0.85, 0.75, 0.65))),
            long_sleeves=bool(rng.random() < 0.4),
            shorts=bool(rng.random() < 0.25),
            long_hair=bool(rng.random() < 0.4),
            build=float(rng.uniform(0.9, 1.15)),
        ))
    key = np.array([rng.uniform(-0.8, 0.8), -1.0, rng.uniform(-0.9, -0.2)])
    lighting = Lighting(
        key_dir=tuple(float(v) for v in key / np.linalg.norm(key)),
        key_strength=float(rng.uniform(0.55, 0.85)),
        ambient=float(rng.uniform(0.30, 0.45)),
        tint=tuple(float(v) for v in 1.0 + rng.uniform(-0.06, 0.06) * np.array([1.0, 0.0, -1.0])),
    )
    room = RoomStyle(
        wall=pick(WALL_COLOURS),
        floor=pick(FLOOR_COLOURS),
        plank_width_m=float(rng.uniform(0.10, 0.20)),
        mat=pick(MAT_COLOURS),
        wall_behind_m=float(rng.uniform(1.2, 2.5)),
        lighting=lighting,
    )
    return RenderStyle(people=(people[0], people[1]), room=room, noise_sigma=float(rng.uniform(1.0, 3.0)))


class Renderer:
    """Draws frames of two people for one camera and style; the empty room is computed once."""

    def __init__(self, camera: ProjectingCamera, style: RenderStyle, centre_m: np.ndarray, seed: int = 0,
                 pixel_scale: float = 1.0) -> None:
        """`pixel_scale` < 1 ray-casts a smaller image and scales it up to the camera's size: the cost falls
        with the square of the scale (0.5 = 4x fewer rays) at the price of softer detail."""
        self.camera = camera
        self.style = style
        self.output_size = tuple(int(v) for v in camera.image_size)
        self.pixel_scale = float(pixel_scale)
        cast_camera = camera if self.pixel_scale == 1.0 else _ScaledCamera(camera, self.pixel_scale)
        self.rays = PinholeRays(cast_camera, around_m=centre_m)
        self.room = Room(self.rays, style.room, centre_m, seed=seed)
        rng = np.random.default_rng(seed + 7919)
        width, height = self.output_size
        # A few frames of sensor noise, cycled: drawing fresh noise per frame costs more than the people.
        self._noise = [rng.normal(0.0, style.noise_sigma, size=(height, width, 1)).astype(np.float32)
                       for _ in range(4)] if style.noise_sigma > 0 else []
        self._frame_index = 0

    def frame(self, joints_m: np.ndarray) -> np.ndarray:
        """BGR uint8 (H, W, 3) for landmarks (P, 33, 3) of P people (NaN rows are not drawn)."""
        prims = []
        for person, joints in enumerate(np.asarray(joints_m, dtype=float)):
            prims += figure_primitives(joints, self.style.people[person % len(self.style.people)])
        shadow = self.room.shadow_factor(
            np.array([(p.a_m + p.b_m) / 2 for p in prims]).reshape(-1, 3),
            np.array([p.radius_m for p in prims]),
        )
        buffer = ZBuffer(self.rays, self.room.colour * shadow[..., None], self.room.depth_m,
                         self.style.room.lighting)
        for prim in prims:
            buffer.draw(prim)
        return self._finish(buffer.colour)

    def _finish(self, colour_rgb: np.ndarray) -> np.ndarray:
        import cv2

        image = np.clip(colour_rgb, 0.0, 1.0) * 255.0
        if self.style.blur_sigma_px > 0:
            image = cv2.GaussianBlur(image, (0, 0), self.style.blur_sigma_px)
        if image.shape[1::-1] != self.output_size:
            image = cv2.resize(image, self.output_size, interpolation=cv2.INTER_LINEAR)
        if self._noise:
            image = image + self._noise[self._frame_index % len(self._noise)]
        self._frame_index += 1
        return np.ascontiguousarray(np.clip(image, 0, 255).astype(np.uint8)[..., ::-1])


def default_pixel_scale(image_size: tuple[int, int]) -> float:
    """Ray-cast at 360 lines at most (480p at 0.75, 720p at 0.5): what the clips and benchmarks use, a third
    to three quarters of the cost of full resolution, still finer than the pose model's 256-pixel input."""
    return float(min(1.0, 360.0 / image_size[1]))


class _ScaledCamera:
    """A camera whose image is `scale` times the size of another's (same view)."""

    def __init__(self, camera: ProjectingCamera, scale: float) -> None:
        self._camera = camera
        self._scale = scale
        width, height = camera.image_size
        self.image_size = (max(1, round(width * scale)), max(1, round(height * scale)))

    def project(self, points_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        uv, depth = self._camera.project(points_m)
        # Pixel centres: output pixel i spans [i, i+1), so scale about the corner of the image.
        return (np.asarray(uv) + 0.5) * self._scale - 0.5, depth


def scene_centre(scene_joints_m: np.ndarray) -> np.ndarray:
    """Mean landmark position over the whole clip, on the floor: where the room's mat and light go."""
    centre = np.nanmean(np.asarray(scene_joints_m, dtype=float).reshape(-1, 3), axis=0)
    centre[1] = 0.0
    return centre


def render_frames(scene_joints_m: np.ndarray, camera: ProjectingCamera, style: RenderStyle,
                  seed: int = 0, pixel_scale: float = 1.0) -> Iterator[np.ndarray]:
    """BGR frames for scene landmarks (F, P, 33, 3); deterministic for the same inputs and seed."""
    joints = np.asarray(scene_joints_m, dtype=float)
    renderer = Renderer(camera, style, scene_centre(joints), seed=seed, pixel_scale=pixel_scale)
    for frame_joints in joints:
        yield renderer.frame(frame_joints)
