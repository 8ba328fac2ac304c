"""Metric functions on hand-built poses with known answers (a 30° lean must read 30°)."""

import math

import numpy as np
import pytest

from stretches import metrics as m
from vision.landmarks import Landmark as L

IMAGE = (1280, 720)  # not square: x and y are normalised by different sizes
TRUNK_PX = 200.0


def _norm(points_px: dict[L, tuple[float, float]], visibility: float = 0.99) -> np.ndarray:
    out = np.full((33, 4), np.nan, dtype=np.float32)
    for lm, (x, y) in points_px.items():
        out[lm] = (x / IMAGE[0], y / IMAGE[1], 0.0, visibility)
    return out


def _both(points: dict, left: L, right: L, p: tuple[float, float], dz: float = 0.0) -> None:
    points[left] = p
    points[right] = (p[0] + dz, p[1])


def _frames(client: dict, partner: dict | None = None, world_client: dict | None = None) -> m.PoseFrames:
    lm = np.full((1, 2, 33, 4), np.nan, dtype=np.float32)
    lm[0, 0] = _norm(client)
    if partner is not None:
        lm[0, 1] = _norm(partner)
    world = None
    if world_client is not None:
        world = np.full((1, 2, 33, 3), np.nan, dtype=np.float32)
        for k, v in world_client.items():
            world[0, 0, k] = v
    return m.pose_frames(np.array([0], dtype=np.int64), lm, world, {"client": 0, "partner": 1}, IMAGE)


def _polar(origin, length, deg_from_up, facing=1):
    """Point at `length` px from origin, `deg_from_up` toward the person's front (facing +x or -x)."""
    a = math.radians(deg_from_up)
    return (origin[0] + facing * length * math.sin(a), origin[1] - length * math.cos(a))


def seated(lean_fwd_deg=0.0, neck_fwd_deg=0.0, facing=1):
    """A person seated facing +x (facing=1) or -x, legs long in front; angles are toward the front."""
    hip = (600.0, 500.0)
    shoulder = _polar(hip, TRUNK_PX, lean_fwd_deg, facing)
    ear = _polar(shoulder, 60.0, lean_fwd_deg + neck_fwd_deg, facing)
    pts: dict = {}
    _both(pts, L.LEFT_HIP, L.RIGHT_HIP, hip)
    _both(pts, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, shoulder)
    _both(pts, L.LEFT_EAR, L.RIGHT_EAR, ear)
    pts[L.NOSE] = (ear[0] + facing * 20, ear[1] + 5)
    _both(pts, L.LEFT_KNEE, L.RIGHT_KNEE, (hip[0] + facing * 170, hip[1]))
    _both(pts, L.LEFT_ANKLE, L.RIGHT_ANKLE, (hip[0] + facing * 340, hip[1]))
    return pts


def standing(lean_back_deg=0.0, knee_flex_deg=0.0, facing=1):
    hip = (600.0, 400.0)
    pts: dict = {}
    _both(pts, L.LEFT_HIP, L.RIGHT_HIP, hip)
    shoulder = _polar(hip, TRUNK_PX, -lean_back_deg, facing)
    _both(pts, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, shoulder)
    ear = _polar(shoulder, 60.0, -lean_back_deg, facing)
    _both(pts, L.LEFT_EAR, L.RIGHT_EAR, ear)
    pts[L.NOSE] = (ear[0] + facing * 20, ear[1] + 5)
    knee = (hip[0], hip[1] + 170)
    ankle = _polar(knee, 170, 180 + knee_flex_deg, facing)  # shin swings back when the knee bends
    _both(pts, L.LEFT_KNEE, L.RIGHT_KNEE, knee)
    _both(pts, L.LEFT_ANKLE, L.RIGHT_ANKLE, ankle)
    _both(pts, L.LEFT_HEEL, L.RIGHT_HEEL, (ankle[0] - facing * 10, ankle[1] + 10))
    _both(pts, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX, (ankle[0] + facing * 40, ankle[1] + 10))
    return pts


