"""The hold state machine: rest → approach → hold → release, on timestamps (never frame counts).

One machine serves both evaluation paths. It consumes *runs*: consecutive frames that share one input
category (engagement zone × moving/steady). The batch path feeds maximal runs found with numpy; the live
path feeds runs of one frame. Every timer compares timestamps inside the run, so both give the same result,
and dropped frames only shorten a run, never stretch a timer.

Inputs per frame: the stretch's main angle (larger = deeper) classified into a zone against the stretch's
engage angle with hysteresis, and its angular speed (steady below `steady_deg_s`).
- rest → approach: the main angle moves, or is already past the engage angle.
- approach → hold: past the engage angle and steady. Warnings are gated from that frame.
- hold → release: the angle stays below engage - hysteresis for `release_confirm_s`, or the landmarks stay
  hidden longer than `max_gap_s` (the hold then ends when they were last seen). Holds shorter than
  `min_hold_s` are dropped as blips.
- The recorded start / end are where the main angle reached / left its plateau (median level within 5 %
  of the entry's excursion), found from the angle history when the hold closes: the speed test that
  gates warnings lags a real release by a fraction of a second.
- approach / release → rest: outside the engage zone and steady for `settle_s`.
- A hold is judged short only if its whole length was seen: the client was seen outside the stretch before
  it (for `release_confirm_s`, since the recording began or the camera last lost them past `max_gap_s`) and
  the camera did not lose them before its release. Otherwise it is incomplete: it may have been longer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

REST, APPROACH, HOLD, RELEASE = 0, 1, 2, 3
PHASE_NAMES = ("rest", "approach", "hold", "release")

# (t, angle, in_hold, hold level, base) of the current approach and hold: see HoldMachine._angle_history.
_AngleHistory = tuple[np.ndarray, np.ndarray, np.ndarray, float, float]

# Zone codes of the main angle.
ZONE_HIDDEN, ZONE_OUT, ZONE_BAND, ZONE_IN = 0, 1, 2, 3
# Motion codes of the main angle's speed.
STEADY, MOVING, UNKNOWN = 0, 1, 2


@dataclass(frozen=True)
class HoldParams:
    engage_deg: float
    engage_hysteresis_deg: float
    hold_range_s: tuple[float, float]
    steady_deg_s: float = 15.0  # below this main-angle speed the joint counts as still
    settle_s: float = 1.0  # outside the zone and still this long → rest
    max_gap_s: float = 2.0  # landmarks hidden longer than this end a hold
    release_confirm_s: float = 0.5  # the angle must stay out of the zone this long to end a hold
    min_hold_s: float = 3.0  # shorter holds are blips, not holds
    short_tolerance_s: float = 2.0  # common.hold_short threshold
    long_tolerance_s: float = 5.0  # common.hold_long threshold


@dataclass(frozen=True)
class HoldRecord:
    """One hold. status: ok | short | long | incomplete (the recording began or ended during it)."""

    start_s: float
    end_s: float
    side: str | None
    status: str
    target_s: tuple[float, float]
    # When the live detection noticed the release (it lags the recorded end by `release_confirm_s`): until
    # then warnings stayed gated on. Not part of events.json.
    released_s: float | None = None

    @property
    def duration_s(self) -> float:
        return round(self.end_s - self.start_s, 3)

    def to_dict(self) -> dict:
        return {
            "side": self.side,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "duration_s": self.duration_s,
            "target_s": [float(self.target_s[0]), float(self.target_s[1])],
            "status": self.status,
        }


def classify_zone(main_angle: np.ndarray, engage_deg: float, hysteresis_deg: float) -> np.ndarray:
    """int8 zone per frame: hidden (NaN), out (< engage - hysteresis), band, in (>= engage)."""
    zone = np.full(main_angle.shape, ZONE_BAND, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        zone[main_angle >= engage_deg] = ZONE_IN
        zone[main_angle < engage_deg - hysteresis_deg] = ZONE_OUT
    zone[~np.isfinite(main_angle)] = ZONE_HIDDEN
    return zone


def classify_moving(speed_deg_s: np.ndarray, steady_deg_s: float) -> np.ndarray:
    """int8 motion code per frame: steady, moving or unknown (no speed yet: starts no hold, no move)."""
    code = np.full(speed_deg_s.shape, UNKNOWN, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        code[speed_deg_s < steady_deg_s] = STEADY
        code[speed_deg_s >= steady_deg_s] = MOVING
    return code


def hold_status(duration_s: float, params: HoldParams, complete: bool) -> str:
    low, high = params.hold_range_s
    if duration_s - high > params.long_tolerance_s:
        return "long"
    if low - duration_s > params.short_tolerance_s:
        # Short as seen; a hold whose start or end was not seen may really have been longer.
        return "short" if complete else "incomplete"
    return "ok"


@dataclass
class HoldMachine:
    params: HoldParams
    state: int = REST
    hold_start_s: float | None = None
    last_seen_s: float | None = None
    last_steady_s: float | None = None
    settle_since_s: float | None = None
    out_since_s: float | None = None
    side_left: int = 0
    side_right: int = 0
    holds: list[HoldRecord] = field(default_factory=list)
    last_t_s: float | None = None
    first_t_s: float | None = (
        None  # the first frame seen: a hold already under way then was not seen to start
    )
    # The camera lost the client during the last hold: until the next rest, a hold's start was not seen.
    after_gap: bool = False
    # The client has been seen outside the stretch (for `release_confirm_s`: a dip of a frame or two is
    # noise) since the recording began or the camera last lost them for longer than `max_gap_s`: only
    # then was the way into the next hold seen, and its length known.
    out_seen: bool = False
    out_zone_since_s: float | None = None
    hold_start_unseen: bool = False
    # Main-angle history of the current approach and hold: (t, angle, in_hold) chunks, for the record's times.
    history: list[tuple[np.ndarray, np.ndarray, bool]] = field(default_factory=list)

    # -------------------------------------------------------------- public

    def feed(
        self,
        t_s: np.ndarray,
        zone: int,
        motion: int,
        side: np.ndarray | None = None,
        angle: np.ndarray | None = None,
    ) -> np.ndarray:
        """Process one run of frames sharing (zone, motion code); returns the phase code of each frame.

        side: per frame 1.0 = left worked, 0.0 = right, NaN unknown (per-side stretches), else None.
        angle: the main angle per frame; with it a closed hold's start and end are placed where the angle
        reached / left its plateau, rather than where the (lagging) speed test noticed.
        Closed holds are appended to `self.holds`.
        """
        n = t_s.shape[0]
        if n > 1 and zone != ZONE_HIDDEN:
            # frames further apart than max_gap_s lose sight of the client between them: feed the run in
            # pieces cut there, as the live path (one frame at a time) sees it
            cuts = np.flatnonzero(np.diff(t_s) > self.params.max_gap_s) + 1
            if cuts.size:
                pieces = np.split(np.arange(n), cuts)
                return np.concatenate([self.feed(t_s[k], zone, motion, None if side is None else side[k],
                                                 None if angle is None else angle[k]) for k in pieces])
        phases = np.empty(n, dtype=np.int8)
        if n and self.first_t_s is None:
            self.first_t_s = float(t_s[0])
        if n and zone != ZONE_HIDDEN:
            lost_s = None if self.last_seen_s is None else float(t_s[0]) - self.last_seen_s
            if lost_s is not None and lost_s > self.params.max_gap_s:
                self.out_seen = False
                self.out_zone_since_s = None
            if zone != ZONE_OUT:
                self.out_zone_since_s = None
            else:
                if self.out_zone_since_s is None:
                    self.out_zone_since_s = float(t_s[0])
                if float(t_s[-1]) - self.out_zone_since_s >= self.params.release_confirm_s:
                    self.out_seen = True
        i = 0
        while i < n:
            before = self.state
            j, transition = self._advance(t_s, i, zone, motion)
            phases[i:j] = before
            if angle is not None and j > i and before in (APPROACH, HOLD):
                self.history.append((t_s[i:j], angle[i:j], before == HOLD))
            if before == HOLD and side is not None and j > i:
                chunk = side[i:j]
                self.side_left += int(np.count_nonzero(chunk == 1.0))
                self.side_right += int(np.count_nonzero(chunk == 0.0))
            if j > i and zone != ZONE_HIDDEN:
                self.last_seen_s = float(t_s[j - 1])
                if before == HOLD and motion == STEADY and zone in (ZONE_IN, ZONE_BAND):
                    self.last_steady_s = float(t_s[j - 1])
            if transition is not None:
                transition()
            i = j
        if n:
            self.last_t_s = float(t_s[-1])
        return phases

    def current_side(self) -> str | None:
        if self.side_left == 0 and self.side_right == 0:
            return None
        return "left" if self.side_left >= self.side_right else "right"

    def elapsed_s(self, now_s: float) -> float:
        return 0.0 if self.state != HOLD or self.hold_start_s is None else now_s - self.hold_start_s

    def finish(self) -> list[HoldRecord]:
        """All holds, closing one still running at the last frame (does not change state).

        A hold running at the last frame is incomplete (cut off by the recording's end), unless its release
        is already under way: the angle left its plateau at least `release_confirm_s` before the end and has
        since fallen `RELEASING_FRACTION` of the entry's excursion. It then ended where it left the plateau,
        as it would have a moment later had the recording gone on (and a warning raised by the release
        movement itself is dropped, as for any other hold).
        """
        holds = list(self.holds)
        if self.state == HOLD and self.hold_start_s is not None and self.last_t_s is not None:
            history = self._angle_history()
            start, end = self._plateau(self.hold_start_s, self.last_t_s, history)
            if self._releasing(end, history):
                record = self._record(start, end, complete=self._start_seen(), released_s=self.last_t_s)
            else:
                record = self._record(start, self.last_t_s, complete=False)
            if record is not None:
                holds.append(record)
        return holds

    # -------------------------------------------------------------- hold times from the angle plateau

    PLATEAU_TOLERANCE = 0.05  # fraction of the entry's excursion that still counts as "at the hold angle"
    PLATEAU_MIN_TOLERANCE_DEG = 1.0
    RELEASING_FRACTION = 0.25  # at the recording's end, this far below the hold level is a release

    def _angle_history(self) -> _AngleHistory | None:
        """(t, angle, in_hold, hold level = median angle in the hold, base = lowest angle) or None."""
        if not self.history:
            return None
        t = np.concatenate([chunk[0] for chunk in self.history])
        a = np.concatenate([chunk[1] for chunk in self.history])
        in_hold = np.concatenate([np.full(chunk[0].shape, chunk[2]) for chunk in self.history])
        finite = np.isfinite(a)
        held = finite & in_hold
        if not np.any(held):
            return None
        return t, a, in_hold, float(np.median(a[held])), float(np.min(a[finite]))

    def _plateau(self, causal_start: float, end_limit: float, history: _AngleHistory | None = None
                 ) -> tuple[float, float]:
        """Start and end of the plateau of the main angle around this hold (median level ± tolerance).

        history: `_angle_history()` when the caller already has it."""
        history = history if history is not None else self._angle_history()
        if history is None:
            return causal_start, end_limit
        t, a, in_hold, level, base = history
        tol = max(self.PLATEAU_TOLERANCE * (level - base), self.PLATEAU_MIN_TOLERANCE_DEG)
        near = np.isfinite(a) & (a >= level - tol)
        start = float(t[near][0]) if np.any(near) else causal_start
        near_hold = near & in_hold & (t <= end_limit)
        end = float(t[near_hold][-1]) if np.any(near_hold) else end_limit
        return start, max(min(end, end_limit), start)

    def _releasing(self, plateau_end_s: float, history: _AngleHistory | None) -> bool:
        """Whether the running hold's release is under way at the last frame (see `finish`)."""
        if history is None or self.last_t_s is None:
            return False
        if self.last_t_s - plateau_end_s < self.params.release_confirm_s:
            return False
        _t, a, _in_hold, level, base = history
        last_angle = float(a[np.isfinite(a)][-1])  # there is one: the history holds a finite held angle
        return level - last_angle >= self.RELEASING_FRACTION * (level - base)

    # -------------------------------------------------------------- transitions

    def _record(self, start_s: float, end_s: float, complete: bool, released_s: float | None = None
                ) -> HoldRecord | None:
        duration = end_s - start_s
        if duration < self.params.min_hold_s:
            return None
        return HoldRecord(
            start_s=start_s,
            end_s=end_s,
            side=self.current_side(),
            status=hold_status(duration, self.params, complete),
            target_s=self.params.hold_range_s,
            released_s=released_s,
        )

    def _close_hold(self, end_s: float, seen_to_end: bool = True, released_s: float | None = None) -> None:
        """Record the hold. One whose start or end the camera did not see (`seen_to_end` False: the client
        was hidden past the gap allowance) is not complete: its real length can only be longer than the part
        seen, so it is never judged short, like a hold cut off by the recording."""
        assert self.hold_start_s is not None
        self.out_since_s = None
        start, end = self._plateau(self.hold_start_s, max(end_s, self.hold_start_s))
        record = self._record(start, end, complete=seen_to_end and self._start_seen(), released_s=released_s)
        self.after_gap = not seen_to_end
        if record is not None:
            self.holds.append(record)
        self.state = RELEASE
        self.hold_start_s = None
        self.settle_since_s = None

    def _start_seen(self) -> bool:
        """Whether the camera saw the current hold begin: the client was seen outside the stretch before it
        (not only after the camera lost them, nor already under way as the recording began)."""
        return not self.hold_start_unseen and not self._started_with_recording()

    def _started_with_recording(self) -> bool:
        """True when the hold was already under way as the recording began (its length is unknown)."""
        return (
            self.hold_start_s is not None
            and self.first_t_s is not None
            and self.hold_start_s - self.first_t_s < self.params.settle_s
        )

    def _first_reaching(self, t_s: np.ndarray, i: int, since: float, wait_s: float) -> int | None:
        """First index k >= i with t[k] - since >= wait_s, or None."""
        k = int(np.searchsorted(t_s, since + wait_s, side="left"))
        k = max(k, i)
        # searchsorted on the sum can be off by one ulp; confirm with the same subtraction everywhere.
        while k < t_s.shape[0] and t_s[k] - since < wait_s:
            k += 1
        while k > i and t_s[k - 1] - since >= wait_s:
            k -= 1
        return k if k < t_s.shape[0] else None

    def _settle(self, t_s: np.ndarray, i: int) -> tuple[int, Callable[[], None] | None]:
        """Outside the zone and still: count toward rest; where rest begins (or the run's end)."""
        if self.settle_since_s is None:
            self.settle_since_s = float(t_s[i])
        k = self._first_reaching(t_s, i, self.settle_since_s, self.params.settle_s)
        if k is None:
            return t_s.shape[0], None

        def to_rest() -> None:
            self.state = REST
            self.settle_since_s = None
            self.after_gap = False

        return k, to_rest

    def _to_approach(self) -> None:
        self.state = APPROACH
        self.settle_since_s = None
        self.history = []

    def _advance(
        self, t_s: np.ndarray, i: int, zone: int, motion: int
    ) -> tuple[int, Callable[[], None] | None]:
        """From frame i in the current state: (k, transition) where frames [i, k) stay in this state and
        `transition` (None = none within the run) takes effect at frame k.

        The caller books frames [i, k) (history, side tally, last seen) *before* applying the transition, so
        a run split into single frames (live) and a whole run (batch) see the same bookkeeping.
        """
        n = t_s.shape[0]
        state = self.state
        t_i = float(t_s[i])
        if state == REST:
            if zone != ZONE_HIDDEN and (zone == ZONE_IN or motion == MOVING):
                return i, self._to_approach
            return n, None
        if state == APPROACH:
            if zone == ZONE_HIDDEN:
                self.settle_since_s = None
                return n, None
            if zone == ZONE_IN and motion == STEADY:

                def to_hold() -> None:
                    self.state = HOLD
                    self.hold_start_s = t_i
                    self.hold_start_unseen = self.after_gap or not self.out_seen
                    self.last_steady_s = t_i
                    self.side_left = self.side_right = 0
                    self.settle_since_s = None
                    self.out_since_s = None

                return i, to_hold
            if zone == ZONE_OUT and motion == STEADY:
                return self._settle(t_s, i)
            self.settle_since_s = None
            return n, None
        if state == HOLD:
            if zone == ZONE_HIDDEN:
                last = self.last_seen_s if self.last_seen_s is not None else t_i
                k = self._first_reaching(t_s, i, last, self.params.max_gap_s + 1e-9)
                if k is None:
                    return n, None
                released = last + self.params.max_gap_s
                return k, lambda: self._close_hold(last, seen_to_end=False, released_s=released)
            if zone == ZONE_OUT:
                # A dip of a frame or two (noise at an oblique view) is not a release: it must last.
                if self.out_since_s is None:
                    self.out_since_s = t_i
                since = self.out_since_s
                k = self._first_reaching(t_s, i, since, self.params.release_confirm_s)
                if k is None:
                    return n, None

                def release() -> None:
                    end = self.last_steady_s if self.last_steady_s is not None else since
                    self._close_hold(min(end, since), released_s=since + self.params.release_confirm_s)

                return k, release
            self.out_since_s = None
            return n, None
        # RELEASE
        if zone == ZONE_HIDDEN:
            self.settle_since_s = None
            return n, None
        if zone == ZONE_IN:
            return i, self._to_approach
        if motion == STEADY:
            return self._settle(t_s, i)
        self.settle_since_s = None
        return n, None


def run_starts(*codes: np.ndarray) -> np.ndarray:
    """Start indices of maximal runs where every code array stays constant (always includes 0)."""
    n = codes[0].shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for code in codes:
        change[1:] |= code[1:] != code[:-1]
    return np.flatnonzero(change)


def detect_holds(
    t_s: np.ndarray,
    main_angle: np.ndarray,
    speed_deg_s: np.ndarray,
    params: HoldParams,
    side: np.ndarray | None = None,
    machine: HoldMachine | None = None,
) -> tuple[np.ndarray, HoldMachine]:
    """Batch driver: phase code per frame and the machine (its `finish()` gives the holds).

    Feeds maximal runs of equal (zone, motion); the live path feeds the same machine one frame at a time.
    """
    machine = machine or HoldMachine(params)
    zone = classify_zone(main_angle, params.engage_deg, params.engage_hysteresis_deg)
    motion = classify_moving(speed_deg_s, params.steady_deg_s)
    phases = np.empty(t_s.shape[0], dtype=np.int8)
    bounds = np.append(run_starts(zone, motion), t_s.shape[0])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        phases[a:b] = machine.feed(
            t_s[a:b], int(zone[a]), int(motion[a]), None if side is None else side[a:b], main_angle[a:b]
        )
    return phases, machine
