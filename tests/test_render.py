"""Renderer behaviour: deterministic frames, sizes and fps, depth order, truth files that match the clip, and
real MediaPipe finding both rendered people (lying, kneeling, seated, standing)."""

from __future__ import annotations

import av
import numpy as np
import pytest

from stretches.render import (
    Renderer,
    RenderStyle,
    default_pixel_scale,
    random_style,
    render_frames,
    scene_centre,
)
from stretches.render_body import PersonStyle
from stretches.render_clip import ClipTruth, FaultTruth, load_truth, write_clip
from stretches.render_raster import PinholeRays, Primitive, _intersect
from stretches.synthetic.camera import Camera, place_camera
from vision.landmarks import Landmark as L


# Hand-posed people (scene metres, y up, floor y = 0), built without the synthetic model so the renderer is
# tested on its own input contract: 33 landmarks per person. Template: standing, facing +z, left = +x.
def _standing(height_m: float = 1.7) -> np.ndarray:
    p = np.zeros((33, 3))
    rows = {
        L.NOSE: (0, 1.60, 0.10), L.LEFT_EYE_INNER: (0.02, 1.635, 0.085), L.LEFT_EYE: (0.035, 1.635, 0.08),
        L.LEFT_EYE_OUTER: (0.05, 1.635, 0.075), L.RIGHT_EYE_INNER: (-0.02, 1.635, 0.085),
        L.RIGHT_EYE: (-0.035, 1.635, 0.08), L.RIGHT_EYE_OUTER: (-0.05, 1.635, 0.075),
        L.LEFT_EAR: (0.075, 1.615, 0.0), L.RIGHT_EAR: (-0.075, 1.615, 0.0),
        L.MOUTH_LEFT: (0.025, 1.555, 0.085), L.MOUTH_RIGHT: (-0.025, 1.555, 0.085),
        L.LEFT_SHOULDER: (0.19, 1.42, 0.0), L.RIGHT_SHOULDER: (-0.19, 1.42, 0.0),
        L.LEFT_ELBOW: (0.23, 1.13, -0.02), L.RIGHT_ELBOW: (-0.23, 1.13, -0.02),
        L.LEFT_WRIST: (0.25, 0.87, 0.03), L.RIGHT_WRIST: (-0.25, 0.87, 0.03),
        L.LEFT_PINKY: (0.26, 0.79, 0.03), L.RIGHT_PINKY: (-0.26, 0.79, 0.03),
        L.LEFT_INDEX: (0.25, 0.78, 0.06), L.RIGHT_INDEX: (-0.25, 0.78, 0.06),
        L.LEFT_THUMB: (0.23, 0.82, 0.07), L.RIGHT_THUMB: (-0.23, 0.82, 0.07),
        L.LEFT_HIP: (0.10, 0.92, 0.0), L.RIGHT_HIP: (-0.10, 0.92, 0.0),
        L.LEFT_KNEE: (0.11, 0.50, 0.02), L.RIGHT_KNEE: (-0.11, 0.50, 0.02),
        L.LEFT_ANKLE: (0.11, 0.09, -0.02), L.RIGHT_ANKLE: (-0.11, 0.09, -0.02),
        L.LEFT_HEEL: (0.11, 0.03, -0.07), L.RIGHT_HEEL: (-0.11, 0.03, -0.07),
        L.LEFT_FOOT_INDEX: (0.12, 0.02, 0.14), L.RIGHT_FOOT_INDEX: (-0.12, 0.02, 0.14),
    }
    for landmark, xyz in rows.items():
        p[landmark] = xyz
    return p * (height_m / 1.7)


def _yaw(points: np.ndarray, yaw_rad: float, at: tuple[float, float, float]) -> np.ndarray:
    c, s = np.cos(yaw_rad), np.sin(yaw_rad)
    rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return points @ rot.T + np.asarray(at)


