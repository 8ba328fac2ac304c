"""The check engine: a track (or a live stream of frames) and a stretch in, events out.

One engine, two paths:
- `evaluate(track, ...)`: every metric of the stretch over the whole track at once (numpy), then the hold
  machine and one warning machine per check fed with maximal runs of frames that share a category.
- `LiveEvaluator.update(...)`: the same metric functions over a short history buffer (every metric is
  causal and needs at most `HISTORY_S` of the past; the facing tally, which looks further back, is kept as
  integer sums), the same machines fed one frame at a time.
A test holds the two paths to identical events.

Warnings: a check's metric is compared only in its phases (hold, or entry and hold). The condition must
last `debounce_s` before a warning starts (its start_s is when the condition began); it clears once the
metric stays back past threshold ∓ hysteresis for `CLEAR_S` (end_s = when it went back). Hidden landmarks
pause a check: a pending warning survives a dropped detection of up to `BRIDGE_GAP_S` (it still needs the
condition on both sides of the gap) and starts over after a longer one; an active warning survives gaps up
to `MAX_GAP_S` and otherwise ends when the landmarks were last seen.

Hold-only warnings are kept to the recorded holds (a warning raised by the release movement itself, which
the live gate notices a moment late, is dropped; one running on into the release is cut at the hold's end);
the live status may show such a warning briefly, the events never do.

common.not_visible is a status, not a warning: it is reported in `Events.not_visible` (key "not_visible"
in events.json, next to the spec's keys, which are all kept) with the paused check and the hidden landmark
names, and live in `LiveStatus.not_visible`. It never appears in `warnings`.

Times in events are seconds on the track's own clock (t_ms / 1000).
"""

from __future__ import annotations

import copy
import warnings as _warnings
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from stretches import metrics as m
from stretches import steadiness
from stretches.baseline import HoldBaseline, against_baseline
from stretches.catalog import Check, Stretch, get_stretch
from stretches.holds import (
    APPROACH,
    HOLD,
    PHASE_NAMES,
    REST,
    HoldMachine,
    HoldParams,
    HoldRecord,
    classify_moving,
    classify_zone,
    detect_holds,
    run_starts,
)
from stretches.thresholds import Thresholds
from vision.errors import StretchGuardError
from vision.track import Track

CLEAR_S = 0.3  # the metric must stay cleared this long before a warning ends
MAX_GAP_S = 1.0  # an active warning survives hidden landmarks this long
# Live history kept: the longest causal chain is the flicker gate (its window, over trunk lengths averaged
# over their own window) feeding landmark smoothing feeding the speed window (which may reach back over a
# detection gap); frames older than that cannot change the newest value.
HISTORY_S = (m.LANDMARK_SMOOTHING_S + m.SPEED_WINDOW_S + m.SPEED_GAP_BRIDGE_S + 0.25
             + steadiness.FLICKER_WINDOW_S + steadiness.TRUNK_WINDOW_S)
BRIDGE_GAP_S = 0.5  # a pending warning survives hidden frames this long (a dropped detection, not a change)
HOLD_MATCH_SLACK_S = 1.0  # a hold-only warning may start this long before its recorded hold

FACING_KEYS = (("client", "seated"), ("client", "standing"))  # the facings the lean metrics use

# Warning-machine input categories.
CAT_UNGATED, CAT_HIDDEN, CAT_CLEAR, CAT_BAND, CAT_BAD = 0, 1, 2, 3, 4


class RolesUnavailableError(StretchGuardError):
    """The client and partner could not be told apart."""


# ---------------------------------------------------------------- event records


def _r(value: float, digits: int = 4) -> float:
    return float(round(float(value), digits))


@dataclass(frozen=True)
class WarningRecord:
    check: str
    severity: str
    role: str
    start_s: float
    end_s: float
    peak: float
    threshold: float
    unit: str
    message: str

    def to_dict(self) -> dict:
        return {
            "check": self.check,
            "severity": self.severity,
            "role": self.role,
            "start_s": _r(self.start_s, 3),
            "end_s": _r(self.end_s, 3),
            "peak": _r(self.peak),
            "threshold": _r(self.threshold),
            "unit": self.unit,
            "message": self.message,
        }


@dataclass(frozen=True)
class NotVisibleRecord:
    """A check paused because landmarks it needs were hidden (common.not_visible); role = whose they are."""

    paused_check: str
    role: str
    start_s: float
    end_s: float
    hidden: tuple[str, ...]
    message: str
    check: str = "common.not_visible"
    severity: str = "info"

    def to_dict(self) -> dict:
        return {
            "check": self.check,
            "severity": self.severity,
            "paused_check": self.paused_check,
            "role": self.role,
            "start_s": _r(self.start_s, 3),
            "end_s": _r(self.end_s, 3),
            "hidden": list(self.hidden),
            "message": self.message,
        }