def supine(shoulder_rise=0.0, hip_rise=0.0, raised_leg_deg=0.0, resting_ankle_rise=0.0, knee_bend_deg=0.0):
    """Lying on the back along +x (head at +x), side view; rises in trunk lengths; the left leg may rise."""
    floor_y = 600.0
    hip = (400.0, floor_y - hip_rise * TRUNK_PX)
    pts: dict = {}
    _both(pts, L.LEFT_HIP, L.RIGHT_HIP, hip)
    pts[L.LEFT_SHOULDER] = (hip[0] + TRUNK_PX, floor_y)
    pts[L.RIGHT_SHOULDER] = (hip[0] + TRUNK_PX, floor_y - shoulder_rise * TRUNK_PX)
    _both(pts, L.LEFT_EAR, L.RIGHT_EAR, (hip[0] + TRUNK_PX + 70, floor_y))
    # Raised left leg: thigh at raised_leg_deg above the floor, shin bent by knee_bend_deg.
    a = math.radians(raised_leg_deg)
    knee = (hip[0] - 170 * math.cos(a), hip[1] - 170 * math.sin(a))
    b = math.radians(raised_leg_deg + knee_bend_deg)
    ankle = (knee[0] - 170 * math.cos(b), knee[1] - 170 * math.sin(b))
    pts[L.LEFT_KNEE], pts[L.LEFT_ANKLE] = knee, ankle
    pts[L.RIGHT_KNEE] = (hip[0] - 170, floor_y)
    pts[L.RIGHT_ANKLE] = (hip[0] - 340, floor_y - resting_ankle_rise * TRUNK_PX)
    return pts


# ---------------------------------------------------------------- angles


@pytest.mark.parametrize("facing", [1, -1])
@pytest.mark.parametrize("lean", [0.0, 12.0, 30.0])
def test_seated_lean_back_reads_the_built_angle(facing, lean):
    f = _frames(seated(lean_fwd_deg=-lean, facing=facing))
    assert m.thoracic_lumbar_arch(f)[0] == pytest.approx(lean, abs=1e-3)
    assert m.lean_forward_seated(f)[0] == pytest.approx(-lean, abs=1e-3)


@pytest.mark.parametrize(("lean", "readable"), [(100.0, True), (130.0, True), (150.0, False), (175.0, False)])
def test_a_trunk_upside_down_is_not_a_lean(lean, readable):
    """A seated client folded far forward still reads; shoulders well below the hips are a merged pose."""
    f = _frames(seated(lean_fwd_deg=lean))
    value = m.lean_forward_seated(f)[0]
    assert (value == pytest.approx(lean, abs=1e-3)) if readable else np.isnan(value)


@pytest.mark.parametrize("facing", [1, -1])
@pytest.mark.parametrize("lean", [10.0, 25.0, 40.0])
def test_standing_backbend_depth(facing, lean):
    f = _frames(standing(lean_back_deg=lean, facing=facing))
    assert m.backbend_depth(f)[0] == pytest.approx(lean, abs=1e-3)


@pytest.mark.parametrize(("neck", "rounding"), [(0.0, 0.0), (50.0, 50.0), (-40.0, -40.0)])
def test_neck_line_against_trunk_line(neck, rounding):
    f = _frames(seated(lean_fwd_deg=30.0, neck_fwd_deg=neck, facing=-1))
    assert m.fold_upper_back_rounding(f)[0] == pytest.approx(rounding, abs=1e-3)
    assert m.thoracic_neck_extension(f)[0] == pytest.approx(-rounding, abs=1e-3)


@pytest.mark.parametrize("flex", [0.0, 20.0, 45.0])
def test_client_collapse_is_knee_flexion(flex):
    f = _frames(standing(knee_flex_deg=flex))
    assert m.backbend_client_collapse(f)[0] == pytest.approx(flex, abs=1e-3)


@pytest.mark.parametrize(("bend", "expected_knee"), [(0.0, 180.0), (10.0, 170.0), (30.0, 150.0)])
def test_raised_leg_knee_angle(bend, expected_knee):
    f = _frames(supine(raised_leg_deg=70.0, knee_bend_deg=bend))
    assert m.hamstring_side(f)[0] == 1.0  # left leg raised
    assert m.hamstring_locked_knee(f)[0] == pytest.approx(expected_knee, abs=1e-3)
    # The raise is measured along hip → ankle, so a bent knee tips that line by half the bend.
    assert m.hamstring_raise(f)[0] == pytest.approx(70.0 + bend / 2, abs=1e-3)


# ---------------------------------------------------------------- rises off the floor


@pytest.mark.parametrize("rise", [0.0, 0.1, 0.3])
def test_shoulder_tilt_in_trunks(rise):
    f = _frames(supine(shoulder_rise=rise))
    # Trunk is measured mid-hip → mid-shoulder, so it grows a little as one shoulder rises. The right
    # shoulder rises (smaller image y), so left minus right is positive.
    trunk = math.hypot(TRUNK_PX, rise * TRUNK_PX / 2)
    assert m.shoulder_tilt(f)[0] == pytest.approx(rise * TRUNK_PX / trunk, abs=1e-3)