def _supine(height_m: float = 1.7) -> np.ndarray:
    """Lying on the back along x, head toward -x, face up."""
    body_to_scene = np.column_stack([[0, 0, -1], [-1, 0, 0], [0, 1, 0]])  # columns: images of x, y, z
    p = _standing(height_m) @ body_to_scene.T
    p[:, 0] += 0.9
    p[:, 1] += 0.12
    return p


_LEGS = ((L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
         (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX))


def _kneeling(height_m: float = 1.7) -> np.ndarray:
    s = height_m / 1.7
    p = _standing(height_m)
    p[:25, 1] -= p[L.LEFT_KNEE, 1] - 0.08 * s
    for hip, knee, ankle, heel, toe in _LEGS:
        x = p[hip, 0]
        p[knee] = (x, 0.08 * s, 0.0)
        p[ankle] = (x, 0.09 * s, -0.42 * s)
        p[heel] = (x, 0.12 * s, -0.45 * s)
        p[toe] = (x, 0.03 * s, -0.55 * s)
    return p


def _seated(height_m: float = 1.7) -> np.ndarray:
    s = height_m / 1.7
    p = _standing(height_m)
    p[:, 1] -= p[L.LEFT_HIP, 1] - 0.12 * s
    for hip, knee, ankle, heel, toe in _LEGS:
        x = p[hip, 0]
        p[knee] = (x, 0.14 * s, 0.45 * s)
        p[ankle] = (x, 0.08 * s, 0.88 * s)
        p[heel] = (x, 0.03 * s, 0.86 * s)
        p[toe] = (x, 0.16 * s, 0.95 * s)
    return p


SCENES = {
    "supine_and_kneeling": lambda: np.stack([_supine(1.7),
                                             _yaw(_kneeling(1.75), -np.pi / 2, (1.2, 0, -0.5))]),
    "supine_and_standing": lambda: np.stack([_supine(1.65),
                                             _yaw(_standing(1.8), -np.pi / 2, (1.0, 0, -0.6))]),
    "seated_and_kneeling": lambda: np.stack([_yaw(_seated(1.7), np.pi / 2, (-0.3, 0, 0)),
                                             _yaw(_kneeling(1.8), np.pi / 2, (-0.9, 0, 0))]),
    "standing_pair": lambda: np.stack([_yaw(_standing(1.75), np.pi / 2, (0.2, 0, 0)),
                                       _yaw(_standing(1.6), np.pi / 2, (-0.5, 0, 0))]),
}


def _swaying(joints: np.ndarray, frames: int) -> np.ndarray:
    """A short clip of the posed pair with the partner swaying a few centimetres (so there is motion)."""
    seq = np.repeat(joints[None], frames, axis=0).copy()
    seq[:, 1, :, 0] += 0.03 * np.sin(np.linspace(0, 2 * np.pi, frames))[:, None]
    return seq


def test_ray_cast_primitives_hit_their_surface():
    """Ray distances from the capsule and round-cone intersections land on the shape's surface."""
    rng = np.random.default_rng(1)
    a, b = np.array([0.1, 0.2, 0.0]), np.array([0.5, -0.1, 0.2])
    origin = np.array([0.3, 0.1, 3.0], dtype=np.float32)
    targets = (a + b) / 2 + rng.uniform(-0.3, 0.3, (1500, 3))
    dirs = (targets - origin) / np.linalg.norm(targets - origin, axis=1, keepdims=True)
    ts = np.linspace(0, 1, 1001)
    for ra, rb in ((0.1, None), (0.12, 0.05)):
        t, normal = _intersect(origin, dirs.astype(np.float32), Primitive(a, b, ra, (1, 1, 1), radius_b_m=rb))
        hit = np.isfinite(t)
        assert 100 < hit.sum() < len(t)
        points = origin + dirs[hit] * t[hit, None]
        radii = ra + ts * ((rb if rb is not None else ra) - ra)
        centres = a + ts[:, None] * (b - a)
        signed = (np.linalg.norm(points[:, None] - centres[None], axis=-1) - radii[None]).min(axis=1)
        assert np.abs(signed).max() < 1e-3
        assert np.allclose(np.linalg.norm(normal[hit], axis=1), 1.0, atol=1e-4)


def test_rays_recovered_from_project_reproject_exactly():
    camera = Camera((0.5, 0.9, 3.0), (0.2, 0.4, 0.0), 700.0, (640, 480))
    rays = PinholeRays(camera)
    points = np.random.default_rng(2).uniform(-1, 1, (50, 3)) + [0, 1, 0]
    uv_true, depth_true = camera.project(points)
    uv, depth = rays.project(points)
    assert np.abs(uv - uv_true).max() < 1e-3
    assert np.abs(depth - depth_true).max() < 1e-6
    # The ray through a projected point passes through the point.
    u, v = np.round(uv_true[0]).astype(int)
    direction = rays.dirs[v, u]
    to_point = (points[0] - rays.origin_m) / np.linalg.norm(points[0] - rays.origin_m)
    assert float(direction @ to_point) > 0.9999


@pytest.mark.parametrize("size", [(640, 480), (1280, 720)])
def test_frames_are_deterministic_and_sized(size):
    joints = SCENES["supine_and_kneeling"]()
    camera = place_camera(joints, 20, "mid", size)
    first = list(render_frames(np.stack([joints, joints]), camera, random_style(4), seed=4))
    again = list(render_frames(np.stack([joints, joints]), camera, random_style(4), seed=4))
    assert first[0].shape == (size[1], size[0], 3) and first[0].dtype == np.uint8
    assert all(np.array_equal(x, y) for x, y in zip(first, again, strict=True))
    other_look = next(render_frames(joints[None], camera, random_style(5), seed=4))
    assert np.abs(other_look.astype(int) - first[0].astype(int)).mean() > 2


def test_random_styles_dress_the_two_people_differently():
    for seed in range(20):
        style = random_style(seed)
        assert style.people[0].shirt != style.people[1].shirt


def _mean_colour(image: np.ndarray, uv: np.ndarray, radius: int = 3) -> np.ndarray:
    u, v = np.round(uv).astype(int)
    return image[v - radius:v + radius + 1, u - radius:u + radius + 1].reshape(-1, 3).mean(axis=0)


@pytest.mark.parametrize("near_person", [0, 1])
def test_nearer_person_hides_the_one_behind(near_person):
    """Two people on one line of sight: the chest pixel shows the nearer one, whatever the drawing order."""
    red, blue = (0.85, 0.1, 0.1), (0.1, 0.2, 0.85)
    style = RenderStyle(people=(PersonStyle(shirt=red), PersonStyle(shirt=blue)), noise_sigma=0.0)
    near_z, far_z = 0.6, -0.6
    zs = (near_z, far_z) if near_person == 0 else (far_z, near_z)
    joints = np.stack([_yaw(_standing(1.7), 0.0, (0, 0, zs[0])), _yaw(_standing(1.7), 0.0, (0, 0, zs[1]))])
    camera = Camera((0.0, 1.2, 4.0), (0.0, 1.0, 0.0), 600.0, (640, 480))
    image = Renderer(camera, style, scene_centre(joints)).frame(joints)
    chest = (joints[near_person, L.LEFT_SHOULDER] + joints[near_person, L.RIGHT_HIP]) / 2
    uv, _ = camera.project(chest)
    b, g, r = _mean_colour(image, uv)
    if near_person == 0:
        assert r > 2 * b, (r, g, b)
    else:
        assert b > 2 * r, (r, g, b)


def test_clip_files_match_the_ground_truth(tmp_path):
    joints = _swaying(SCENES["seated_and_kneeling"](), 24)
    camera = place_camera(joints, 0, "mid", (640, 480))
    style = random_style(7)
    uv, _ = camera.project(joints)
    t_ms = np.round(np.arange(24) * 1000 / 30).astype(np.int64)
    truth = ClipTruth(stretch="butterfly", fps=30.0, image_size=(640, 480), t_ms=t_ms,
                      joints_2d=uv.astype(np.float32), joints_3d=joints.astype(np.float32),
                      roles={"client": 0, "partner": 1},
                      faults=[FaultTruth("butterfly.soles_apart", 0.2, 0.6, 0.5, "trunk")],
                      holds=[{"side": "none", "start_s": 0.1, "end_s": 0.7}], meta={"seed": 7})
    video = write_clip(render_frames(joints, camera, style, seed=7), truth, tmp_path, "clip", crf=23)
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(stream)]
        assert stream.codec_context.name == "h264"
        assert float(stream.average_rate) == pytest.approx(30.0)
    assert len(frames) == 24 and frames[0].shape == (480, 640, 3)
    loaded = load_truth(video)
    assert loaded.stretch == "butterfly" and loaded.roles == {"client": 0, "partner": 1}
    assert loaded.faults == truth.faults and np.array_equal(loaded.t_ms, t_ms)
    assert np.allclose(loaded.joints_2d, uv, atol=0.051)
    assert np.allclose(loaded.joints_3d, joints, atol=5.1e-4)
    # The people are drawn where the truth says: each one's trunk centre differs from the empty room.
    empty = Renderer(camera, style, scene_centre(joints), seed=7).frame(np.full((2, 33, 3), np.nan))
    for person in (0, 1):
        core = [L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP]
        trunk = loaded.joints_2d[5, person, core].mean(0)
        difference = np.abs(_mean_colour(frames[5], trunk) - _mean_colour(empty, trunk)).sum()
        assert difference > 40, (person, difference)


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_mediapipe_finds_both_rendered_people(scene, model_path):
    """The product's own pose pipeline (MediaPipe + re-detection) finds both figures where they are drawn."""
    from vision.pipeline import PoseFramePipeline

    joints = _swaying(SCENES[scene](), 12)
    camera = place_camera(joints, 0, "low" if "supine" in scene else "mid", (640, 480))
    pipeline = PoseFramePipeline(model_path)
    core = [L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP]
    found_both = 0
    try:
        frames = render_frames(joints, camera, random_style(11), seed=11,
                               pixel_scale=default_pixel_scale((640, 480)))
        for i, frame in enumerate(frames):
            poses = pipeline.process(frame, int(i * 1000 / 30))
            if np.isnan(poses.landmarks[:, :, 0]).all(axis=1).any():
                continue
            # Found means: each drawn person is matched by a tracked pose (shoulders/hips within 0.35 trunk).
            truth_uv, _ = camera.project(joints[i][:, core])
            found_uv = poses.landmarks[:, core, :2] * np.array([640, 480])
            trunk_px = np.linalg.norm(truth_uv[:, :2].mean(1) - truth_uv[:, 2:].mean(1), axis=-1)
            errors = [np.linalg.norm(found_uv - truth_uv[p][None], axis=-1).mean(1).min() for p in (0, 1)]
            found_both += all(e < 0.35 * t for e, t in zip(errors, trunk_px, strict=True))
    finally:
        pipeline.close()
    assert found_both >= 9, f"{scene}: both drawn people found on {found_both}/12 frames"