@dataclass
class Events:
    stretch: str
    duration_s: float
    roles: dict[str, int]
    holds: list[HoldRecord]
    warnings: list[WarningRecord]
    not_visible: list[NotVisibleRecord]
    coverage: dict[str, int]

    def to_dict(self) -> dict:
        """The spec's events.json (plus the documented "not_visible" list)."""
        return {
            "stretch": self.stretch,
            "duration_s": _r(self.duration_s, 3),
            "roles": dict(self.roles),
            "holds": [h.to_dict() for h in self.holds],
            "warnings": [w.to_dict() for w in self.warnings],
            "not_visible": [n.to_dict() for n in self.not_visible],
            "coverage": dict(self.coverage),
        }


@dataclass(frozen=True)
class MetricSeries:
    check: str
    title: str
    role: str
    t_s: np.ndarray
    values: np.ndarray  # NaN where the check cannot see
    threshold: float
    unit: str
    direction: str
    phases: str


@dataclass(frozen=True)
class ActiveWarning:
    check: str
    role: str
    severity: str
    message: str
    value: float
    threshold: float
    unit: str
    since_s: float


@dataclass(frozen=True)
class NotVisibleNote:
    check: str  # the paused check
    role: str
    hidden: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class LiveStatus:
    t_s: float
    phase: str  # rest | approach | hold | release
    hold_elapsed_s: float
    hold_target_s: float  # the stretch's minimum hold time: the goal to reach
    hold_range_s: tuple[float, float]
    side: str | None
    main_angle_deg: float
    warnings: tuple[ActiveWarning, ...]
    not_visible: tuple[NotVisibleNote, ...]


# ---------------------------------------------------------------- warning machine


def _badness(values: np.ndarray, direction: str) -> np.ndarray:
    """Values oriented so that larger is always worse."""
    return values if direction == "above" else -values