@pytest.mark.parametrize(
    ("hip_rise", "ankle_rise", "expected"),
    [(0.0, 0.0, 0.0), (0.2, 0.0, 0.2), (0.0, 0.25, 0.25), (0.1, 0.3, 0.3)],
)
def test_hips_lifting_takes_the_worse_of_hips_and_resting_leg(hip_rise, ankle_rise, expected):
    f = _frames(supine(hip_rise=hip_rise, raised_leg_deg=60.0, resting_ankle_rise=ankle_rise))
    trunk = math.hypot(TRUNK_PX, hip_rise * TRUNK_PX)
    got = m.hamstring_hips_lifting(f)[0]
    assert got == pytest.approx(expected * TRUNK_PX / trunk, abs=1e-3)


def test_prone_hip_lift():
    pts = supine(hip_rise=0.3)
    f = _frames(pts)
    assert m.prone_hip_lift(f)[0] == pytest.approx(0.3 * TRUNK_PX / math.hypot(TRUNK_PX, 0.3 * TRUNK_PX))


# ---------------------------------------------------------------- distances between people


def _partner_with_wrists(*wrists):
    pts = standing()
    pts[L.LEFT_WRIST], pts[L.RIGHT_WRIST] = wrists
    return pts


@pytest.mark.parametrize(("offset_trunks", "expected"), [(0.1, 0.1), (0.5, 0.5)])
def test_backbend_support_hands_distance_to_mid_hip(offset_trunks, expected):
    client = standing()
    hip = client[L.LEFT_HIP]
    partner = _partner_with_wrists((hip[0] - offset_trunks * TRUNK_PX, hip[1]), (2000.0, 2000.0))
    f = _frames(client, partner)
    assert m.backbend_support_hands(f)[0] == pytest.approx(expected, abs=1e-3)


def test_hands_on_neck_distance_to_neck_segment():
    client = seated()
    shoulder = client[L.LEFT_SHOULDER]
    on_neck = _partner_with_wrists((shoulder[0] - 0.05 * TRUNK_PX, shoulder[1] - 30), (0.0, 0.0))
    below = _partner_with_wrists((shoulder[0] - 0.1 * TRUNK_PX, shoulder[1] + 0.4 * TRUNK_PX), (0.0, 0.0))
    assert m.thoracic_hands_on_neck(_frames(client, on_neck))[0] == pytest.approx(0.05, abs=1e-3)
    assert m.thoracic_hands_on_neck(_frames(client, below))[0] > 0.35


def test_childs_pressure_position_sign():
    client = supine()  # geometry only: hips at x=400, shoulders at x=600 on the floor
    near_shoulders = _partner_with_wrists((580.0, 560.0), (590.0, 560.0))
    near_hips = _partner_with_wrists((420.0, 560.0), (430.0, 560.0))
    assert m.childs_pressure_position(_frames(client, near_shoulders))[0] > 0.5
    assert m.childs_pressure_position(_frames(client, near_hips))[0] < -0.5


# ---------------------------------------------------------------- world landmarks


def test_world_landmarks_give_3d_distances_and_knee_drop():
    # World: metres, y down; a supine body along x with the trunk 0.5 m; left knee rotated 60° to the side.
    hip_l, hip_r = (0.0, 0.0, -0.1), (0.0, 0.0, 0.1)
    world = {
        L.LEFT_HIP: hip_l,
        L.RIGHT_HIP: hip_r,
        L.LEFT_SHOULDER: (0.5, 0.0, -0.15),
        L.RIGHT_SHOULDER: (0.5, 0.0, 0.15),
        L.LEFT_KNEE: (0.0, -0.4 * math.cos(math.radians(60)), -0.1 - 0.4 * math.sin(math.radians(60))),
        L.RIGHT_KNEE: (-0.4, 0.0, 0.1),
        L.LEFT_ANKLE: (-0.4, -0.1, -0.1),
        L.RIGHT_ANKLE: (-0.8, 0.0, 0.25),
    }
    f = _frames(supine(), world_client=world)
    # soles apart: 3-D ankle distance / 3-D trunk
    expected = math.dist(world[L.LEFT_ANKLE], world[L.RIGHT_ANKLE]) / 0.5
    assert m.butterfly_soles_apart(f)[0] == pytest.approx(expected, abs=1e-3)
    assert m.twist_side(f)[0] == 1.0  # left knee bent, right leg long
    assert m.twist_knee_drop(f)[0] == pytest.approx(60.0, abs=1e-4)


# ---------------------------------------------------------------- visibility gating