def test_sample_videos_are_complete_small_and_match_their_truth():
    """sample_videos/ holds every stretch done well and with its fault, each < 2 MB, 10-40 s, truth beside."""
    from stretches.catalog import STRETCHES
    from stretches.samples import SAMPLES_DIR, sample_specs

    specs = sample_specs()
    assert sorted({s.stretch_id for s in specs}) == sorted(STRETCHES) and len(specs) == 2 * len(STRETCHES)
    for spec in specs:
        video = SAMPLES_DIR / f"{spec.name}.mp4"
        assert video.is_file(), f"{video.name} missing: run python -m stretches.samples --only {spec.name}"
        assert video.stat().st_size < 2_000_000, video.name
        truth = load_truth(video)
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            size = (stream.codec_context.width, stream.codec_context.height)
            packets = sum(1 for packet in container.demux(stream) if packet.size)
        assert packets == truth.t_ms.size == truth.joints_2d.shape[0] == truth.joints_3d.shape[0], video.name
        assert size == truth.image_size and truth.joints_2d.shape[1:] == (2, 33, 2)
        # 10-40 s, except a stretch whose hold alone is longer (childs_pose: 60 s) gets its hold + 10 s.
        max_s = max(40.0, STRETCHES[spec.stretch_id].hold_range_s[0] + 10.0)
        assert 10.0 <= truth.duration_s <= max_s, (video.name, truth.duration_s)
        assert truth.stretch == spec.stretch_id and set(truth.roles) == {"client", "partner"}
        if spec.fault is None:
            assert truth.faults == [], video.name
        else:
            assert [f.check_id for f in truth.faults] == [spec.fault], video.name
            assert all(0 < f.start_s < f.end_s <= truth.duration_s for f in truth.faults), video.name


