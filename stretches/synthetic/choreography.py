"""What a stretch's motion is made of: named pose parameters over time, and the faults that bend them.

A stretch's staging function turns a `Cue` (parameter curves) into both people's scene landmarks. Faults do
not special-case any check: they only push a pose parameter (a lean, a knee bend, where a hand rests) to a
wrong value for a while, and the body geometry does the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from stretches.synthetic.skeleton import BodySize
from stretches.synthetic.timeline import Phases, breathing


@dataclass(frozen=True)
class Param:
    """A pose parameter: its value at rest, during a good hold, the breathing sway on top (same unit), and
    where it ends after the release (None = back to rest)."""

    rest: float
    hold: float
    sway: float = 0.0
    after: float | None = None


@dataclass(frozen=True)
class FaultSpec:
    """How a check's fault is produced.

    kind "param": `param` moves to `value` during the fault window (magnitude = the metric value it gives).
    kind "fast_entry": the entry runs at constant angular speed `value` (deg/s of the main parameter).
    kind "shove": during the hold, `param` (default: the main parameter) is pushed `value` further at
    `speed` per second, stays there a moment and eases back: a partner forcing the stretch.
    kind "hold_time": the hold lasts `value` × the stretch's hold limit (short: × minimum, long: × maximum).
    """

    kind: str
    magnitude: float
    unit: str
    param: str = ""
    value: float = 0.0
    speed: float = 0.0


@dataclass
class Cue:
    """Parameter curves (F,) for one simulated take, plus the phase curves the staging needs."""

    t_s: np.ndarray
    values: dict[str, np.ndarray]
    engagement: np.ndarray  # 0 rest → 1 hold
    contact: np.ndarray  # 0 partner's hands away → 1 on the client

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    @property
    def frames(self) -> int:
        return int(self.t_s.shape[0])


StageFn = Callable[[Cue, BodySize, BodySize], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class StretchMotion:
    """One stretch's choreography, drawn for the client's right side (the left side is its mirror image)."""

    stretch_id: str
    stage: StageFn
    params: dict[str, Param]
    main_param: str  # the parameter that moves the stretched joint (entry speed, jerks)
    main_span_deg: float | None = None  # main angle travel of the entry, when main_param is not in degrees
    faults: dict[str, FaultSpec] = field(default_factory=dict)
    entry_s: float = 4.0
    release_s: float = 3.5
    hold_s: float = 30.0  # a good hold, inside the spec's range
    hold_range_s: tuple[float, float] = (30.0, 30.0)


def parameter_curves(
    motion: StretchMotion,
    t_s: np.ndarray,
    phases: Phases,
    overrides: list[tuple[str, float, np.ndarray]] | None = None,
    sway_phase: float = 0.0,
) -> Cue:
    """Every parameter of `motion` over time; overrides are (param, fault value, weight (F,) in [0,1])."""
    engagement = phases.engagement(t_s)
    entered, released = phases.entry_progress(t_s), phases.release_progress(t_s)
    breath = breathing(t_s, 5.0, sway_phase)
    values: dict[str, np.ndarray] = {}
    for name, param in motion.params.items():
        after = param.rest if param.after is None else param.after
        level = param.rest + (param.hold - param.rest) * entered - (param.hold - after) * released
        values[name] = level + param.sway * breath * engagement
    for name, fault_value, weight in overrides or []:
        values[name] = values[name] * (1.0 - weight) + fault_value * weight
    return Cue(t_s=t_s, values=values, engagement=engagement, contact=phases.contact(t_s))
