"""Simulating one take: a Scenario (stretch, fault, side, camera, bodies, noise, seed) → a SyntheticSession.

Deterministic for a given scenario: every random draw comes from `numpy.random.default_rng(seed)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from stretches.synthetic.camera import Camera, place_camera
from stretches.synthetic.choreography import FaultSpec, StretchMotion, parameter_curves
from stretches.synthetic.motions import MOTIONS, PER_SIDE, POSTURES
from stretches.synthetic.observe import SensorNoise, observe
from stretches.synthetic.skeleton import BODY_SIZES, BodySize
from stretches.synthetic.timeline import Phases, constant_speed_ramp, ramp, window
from vision.errors import StretchGuardError
from vision.landmarks import NUM_LANDMARKS, reflect_left_right
from vision.track import Track

ROLES = ("client", "partner")
FAULT_RAMP_S = 0.4  # how long an injected fault takes to build up (and to fade)
FAULT_DURATION_S = 5.0
SHOVE_PAUSE_S = 0.4  # a shoved stretch stays at its deepest this long before easing back
SHOVE_EASE_S = 2.5


class ScenarioError(StretchGuardError):
    """A scenario that cannot be simulated (unknown stretch, fault not injectable for it, bad side...)."""


@dataclass(frozen=True)
class FaultWindow:
    """Ground truth of an injected fault: the check it should trip, when, and how hard (in the check's unit).

    start_s / end_s: the injected movement is half-way to / back from its faulty value; for a movement that
    is too fast (a fast entry, a shove) the constant-speed part; for a hold time fault, the hold itself.
    """

    check_id: str
    start_s: float
    end_s: float
    magnitude: float
    unit: str


@dataclass(frozen=True)
class HoldTruth:
    start_s: float
    end_s: float
    side: str | None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Scenario:
    stretch_id: str
    fault: str | None = None  # a check id from INJECTABLE_FAULTS[stretch_id], or None for good form
    side: str | None = None  # per-side stretches: "left" / "right" (None = "right"); others: ignored
    fps: float = 30.0
    camera: Camera | None = None  # None: placed from camera_azimuth_deg / camera_height / image_size
    camera_azimuth_deg: float = 0.0  # 0 = side view; up to ±30 oblique
    camera_height: str | float = "auto"  # "low" | "mid" | "high" | metres | "auto" (low for floor stretches)
    image_size: tuple[int, int] = (640, 480)
    client_body: BodySize = field(default_factory=lambda: BODY_SIZES["medium"])
    partner_body: BodySize = field(default_factory=lambda: BODY_SIZES["tall"])
    seed: int = 0
    jitter_frac: float = 0.01
    drift_frac: float = 0.0
    drop_rate: float = 0.0
    lr_swap_rate: float = 0.0  # fraction of frames with left/right labels swapped (in short bursts)
    hidden_landmarks: tuple[tuple[str, int], ...] = ()  # (role, Landmark) pairs the estimator cannot see
    hidden_window_s: tuple[float, float] | None = None  # None: hidden for the whole take
    speed: float = 1.0  # > 1 = quicker entry and release (good form stays under the jerky limit to ~1.5)
    variation: float = 0.0  # 0 = the canonical take; 1 = person-to-person variety (depth ±10 %, timing ±20 %,
    #                         hold anywhere in the spec's range), drawn from the seed
    hold_s: float | None = None  # None: the stretch's typical good hold
    fault_start_s: float | None = None  # None: a third of the way into the hold
    fault_duration_s: float = FAULT_DURATION_S
    lead_in_s: float = 2.0
    tail_s: float = 2.5
    duration_s: float | None = None  # None: lead-in + entry + hold + release + tail


@dataclass
class SyntheticSession:
    scenario: Scenario
    t_ms: np.ndarray  # int64 (F,)
    scene_joints: np.ndarray  # float64 (F, 2, 33, 3): scene metres, y up, floor y = 0; [:, 0] client
    camera: Camera
    track: Track  # what an estimator would report, roles set
    faults: list[FaultWindow]
    holds: list[HoldTruth]
    phases: Phases
    side: str | None

    @property
    def t_s(self) -> np.ndarray:
        return self.t_ms / 1000.0


def injectable_faults() -> dict[str, dict[str, FaultSpec]]:
    """stretch id → {check id → FaultSpec}: every check the model can trip, with its magnitude and unit."""
    out: dict[str, dict[str, FaultSpec]] = {}
    for stretch_id, motion in MOTIONS.items():
        out[stretch_id] = dict(motion.faults) | _common_faults(motion)
    return out


def _common_faults(motion: StretchMotion) -> dict[str, FaultSpec]:
    jerk = motion.faults.get("common.jerky_motion")
    low, high = motion.hold_range_s
    common = {
        "common.hold_short": FaultSpec("hold_time", round(0.4 * low, 2), "s", value=0.4),
        "common.hold_long": FaultSpec("hold_time", round(1.5 * high, 2), "s", value=1.5),
    }
    if jerk is not None:
        common["common.jerky_motion"] = jerk
    return common


def _default_camera_height(stretch_id: str) -> str:
    return "low" if POSTURES[stretch_id][0] in ("supine", "prone") else "mid"


def simulate(scenario: Scenario) -> SyntheticSession:
    motion = MOTIONS.get(scenario.stretch_id)
    if motion is None:
        raise ScenarioError(
            f"unknown stretch {scenario.stretch_id!r}; known: {', '.join(MOTIONS)}"
        )
    faults_here = injectable_faults()[scenario.stretch_id]
    spec = None
    if scenario.fault is not None:
        spec = faults_here.get(scenario.fault)
        if spec is None:
            raise ScenarioError(
                f"{scenario.fault!r} cannot be injected into {scenario.stretch_id}; "
                f"choose one of {', '.join(sorted(faults_here))}"
            )
    per_side = scenario.stretch_id in PER_SIDE
    side = (scenario.side or "right") if per_side else None
    if side not in (None, "left", "right"):
        raise ScenarioError(f"side must be 'left' or 'right', got {scenario.side!r}")
    rng = np.random.default_rng(scenario.seed)
    speed = max(scenario.speed, 0.1)
    motion = _varied(motion, scenario.variation, np.random.default_rng([scenario.seed, 1]))

    hold_s = scenario.hold_s if scenario.hold_s is not None else motion.hold_s
    entry_s = motion.entry_s / speed
    fast_entry = False
    if spec is not None and spec.kind == "hold_time":
        low, high = motion.hold_range_s
        hold_s = spec.value * (low if spec.value < 1 else high)
    if spec is not None and spec.kind == "fast_entry":
        main = motion.params[motion.main_param]
        span = motion.main_span_deg if motion.main_span_deg is not None else abs(main.hold - main.rest)
        entry_s = span / spec.value
        fast_entry = True
    phases = Phases(
        entry_start_s=scenario.lead_in_s,
        entry_s=entry_s,
        hold_s=hold_s,
        release_s=motion.release_s / speed,
        tail_s=scenario.tail_s,
        fast_entry=fast_entry,
    )
    duration = scenario.duration_s if scenario.duration_s is not None else phases.duration_s
    frames = int(round(duration * scenario.fps)) + 1
    t_ms = np.round(np.arange(frames) * 1000.0 / scenario.fps).astype(np.int64)
    t_s = t_ms / 1000.0

    overrides: list[tuple[str, float, np.ndarray]] = []
    fault_windows: list[FaultWindow] = []
    if spec is not None:
        fault_windows.append(_inject(scenario, spec, motion, phases, t_s, overrides))
    cue = parameter_curves(motion, t_s, phases, overrides, sway_phase=float(rng.uniform(0, 2 * np.pi)))
    if spec is not None and spec.kind == "shove":
        start = fault_windows[0].start_s
        push_s = spec.value / spec.speed
        ease_back = ramp(t_s, start + push_s + SHOVE_PAUSE_S, SHOVE_EASE_S)
        shove = constant_speed_ramp(t_s, start, push_s) - ease_back
        param = spec.param or motion.main_param
        cue.values[param] = cue.values[param] + spec.value * shove

    client, partner = motion.stage(cue, scenario.client_body, scenario.partner_body)
    scene = np.stack([client, partner], axis=1)
    if side == "left":
        scene = reflect_left_right(scene)  # the same take done on the other side

    camera = scenario.camera
    if camera is None:
        height = scenario.camera_height
        if height == "auto":
            height = _default_camera_height(scenario.stretch_id)
        camera = place_camera(scene, scenario.camera_azimuth_deg, height, scenario.image_size)

    hidden = np.zeros((frames, 2, NUM_LANDMARKS), dtype=bool)
    if scenario.hidden_landmarks:
        if scenario.hidden_window_s is None:
            when = np.ones(frames, dtype=bool)
        else:
            when = (t_s >= scenario.hidden_window_s[0]) & (t_s <= scenario.hidden_window_s[1])
        for role, lm in scenario.hidden_landmarks:
            if role not in ROLES:
                raise ScenarioError(f"hidden landmark role must be 'client' or 'partner', got {role!r}")
            hidden[when, ROLES.index(role), int(lm)] = True

    noise = SensorNoise(
        jitter_frac=scenario.jitter_frac,
        drift_frac=scenario.drift_frac,
        drop_rate=scenario.drop_rate,
        lr_swap_rate=scenario.lr_swap_rate,
    )
    heights = (scenario.client_body.height_m, scenario.partner_body.height_m)
    landmarks, world = observe(scene, camera, scenario.fps, noise, hidden, rng, heights)
    track = Track(
        t_ms=t_ms,
        landmarks=landmarks,
        image_size=camera.image_size,
        world=world,
        roles=ROLES,
        meta={
            "source": "synthetic",
            "stretch": scenario.stretch_id,
            "fault": scenario.fault,
            "side": side,
            "seed": scenario.seed,
            "fps": scenario.fps,
        },
    )
    end_s = float(t_s[-1])
    holds = []
    if phases.hold_start_s < end_s:  # a take cut short by duration_s keeps only what it shows
        holds.append(HoldTruth(phases.hold_start_s, min(phases.hold_end_s, end_s), side))
    return SyntheticSession(
        scenario=scenario,
        t_ms=t_ms,
        scene_joints=scene,
        camera=camera,
        track=track,
        faults=fault_windows,
        holds=holds,
        phases=phases,
        side=side,
    )


def _varied(motion: StretchMotion, amount: float, rng: np.random.Generator) -> StretchMotion:
    """The same choreography done by a different pair: a little deeper or shallower, quicker or slower."""
    if amount <= 0:
        return motion
    params = {
        name: replace(p, hold=p.rest + (p.hold - p.rest) * (1 + 0.1 * amount * rng.uniform(-1, 1)))
        for name, p in motion.params.items()
    }
    low, high = motion.hold_range_s
    if high > low:
        spread = amount * rng.uniform(-1, 1) * (high - low) / 2
        hold_s = float(np.clip(motion.hold_s + spread, low + 1, high - 1))
    else:
        hold_s = motion.hold_s + amount * rng.uniform(-1.0, 1.0)
    return replace(
        motion,
        params=params,
        entry_s=motion.entry_s * (1 + 0.2 * amount * rng.uniform(-1, 1)),
        release_s=motion.release_s * (1 + 0.2 * amount * rng.uniform(-1, 1)),
        hold_s=hold_s,
    )


def _inject(
    scenario: Scenario,
    spec: FaultSpec,
    motion: StretchMotion,
    phases: Phases,
    t_s: np.ndarray,
    overrides: list[tuple[str, float, np.ndarray]],
) -> FaultWindow:
    check_id = scenario.fault or ""
    if spec.kind == "hold_time":
        return FaultWindow(check_id, phases.hold_start_s, phases.hold_end_s, phases.hold_s, "s")
    if spec.kind == "fast_entry":
        start = phases.entry_start_s
        return FaultWindow(check_id, start, start + phases.entry_s, spec.magnitude, spec.unit)
    start = scenario.fault_start_s
    if start is None:
        start = phases.hold_start_s + max(3.0, phases.hold_s / 3.0)
    if spec.kind == "shove":
        return FaultWindow(check_id, start, start + spec.value / spec.speed, spec.magnitude, spec.unit)
    end = start + scenario.fault_duration_s
    if spec.kind == "param":
        # The window's ramps are centred on start / end, so the fault is half-built at start_s.
        half = FAULT_RAMP_S / 2
        weight = window(t_s, start + half, end - half, FAULT_RAMP_S)
        overrides.append((spec.param, spec.value, weight))
    return FaultWindow(check_id, start, end, spec.magnitude, spec.unit)