def test_hidden_landmark_gives_nan_never_a_guess():
    pts = supine(shoulder_rise=0.4)
    lm = np.full((1, 2, 33, 4), np.nan, dtype=np.float32)
    lm[0, 0] = _norm(pts)
    lm[0, 0, L.RIGHT_SHOULDER, 3] = 0.2  # low confidence
    f = m.pose_frames(np.array([0], dtype=np.int64), lm, None, {"client": 0, "partner": 1}, IMAGE)
    assert np.isnan(m.shoulder_tilt(f)[0])
    assert not f.visible["client"][0, L.RIGHT_SHOULDER]
    # The trunk still measures from the visible side: side views often hide the far shoulder.
    assert m.trunk_px(f, "client")[0] == pytest.approx(TRUNK_PX)


def test_aspect_ratio_is_undone():
    f = _frames(seated(lean_fwd_deg=45.0))
    lean = m.lean_forward_seated(f)[0]
    naive = math.degrees(
        math.atan2(math.sin(math.radians(45)) / IMAGE[0], math.cos(math.radians(45)) / IMAGE[1])
    )
    assert lean == pytest.approx(45.0) and abs(naive - 45.0) > 10


# ---------------------------------------------------------------- speeds


def _speed_of_ramp(rate_deg_s, fps=30.0, jitter_deg=0.0, drop_every=0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(0, 4.0, 1.0 / fps)
    keep = np.ones(t.shape, dtype=bool)
    if drop_every:
        keep[::drop_every] = False
    t = t[keep]
    angle = rate_deg_s * t + rng.normal(0.0, jitter_deg, t.shape)
    # The engine smooths landmarks before any angle is taken; do the same to the angle here.
    return m.angular_speed_deg_s(m.smooth(angle, t, m.LANDMARK_SMOOTHING_S), t)


@pytest.mark.parametrize(
    ("rate", "jitter", "drop_every", "tolerance"),
    [(40.0, 0.0, 0, 1e-6), (90.0, 0.0, 3, 2.0), (0.0, 3.0, 0, 20.0), (40.0, 3.0, 4, 20.0)],
)
def test_angular_speed_uses_timestamps_and_tames_jitter(rate, jitter, drop_every, tolerance):
    speed = _speed_of_ramp(rate, jitter_deg=jitter, drop_every=drop_every)
    settled = speed[30:]
    assert np.all(np.isfinite(settled))
    assert np.max(np.abs(settled - rate)) < tolerance


def test_speed_is_causal_so_live_history_suffices():
    t = np.arange(0, 3.0, 1 / 30)
    angle = np.where(t > 2.0, 50.0 * (t - 2.0), 0.0)
    full = m.angular_speed_deg_s(angle, t)
    tail = m.angular_speed_deg_s(angle[-30:], t[-30:])
    assert np.allclose(full[-10:], tail[-10:], atol=1e-9)


T_30FPS = np.arange(0, 2.0, 1 / 30)


def test_no_speed_is_read_across_a_misread_angle_while_a_real_jolt_still_reads():
    lm = np.full((len(T_30FPS), 2, 33, 4), np.nan, dtype=np.float32)
    pf = m.pose_frames((T_30FPS * 1000).astype(np.int64), lm, None, {"client": 0, "partner": 1}, (640, 480))

    def speed_of(angle: np.ndarray) -> np.ndarray:
        return m.speed_cached(pf, lambda _frames: angle)

    flipped = speed_of(np.r_[np.full(30, 50.0), np.full(3, -50.0), np.full(27, 50.0)])  # sign misread
    assert np.nanmax(flipped) < 1.0  # before: up to ~250 deg/s, a jerky_motion warning
    # the gate is not a speed limit: a steady 150 deg/s jolt reads as itself
    assert np.nanmax(speed_of(150.0 * T_30FPS)) == pytest.approx(150.0, rel=0.01)


def test_facing_is_a_majority_so_a_flipped_frame_does_not_flip_the_lean():
    frames = 60
    lm = np.full((frames, 2, 33, 4), np.nan, dtype=np.float32)
    for i in range(frames):
        # Every 7th frame the estimator puts the legs behind the hips (facing the other way).
        lm[i, 0] = _norm(seated(lean_fwd_deg=-15.0, facing=-1 if i % 7 == 3 else 1))
    t_ms = (np.arange(frames) * 33).astype(np.int64)
    # No landmark smoothing here: the mirrored frames would otherwise blur into their neighbours' geometry.
    f = m.pose_frames(t_ms, lm, None, {"client": 0, "partner": 1}, IMAGE, smoothing_s=0.0)
    votes = m.facing_votes(f, "client", "seated")
    assert set(votes.tolist()) == {1, -1}
    lean_back = m.thoracic_lumbar_arch(f)
    # Frames that were themselves flipped read the mirrored geometry, but the sign stays the majority's.
    assert np.all(m.forward_sign_seated(f, "client")[1:] == 1.0)
    steady = [i for i in range(frames) if i % 7 != 3]
    assert np.allclose(lean_back[steady], 15.0, atol=1e-3)
