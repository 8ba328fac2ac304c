"""Kinematic two-person model: every stretch of the spec done well, or with one check's fault at a known time
and size, seen by a camera as a pose estimator would report it.

    session = simulate(Scenario("supine_twist", fault="supine_twist.shoulder_lift", side="left", seed=3))
    session.track          # vision.track.Track with jitter / visibility / drops, roles set
    session.scene_joints   # (F, 2, 33, 3) scene metres, y up, floor y = 0 (client first) for rendering
    session.camera         # Camera with .project(points) -> (uv_px, depth_m)
    session.faults         # [FaultWindow(check_id, start_s, end_s, magnitude, unit)]
    session.holds          # ground-truth hold windows with side

Modules: skeleton (bodies, joint angles → landmarks), camera, timeline (phase timing), choreography
(parameters and fault specs), staging (floor, anchors, reaching), poses_* (each stretch), observe (the sensor
model), session (Scenario → SyntheticSession).
"""

from stretches.synthetic.camera import CAMERA_HEIGHTS_M, Camera, place_camera
from stretches.synthetic.motions import MOTIONS, PER_SIDE, POSTURES
from stretches.synthetic.session import (
    FaultWindow,
    HoldTruth,
    Scenario,
    ScenarioError,
    SyntheticSession,
    injectable_faults,
    simulate,
)
from stretches.synthetic.skeleton import BODY_SIZES, SURFACE_RADIUS_RATIO, BodySize

INJECTABLE_FAULTS = injectable_faults()
STRETCH_IDS: tuple[str, ...] = tuple(MOTIONS)


def list_scenarios(
    faults: bool = True, sides: tuple[str, ...] = ("right",), seed: int = 0
) -> list[Scenario]:
    """Good-form scenarios for every stretch (each side listed for per-side stretches), plus one per
    injectable fault when `faults` is true: what the tests and the accuracy benchmark iterate over."""
    out: list[Scenario] = []
    for stretch_id in STRETCH_IDS:
        stretch_sides = sides if stretch_id in PER_SIDE else (None,)
        for side in stretch_sides:
            out.append(Scenario(stretch_id, side=side, seed=seed))
            if faults:
                for check_id in INJECTABLE_FAULTS[stretch_id]:
                    out.append(Scenario(stretch_id, fault=check_id, side=side, seed=seed))
    return out


__all__ = [
    "BODY_SIZES",
    "CAMERA_HEIGHTS_M",
    "INJECTABLE_FAULTS",
    "MOTIONS",
    "PER_SIDE",
    "POSTURES",
    "STRETCH_IDS",
    "SURFACE_RADIUS_RATIO",
    "BodySize",
    "Camera",
    "FaultWindow",
    "HoldTruth",
    "Scenario",
    "ScenarioError",
    "SyntheticSession",
    "injectable_faults",
    "list_scenarios",
    "place_camera",
    "simulate",
]