def classify_check(
    values: np.ndarray, gated: np.ndarray, check: Check, phase_unknown: np.ndarray | None = None
) -> np.ndarray:
    """int8 category per frame for the warning machine.

    A frame where the check cannot see is "hidden" (reported as common.not_visible) when the check is in
    its phase, and also when the phase itself is unknown because the main angle is hidden too: the user
    may be mid-stretch, so the pause must be reported rather than silently skipped.
    """
    bad = _badness(values, check.direction)
    limit = _badness(np.float64(check.default_threshold), check.direction)
    cat = np.full(values.shape, CAT_BAND, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        cat[bad > limit] = CAT_BAD
        cat[bad < limit - check.hysteresis] = CAT_CLEAR
    hidden = ~np.isfinite(values)
    cat[hidden] = CAT_HIDDEN
    off = ~gated if phase_unknown is None else ~gated & ~(hidden & phase_unknown)
    cat[off] = CAT_UNGATED
    return cat


def _hidden_role(hidden: tuple[str, ...], fallback: str) -> str:
    """Whose landmarks are missing ("client.left_knee" → client); the check's role when none are named."""
    return hidden[0].split(".", 1)[0] if hidden else fallback


def _first_reaching(t_s: np.ndarray, i: int, since: float, wait_s: float) -> int | None:
    k = max(int(np.searchsorted(t_s, since + wait_s, side="left")), i)
    while k < t_s.shape[0] and t_s[k] - since < wait_s:
        k += 1
    while k > i and t_s[k - 1] - since >= wait_s:
        k -= 1
    return k if k < t_s.shape[0] else None


@dataclass
class WarningMachine:
    """Debounce + hysteresis + visibility pause for one check; fed runs of frames sharing a category."""

    check: Check
    names: tuple[str, ...]  # landmark names, one per bit of the hidden mask
    min_hidden_s: float = 0.5  # common.not_visible threshold: shorter pauses are not reported
    records: list[WarningRecord] = field(default_factory=list)
    hidden_records: list[NotVisibleRecord] = field(default_factory=list)
    pending_since: float | None = None
    pending_peak: float = -np.inf
    active_since: float | None = None
    active_peak: float = -np.inf
    clearing_since: float | None = None
    last_visible_s: float | None = None
    hidden_since: float | None = None
    hidden_mask: int = 0
    last_t_s: float | None = None

    def feed(self, t_s: np.ndarray, badness: np.ndarray, cat: int, hidden_mask: np.ndarray | None) -> None:
        n = t_s.shape[0]
        i = 0
        while i < n:
            i = self._advance(t_s, badness, i, cat, hidden_mask)
        if n:
            self.last_t_s = float(t_s[-1])
            if cat >= CAT_CLEAR:
                self.last_visible_s = float(t_s[-1])

    @property
    def active(self) -> bool:
        return self.active_since is not None

    def _open(self, start: float, peak: float) -> None:
        self.active_since = start
        self.active_peak = peak
        self.pending_since = None
        self.pending_peak = -np.inf
        self.clearing_since = None

    def _close(self, end_s: float) -> None:
        assert self.active_since is not None
        sign = 1.0 if self.check.direction == "above" else -1.0
        self.records.append(
            WarningRecord(
                check=self.check.id,
                severity=self.check.severity,
                role=self.check.role,
                start_s=self.active_since,
                end_s=max(end_s, self.active_since),
                peak=sign * self.active_peak,
                threshold=self.check.default_threshold,
                unit=self.check.unit,
                message=self.check.message,
            )
        )
        self.active_since = None
        self.active_peak = -np.inf
        self.clearing_since = None

    def _close_hidden(self, end_s: float) -> None:
        if self.hidden_since is not None and end_s - self.hidden_since >= self.min_hidden_s:
            hidden = tuple(name for bit, name in enumerate(self.names) if self.hidden_mask >> bit & 1)
            what = ", ".join(hidden) if hidden else "the pose"
            self.hidden_records.append(
                NotVisibleRecord(
                    paused_check=self.check.id,
                    role=_hidden_role(hidden, self.check.role),
                    start_s=self.hidden_since,
                    end_s=end_s,
                    hidden=hidden,
                    message=f"{self.check.title} paused: the camera cannot see {what}.",
                )
            )
        self.hidden_since = None
        self.hidden_mask = 0

    def _advance(self, t_s: np.ndarray, bad: np.ndarray, i: int, cat: int, mask: np.ndarray | None) -> int:
        n = t_s.shape[0]
        if cat != CAT_HIDDEN and self.hidden_since is not None:
            self._close_hidden(float(t_s[i]))
        if cat == CAT_UNGATED:
            if self.active:
                self._close(float(t_s[i]))
            self.pending_since = None
            self.pending_peak = -np.inf
            return n
        if cat == CAT_HIDDEN:
            if self.hidden_since is None:
                self.hidden_since = float(t_s[i])
            if mask is not None:
                self.hidden_mask |= int(np.bitwise_or.reduce(mask[i:n]))
            if self.active:
                last = self.last_visible_s if self.last_visible_s is not None else float(t_s[i])
                k = _first_reaching(t_s, i, last, MAX_GAP_S + 1e-9)
                if k is not None:
                    self._close(last)
            return n
        if cat == CAT_CLEAR:
            self.pending_since = None
            self.pending_peak = -np.inf
            if not self.active:
                return n
            if self.clearing_since is None:
                self.clearing_since = float(t_s[i])
            k = _first_reaching(t_s, i, self.clearing_since, CLEAR_S)
            if k is None:
                return n
            self._close(self.clearing_since)
            return k
        if cat == CAT_BAND:
            self.pending_since = None
            self.pending_peak = -np.inf
            self.clearing_since = None
            if self.active:
                self.active_peak = max(self.active_peak, float(np.nanmax(bad[i:n])))
            return n
        # CAT_BAD
        self.clearing_since = None
        if self.active:
            self.active_peak = max(self.active_peak, float(np.max(bad[i:n])))
            return n
        # Frames more than BRIDGE_GAP_S apart (hidden frames before this run, or a stream that skipped
        # frames inside it) restart the debounce: never assume what happened in between.
        prev = self.last_visible_s
        start = i
        while start < n:
            if self.pending_since is not None and prev is not None and t_s[start] - prev > BRIDGE_GAP_S:
                self.pending_since = None
                self.pending_peak = -np.inf
            gaps = np.flatnonzero(np.diff(t_s[start:n]) > BRIDGE_GAP_S)
            stop = start + int(gaps[0]) + 1 if gaps.size else n
            if self.pending_since is None:
                self.pending_since = float(t_s[start])
            k = _first_reaching(t_s, start, self.pending_since, self.check.debounce_s)
            if k is not None and k < stop:
                self.pending_peak = max(self.pending_peak, float(np.max(bad[start : k + 1])))
                self._open(self.pending_since, self.pending_peak)
                if k + 1 < n:
                    self.active_peak = max(self.active_peak, float(np.max(bad[k + 1 : n])))
                return n
            self.pending_peak = max(self.pending_peak, float(np.max(bad[start:stop])))
            prev = float(t_s[stop - 1])
            start = stop
        return n

    def finish(self, end_s: float | None) -> tuple[list[WarningRecord], list[NotVisibleRecord]]:
        """Records including ones still open at the last frame (leaves this machine unchanged)."""
        clone = copy.deepcopy(self)
        if end_s is not None:
            if clone.active:
                clone._close(end_s)
            if clone.hidden_since is not None:
                clone._close_hidden(end_s)
        return clone.records, clone.hidden_records


# ---------------------------------------------------------------- shared evaluation core


def _resolve_roles(track: Track, stretch: Stretch, roles: dict[str, int] | None) -> dict[str, int]:
    if roles is not None:
        return dict(roles)
    stored = track.role_index()
    if stored and "client" in stored:
        return stored
    if track.num_people == 1:
        return {"client": 0}
    try:
        from stretches.roles import stretch_roles

        return stretch_roles(stretch, track.landmarks, track.image_size)
    except NotImplementedError:
        raise RolesUnavailableError(
            "cannot tell the client from the partner yet; pass roles={'client': p, 'partner': q}"
        ) from None


def _hidden_masks(pf: m.PoseFrames, check: Check) -> np.ndarray:
    """int64 (F,) bit b set when the check's b-th required landmark is hidden."""
    mask = np.zeros(pf.num_frames, dtype=np.int64)
    for bit, (role, lm) in enumerate(check.landmarks):
        mask |= (~pf.visible[role][:, int(lm)]).astype(np.int64) << bit
    return mask


def _judged_values(pf: m.PoseFrames, check: Check, phases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the values a check compares with its threshold, the frames it judges): its metric, or for a check
    with a baseline the metric's distance from its resting value (stretches/baseline.py)."""
    values, gate = _check_values(pf, check), _gate(phases, check)
    if check.baseline_s <= 0:
        return values, gate
    values, settled = against_baseline(pf.t_s, values, gate, phases == REST, check.baseline_s)
    return values, gate & settled


def _chart_values(pf: m.PoseFrames, check: Check, phases: np.ndarray) -> np.ndarray:
    """What a chart of the check shows: its metric, or for a check with a baseline its distance from rest
    where it judges (a distance from a rest that has not been taken yet means nothing)."""
    values, judged = _judged_values(pf, check, phases)
    return np.where(judged, values, np.nan) if check.baseline_s > 0 else values


def _check_values(pf: m.PoseFrames, check: Check) -> np.ndarray:
    assert check.metric is not None
    raw = np.asarray(check.metric(pf), dtype=np.float64)
    if check.unit == "deg/s":  # speeds are already window-averaged
        return raw
    return m.smooth(raw, pf.t_s)


@dataclass
class _Setup:
    stretch: Stretch
    checks: list[Check]  # frame checks, thresholds applied, enabled only
    hold_checks: dict[str, Check]
    params: HoldParams
    not_visible_min_s: float


def _setup(stretch_id: str, thresholds: Thresholds | None) -> _Setup:
    stretch = get_stretch(stretch_id)
    thresholds = thresholds or Thresholds()
    checks = [
        thresholds.apply(c) for c in stretch.checks if c.kind == "frame" and thresholds.is_enabled(c.id)
    ]
    hold_checks = {
        c.id: thresholds.apply(c) for c in stretch.checks if c.kind == "hold" and thresholds.is_enabled(c.id)
    }
    short = hold_checks.get("common.hold_short")
    long = hold_checks.get("common.hold_long")
    params = HoldParams(
        engage_deg=stretch.engage_deg,
        engage_hysteresis_deg=stretch.engage_hysteresis_deg,
        hold_range_s=stretch.hold_range_s,
        short_tolerance_s=short.default_threshold if short else float("inf"),
        long_tolerance_s=long.default_threshold if long else float("inf"),
    )
    not_visible = next((c for c in stretch.checks if c.kind == "status"), None)
    nv_min = thresholds.apply(not_visible).default_threshold if not_visible else 0.5
    if not thresholds.is_enabled("common.not_visible"):
        nv_min = float("inf")  # switched off: pauses still happen, they are just not reported
    return _Setup(stretch, checks, hold_checks, params, nv_min)


def _main_series(pf: m.PoseFrames, stretch: Stretch) -> tuple[np.ndarray, np.ndarray]:
    assert stretch.main_angle is not None
    raw = m.angle_cached(pf, stretch.main_angle)
    return m.smooth(raw, pf.t_s), m.speed_cached(pf, stretch.main_angle)


def _side_series(pf: m.PoseFrames, stretch: Stretch) -> np.ndarray | None:
    if not stretch.per_side or stretch.side_metric is None:
        return None
    return np.asarray(stretch.side_metric(pf), dtype=np.float64)


def _gate(phases: np.ndarray, check: Check) -> np.ndarray:
    if check.phases == "entry_and_hold":
        return (phases == HOLD) | (phases == APPROACH)
    return phases == HOLD


def _hold_warnings(holds: list[HoldRecord], hold_checks: dict[str, Check], params: HoldParams) -> list:
    low, high = params.hold_range_s
    out: list[WarningRecord] = []
    for hold in holds:
        duration = hold.end_s - hold.start_s
        long = hold_checks.get("common.hold_long")
        if long is not None and duration - high > long.default_threshold:
            out.append(_hold_record(long, hold.start_s + high, hold.end_s, duration - high))
        short = hold_checks.get("common.hold_short")
        if short is not None and hold.status == "short":
            out.append(_hold_record(short, hold.start_s, hold.end_s, low - duration))
    return out


def _hold_record(check: Check, start_s: float, end_s: float, peak: float) -> WarningRecord:
    return WarningRecord(
        check=check.id,
        severity=check.severity,
        role=check.role,
        start_s=start_s,
        end_s=end_s,
        peak=peak,
        threshold=check.default_threshold,
        unit=check.unit,
        message=check.message,
    )


def _within_holds(records: list[WarningRecord], holds: list[HoldRecord]) -> list[WarningRecord]:
    """Hold-only warnings trimmed to the recorded holds.

    Gating follows the live hold detection, which notices a release a moment after it began; the recorded
    hold ends where the angle left its plateau, so a warning raised by the release movement itself is
    dropped and one that ran on into the release is cut at the hold's end.
    """
    kept: list[WarningRecord] = []
    for record in records:
        for hold in holds:
            if (
                hold.start_s - HOLD_MATCH_SLACK_S <= record.start_s < hold.end_s
                and record.end_s >= hold.start_s
            ):
                if record.end_s > hold.end_s:
                    record = replace(record, end_s=hold.end_s)
                kept.append(record)
                break
    return kept


def _outside_releases(records: list[WarningRecord], holds: list[HoldRecord]) -> list[WarningRecord]:
    """Entry-and-hold warnings without those raised by a release movement.

    Such a check judges the way into a stretch and the hold, not the way out; but the live gating notices a
    release only `release_confirm_s` after the angle left its plateau, so a quick release could fire a warning
    in that lag (6 of common.jerky_motion's 20 false warnings on the rendered evaluation set).
    """
    return [
        record for record in records
        if not any(hold.released_s is not None and hold.end_s <= record.start_s < hold.released_s
                   for hold in holds)
    ]


def _coverage(landmarks: np.ndarray, roles: dict[str, int]) -> dict[str, int]:
    frames = int(landmarks.shape[0])
    client = roles.get("client")
    partner = roles.get("partner")
    if client is None or partner is None or max(client, partner) >= landmarks.shape[1]:
        both = 0
    else:
        # A detected person has all 33 landmarks, an absent one none: two of them tell.
        probe = landmarks[:, [client, partner]][:, :, [0, 23], 0]  # nose and left hip x, (F, 2, 2)
        present = np.isfinite(probe).any(axis=-1)
        both = int(np.count_nonzero(present[:, 0] & present[:, 1]))
    return {"frames": frames, "frames_both_people": both}


def _sort_key(record: WarningRecord | NotVisibleRecord) -> tuple:
    return (record.start_s, record.check, getattr(record, "paused_check", ""), record.end_s)


def _assemble(
    setup: _Setup,
    duration_s: float,
    roles: dict[str, int],
    hold_machine: HoldMachine,
    machines: list[WarningMachine],
    coverage: dict[str, int],
    end_s: float | None,
) -> Events:
    holds = hold_machine.finish()
    warning_records: list[WarningRecord] = []
    hidden_records: list[NotVisibleRecord] = []
    for machine in machines:
        done, hidden = machine.finish(end_s)
        if machine.check.phases == "hold":
            done = _within_holds(done, holds)
        else:
            done = _outside_releases(done, holds)
        warning_records.extend(done)
        hidden_records.extend(hidden)
    warning_records.extend(_hold_warnings(holds, setup.hold_checks, setup.params))
    return Events(
        stretch=setup.stretch.id,
        duration_s=duration_s,
        roles=dict(roles),
        holds=holds,
        warnings=sorted(warning_records, key=_sort_key),
        not_visible=sorted(hidden_records, key=_sort_key),
        coverage=coverage,
    )


# ---------------------------------------------------------------- batch path


def evaluate(
    track: Track,
    stretch_id: str,
    thresholds: Thresholds | None = None,
    roles: dict[str, int] | None = None,
) -> Events:
    """All checks of a stretch over a whole track → Events (holds, warnings, not-visible, coverage)."""
    setup = _setup(stretch_id, thresholds)
    stretch = setup.stretch
    roles = _resolve_roles(track, stretch, roles)
    pf = m.pose_frames(track.t_ms, track.landmarks, track.world, roles, track.image_size)
    t_s = pf.t_s

    main, speed = _main_series(pf, stretch)
    side = _side_series(pf, stretch)
    phases, hold_machine = detect_holds(t_s, main, speed, setup.params, side)

    machines: list[WarningMachine] = []
    phase_unknown = ~np.isfinite(main)
    for check in setup.checks:
        values, gate = _judged_values(pf, check, phases)
        cat = classify_check(values, gate, check, phase_unknown)
        bad = _badness(values, check.direction)
        masks = _hidden_masks(pf, check)
        machine = WarningMachine(check, tuple(check.landmark_names()), setup.not_visible_min_s)
        run = run_starts(cat)
        edges = np.append(run, pf.num_frames)
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            machine.feed(t_s[a:b], bad[a:b], int(cat[a]), masks[a:b] if cat[a] == CAT_HIDDEN else None)
        machines.append(machine)

    end_s = float(t_s[-1]) if pf.num_frames else None
    return _assemble(
        setup, track.duration_s, roles, hold_machine, machines, _coverage(track.landmarks, roles), end_s
    )


def metric_series(
    track: Track,
    stretch_id: str,
    roles: dict[str, int] | None = None,
    thresholds: Thresholds | None = None,
) -> dict[str, MetricSeries]:
    """check id → the values the engine compares (NaN where it cannot see), for charts and tuning.

    Also includes "main_angle" (the hold detector's input, deg) under the key "<stretch>.main_angle".
    """
    setup = _setup(stretch_id, thresholds)
    stretch = setup.stretch
    roles = _resolve_roles(track, stretch, roles)
    pf = m.pose_frames(track.t_ms, track.landmarks, track.world, roles, track.image_size)
    main, speed = _main_series(pf, stretch)
    phases, _ = detect_holds(pf.t_s, main, speed, setup.params, _side_series(pf, stretch))
    series: dict[str, MetricSeries] = {}
    all_frame_checks = [(thresholds or Thresholds()).apply(c) for c in stretch.checks if c.kind == "frame"]
    for check in all_frame_checks:
        series[check.id] = MetricSeries(
            check=check.id,
            title=check.title,
            role=check.role,
            t_s=pf.t_s,
            values=_chart_values(pf, check, phases),
            threshold=check.default_threshold,
            unit=check.unit,
            direction=check.direction,
            phases=check.phases,
        )
    series[f"{stretch.id}.main_angle"] = MetricSeries(
        check=f"{stretch.id}.main_angle",
        title=f"Main angle: {stretch.main_angle_description}",
        role="client",
        t_s=pf.t_s,
        values=main,
        threshold=stretch.engage_deg,
        unit="deg",
        direction="above",
        phases="entry_and_hold",
    )
    return series


# ---------------------------------------------------------------- live path


class LiveEvaluator:
    """Frame-by-frame twin of `evaluate` for the live view; `events()` equals evaluate() on the same frames.

    image_size (width, height) converts normalised landmarks to pixels; pass it here or with each update.
    roles: {"client": p, "partner": q} person indices in the landmarks given to update(); default 0 / 1.
    """

    def __init__(
        self,
        stretch_id: str,
        thresholds: Thresholds | None = None,
        roles: dict[str, int] | None = None,
        image_size: tuple[int, int] | None = None,
    ) -> None:
        self._setup = _setup(stretch_id, thresholds)
        self.stretch = self._setup.stretch
        self.roles = dict(roles) if roles is not None else {"client": 0, "partner": 1}
        self.image_size = image_size or (640, 480)
        self._buffer: deque[tuple[int, np.ndarray, np.ndarray | None]] = deque()
        self._hold = HoldMachine(self._setup.params)
        self._machines = [
            WarningMachine(c, tuple(c.landmark_names()), self._setup.not_visible_min_s)
            for c in self._setup.checks
        ]
        self._baselines = {c.id: HoldBaseline(c.baseline_s) for c in self._setup.checks if c.baseline_s > 0}
        self._frames = 0
        self._frames_both = 0
        self._first_t_ms: int | None = None
        self._last_t_ms: int | None = None
        self._people = 0
        # Facing tallies: the batch path takes a majority over FACING_WINDOW_S of per-frame votes, longer
        # than the buffer, so the live path keeps the votes (and each buffered frame's facing) itself.
        self._votes: dict[tuple[str, str], deque[tuple[float, int]]] = {k: deque() for k in FACING_KEYS}
        self._vote_sums: dict[tuple[str, str], int] = {k: 0 for k in FACING_KEYS}
        self._facing: dict[tuple[str, str], deque[float]] = {k: deque() for k in FACING_KEYS}
        # Each person's own bone lengths come from every frame so far, not just the buffer: the live path
        # keeps the running reference and each buffered frame's ratio to it (stretches/steadiness.py).
        self._skeletons = {role: steadiness.SkeletonReference() for role in self.roles}
        self._skeleton_ratios: dict[str, deque[float]] = {role: deque() for role in self.roles}

    def update(
        self,
        t_ms: int,
        landmarks: np.ndarray,
        world: np.ndarray | None = None,
        image_size: tuple[int, int] | None = None,
    ) -> LiveStatus:
        """Add one frame: landmarks float (P, 33, 4) normalised, world (P, 33, 3) metres or None."""
        t_ms = int(t_ms)
        if self._last_t_ms is not None and t_ms <= self._last_t_ms:
            _warnings.warn("LiveEvaluator: a frame with a non-increasing timestamp was skipped", stacklevel=2)
            return self._last_status
        if image_size is not None:
            self.image_size = (int(image_size[0]), int(image_size[1]))
        landmarks = np.asarray(landmarks, dtype=np.float32)
        world = None if world is None else np.asarray(world, dtype=np.float32)
        if self._first_t_ms is None:
            self._first_t_ms = t_ms
        self._last_t_ms = t_ms
        self._people = max(self._people, landmarks.shape[0])
        self._buffer.append((t_ms, landmarks, world))
        self._tally_skeletons(world)
        while self._buffer and (t_ms - self._buffer[0][0]) > HISTORY_S * 1000:
            self._buffer.popleft()
            for history in (*self._facing.values(), *self._skeleton_ratios.values()):
                history.popleft()  # the newest frame, never dropped, has no facing yet
        self._count_coverage(landmarks)

        t_arr, lm_arr, w_arr = self._stacked()
        ratios = {role: np.array(ratio, dtype=np.float64) for role, ratio in self._skeleton_ratios.items()}
        pf = m.pose_frames(t_arr, lm_arr, w_arr, self.roles, self.image_size, skeleton_ratios=ratios)
        self._tally_facing(pf)
        for key, history in self._facing.items():
            pf.facing[key] = np.array(history, dtype=np.float64)
        now = pf.t_s[-1:]
        main, speed = _main_series(pf, self.stretch)
        side = _side_series(pf, self.stretch)
        zone = classify_zone(
            main[-1:], self._setup.params.engage_deg, self._setup.params.engage_hysteresis_deg
        )
        moving = classify_moving(speed[-1:], self._setup.params.steady_deg_s)
        phase = int(
            self._hold.feed(
                now, int(zone[0]), int(moving[0]), None if side is None else side[-1:], main[-1:]
            )[0]
        )

        active: list[ActiveWarning] = []
        hidden_notes: list[NotVisibleNote] = []
        phases = np.array([phase], dtype=np.int8)
        phase_unknown = ~np.isfinite(main[-1:])
        for machine in self._machines:
            check = machine.check
            values, gate = _check_values(pf, check)[-1:], _gate(phases, check)
            baseline = self._baselines.get(check.id)
            if baseline is not None:
                value, settled = baseline.feed(float(now[0]), float(values[0]), bool(gate[0]), phase == REST)
                values, gate = np.array([value]), gate & settled
            cat = classify_check(values, gate, check, phase_unknown)
            bad = _badness(values, check.direction)
            mask = _hidden_masks(pf, check)[-1:]
            machine.feed(now, bad, int(cat[0]), mask if cat[0] == CAT_HIDDEN else None)
            if machine.active:
                active.append(
                    ActiveWarning(
                        check=check.id,
                        role=check.role,
                        severity=check.severity,
                        message=check.message,
                        value=float(values[0]),
                        threshold=check.default_threshold,
                        unit=check.unit,
                        since_s=float(machine.active_since),
                    )
                )
            if cat[0] == CAT_HIDDEN:
                names = tuple(n for bit, n in enumerate(machine.names) if int(mask[0]) >> bit & 1)
                what = ", ".join(names) if names else "the pose"
                hidden_notes.append(
                    NotVisibleNote(
                        check.id,
                        _hidden_role(names, check.role),
                        names,
                        f"{check.title} paused: cannot see {what}.",
                    )
                )

        now_s = float(now[0])
        long = self._setup.hold_checks.get("common.hold_long")
        elapsed = self._hold.elapsed_s(now_s)
        high = self.stretch.hold_range_s[1]
        if long is not None and phase == HOLD and elapsed - high > long.default_threshold:
            active.append(
                ActiveWarning(
                    check=long.id,
                    role=long.role,
                    severity=long.severity,
                    message=long.message,
                    value=elapsed - high,
                    threshold=long.default_threshold,
                    unit=long.unit,
                    since_s=float(self._hold.hold_start_s or now_s) + high,
                )
            )
        self._last_status = LiveStatus(
            t_s=now_s,
            phase=PHASE_NAMES[phase],
            hold_elapsed_s=elapsed,
            hold_target_s=float(self.stretch.hold_range_s[0]),
            hold_range_s=self.stretch.hold_range_s,
            side=self._hold.current_side() if self.stretch.per_side else None,
            main_angle_deg=float(main[-1]),
            warnings=tuple(active),
            not_visible=tuple(hidden_notes),
        )
        return self._last_status

    def events(self) -> Events:
        """Events so far, closing anything still open at the last frame (the evaluator can go on)."""
        duration = 0.0
        if self._first_t_ms is not None and self._last_t_ms is not None:
            duration = (self._last_t_ms - self._first_t_ms) / 1000.0
        end_s = None if self._last_t_ms is None else self._last_t_ms / 1000.0
        coverage = {"frames": self._frames, "frames_both_people": self._frames_both}
        return _assemble(self._setup, duration, self.roles, self._hold, self._machines, coverage, end_s)

    # -------------------------------------------------------------- helpers

    def _tally_facing(self, pf: m.PoseFrames) -> None:
        """Add the newest frame's facing votes and record its facing (as facing_from_votes would).

        The votes come from the buffered frames' own gated landmarks, so a landmark the steadiness gates
        hide (a flickering joint, a pose spread over both bodies) votes neither here nor in the batch path.
        """
        now_s = float(pf.t_s[-1])
        for key in FACING_KEYS:
            vote = int(m.facing_votes(pf, *key)[-1])
            votes = self._votes[key]
            votes.append((now_s, vote))
            self._vote_sums[key] += vote
            while votes and votes[0][0] <= now_s - m.FACING_WINDOW_S:
                self._vote_sums[key] -= votes.popleft()[1]
            total = self._vote_sums[key]
            sign = float(np.sign(total)) if total else float(np.sign(vote))
            self._facing[key].append(sign if sign else np.nan)

    def _tally_skeletons(self, world: np.ndarray | None) -> None:
        """Feed the newest frame to each person's running bone-length reference and record its ratio."""
        for role, index in self.roles.items():
            person = None if world is None or index >= world.shape[0] else world[index]
            self._skeleton_ratios[role].append(self._skeletons[role].feed(person))

    def _count_coverage(self, landmarks: np.ndarray) -> None:
        self._frames += 1
        present = ~np.isnan(landmarks[..., 0]).all(axis=-1)
        client, partner = self.roles.get("client"), self.roles.get("partner")
        if (
            client is not None
            and partner is not None
            and max(client, partner) < landmarks.shape[0]
            and present[client]
            and present[partner]
        ):
            self._frames_both += 1

    def _stacked(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        people = self._people
        t = np.array([item[0] for item in self._buffer], dtype=np.int64)
        lm = np.full((len(self._buffer), people, 33, 4), np.nan, dtype=np.float32)
        has_world = any(item[2] is not None for item in self._buffer)
        w = np.full((len(self._buffer), people, 33, 3), np.nan, dtype=np.float32) if has_world else None
        for k, (_t, frame_lm, frame_w) in enumerate(self._buffer):
            lm[k, : frame_lm.shape[0]] = frame_lm
            if w is not None and frame_w is not None:
                w[k, : frame_w.shape[0]] = frame_w
        return t, lm, w


__all__ = [
    "ActiveWarning",
    "Events",
    "LiveEvaluator",
    "LiveStatus",
    "MetricSeries",
    "NotVisibleNote",
    "NotVisibleRecord",
    "RolesUnavailableError",
    "WarningRecord",
    "evaluate",
    "metric_series",
]