def _accuracy_module():
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "accuracy.py"
    spec = importlib.util.spec_from_file_location("accuracy_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


def test_benchmark_counts_identity_swaps_against_the_truth():
    """A tracker that exchanges the two people for 10 frames and back makes two swaps; a steady one none."""
    accuracy = _accuracy_module()
    rng = np.random.default_rng(3)
    frames = 40
    truth_2d = np.stack([np.tile(rng.uniform(100, 250, (1, 33, 2)), (frames, 1, 1)),
                         np.tile(rng.uniform(350, 550, (1, 33, 2)), (frames, 1, 1))], axis=1)
    truth_2d += rng.normal(0, 2, truth_2d.shape)
    tracked = np.concatenate([truth_2d / np.array([640, 480]), np.ones(truth_2d.shape[:-1] + (2,))], axis=-1)
    steady = tracked.astype(np.float32)
    swapped = steady.copy()
    swapped[15:25] = steady[15:25, ::-1]
    flicker = steady.copy()
    flicker[30] = steady[30, ::-1]  # a single crossed frame is noise, not a swap
    assert accuracy.identity_swaps(steady, (640, 480), truth_2d) == (0, {0: 0, 1: 1})
    assert accuracy.identity_swaps(swapped, (640, 480), truth_2d)[0] == 2
    assert accuracy.identity_swaps(flicker, (640, 480), truth_2d)[0] == 0
    reversed_roles = steady[:, ::-1].copy()
    assert accuracy.identity_swaps(reversed_roles, (640, 480), truth_2d) == (0, {0: 1, 1: 0})


def test_evaluation_set_has_several_takes_of_every_fault():
    """Recall is a rate: each stretch's own faults come in `takes` clips, each from another camera."""
    from stretches.synthetic import INJECTABLE_FAULTS

    accuracy = _accuracy_module()
    one = accuracy.evaluation_set(takes=1)
    two = accuracy.evaluation_set(takes=2)
    assert two[: len(one)] == one  # the cached clips keep their names and looks
    names = [clip.name for clip in two]
    assert len(names) == len(set(names))
    own = {f for faults in INJECTABLE_FAULTS.values() for f in faults if not f.startswith("common.")}
    for fault in own:
        takes = [clip for clip in two if clip.fault == fault]
        assert len(takes) == 2, fault
        first, second = takes
        assert (first.camera_azimuth_deg, first.camera_height) != (
            second.camera_azimuth_deg, second.camera_height), fault


def test_model_landmarks_of_a_sample_are_the_motion_it_was_rendered_from():
    """--model-landmarks must simulate a sample from the sample's own scenario, not the evaluation set's."""
    from stretches.render_clip import load_truth
    from stretches.synthetic import simulate

    accuracy = _accuracy_module()
    clip = next(c for c in accuracy.evaluation_set(takes=1) if c.name == "supine_thoracic_rotation_fault")
    truth = load_truth(accuracy.clip_video(clip, accuracy.DEFAULT_WORK_DIR))
    session = simulate(accuracy._model_scenario(clip))
    assert session.track.num_frames == len(truth.t_ms)
    fault = truth.faults[0]
    simulated = session.faults[0]
    assert (simulated.start_s, simulated.end_s) == pytest.approx((fault.start_s, fault.end_s), abs=1e-3)
