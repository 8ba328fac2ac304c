"""Every check of the catalog against the synthetic model, one table row per check id.

- fires within 0.5 s of the injected fault's onset (1 % of the image jitter on every landmark);
- stays silent on good form with the same jitter, for every stretch and both sides of per-side ones;
- pauses (common.not_visible, never a warning) when the landmarks it needs are hidden during the fault;
- common.hold_short / common.hold_long: a hold released early / kept too long is flagged as such.
The rows come from the catalog, so a check added without a matching injection fails here.
"""

from __future__ import annotations

import pytest

from stretches.catalog import STRETCHES
from stretches.engine import evaluate
from stretches.synthetic import INJECTABLE_FAULTS, PER_SIDE, Scenario, simulate

ONSET_TOLERANCE_S = 0.5
JITTER = 0.01


def _checks_of_kind(kind: str) -> list[tuple[str, str]]:
    return [(s.id, c.id) for s in STRETCHES.values() for c in s.checks if c.kind == kind]


FRAME_CHECKS = _checks_of_kind("frame")
HOLD_CHECKS = _checks_of_kind("hold")
GOOD_FORM = [
    (stretch_id, side)
    for stretch_id in STRETCHES
    for side in (("right", "left") if stretch_id in PER_SIDE else (None,))
]


def _row_id(row: tuple) -> str:
    return "-".join(str(part) for part in row if part is not None)


def _injectable(stretch_id: str, check_id: str) -> None:
    if check_id not in INJECTABLE_FAULTS[stretch_id]:
        pytest.fail(f"{check_id} has no fault injection in the synthetic model for {stretch_id}")


@pytest.mark.parametrize(("stretch_id", "check_id"), FRAME_CHECKS, ids=map(_row_id, FRAME_CHECKS))
@pytest.mark.parametrize("seed", [1, 2])
def test_check_fires_within_half_a_second_of_the_fault(stretch_id, check_id, seed):
    _injectable(stretch_id, check_id)
    side = ("right", "left")[seed % 2] if stretch_id in PER_SIDE else None
    s = simulate(Scenario(stretch_id, fault=check_id, side=side, seed=seed, jitter_frac=JITTER))
    (fault,) = s.faults
    warnings = [w for w in evaluate(s.track, stretch_id).warnings if w.check == check_id]
    starts = [round(w.start_s, 2) for w in warnings]
    truth = f"fault at {fault.start_s:.2f}-{fault.end_s:.2f} s ({fault.magnitude} {fault.unit})"
    on_time = [w for w in warnings if abs(w.start_s - fault.start_s) <= ONSET_TOLERANCE_S]
    assert on_time, f"{truth}; warnings at {starts}"
    # The warning is about this fault, not a stray one elsewhere in the take.
    for w in warnings:
        assert fault.start_s - ONSET_TOLERANCE_S <= w.start_s <= fault.end_s + 1.0, starts


@pytest.mark.parametrize(("stretch_id", "side"), GOOD_FORM, ids=map(_row_id, GOOD_FORM))
@pytest.mark.parametrize("seed", [3, 4])
def test_good_form_with_jitter_raises_no_warning(stretch_id, side, seed):
    s = simulate(Scenario(stretch_id, side=side, seed=seed, jitter_frac=JITTER))
    events = evaluate(s.track, stretch_id)
    assert [(w.check, round(w.start_s, 2), w.peak) for w in events.warnings] == []
    assert [h.status for h in events.holds] == ["ok"]
    assert events.holds[0].side == s.holds[0].side
    truth = s.holds[0]
    assert abs(events.holds[0].duration_s - truth.duration_s) < 3.0


@pytest.mark.parametrize(("stretch_id", "check_id"), FRAME_CHECKS, ids=map(_row_id, FRAME_CHECKS))
def test_check_pauses_instead_of_warning_when_its_landmarks_are_hidden(stretch_id, check_id):
    _injectable(stretch_id, check_id)
    check = STRETCHES[stretch_id].check(check_id)
    probe = simulate(Scenario(stretch_id, fault=check_id, seed=5, jitter_frac=JITTER))
    (fault,) = probe.faults
    # Hidden from shortly before the fault until a second after it: the camera loses sight of what the
    # check needs exactly when it matters.
    window = (fault.start_s - 0.5, fault.end_s + 1.0)
    s = simulate(
        Scenario(stretch_id, fault=check_id, seed=5, jitter_frac=JITTER,
                 hidden_landmarks=check.landmarks, hidden_window_s=window)
    )
    events = evaluate(s.track, stretch_id)
    fired = [w for w in events.warnings if w.check == check_id and w.start_s < window[1]]
    assert fired == []
    paused = [r for r in events.not_visible if r.paused_check == check_id]
    assert any(r.start_s < window[1] and r.end_s > window[0] for r in paused), events.not_visible


@pytest.mark.parametrize(("stretch_id", "check_id"), HOLD_CHECKS, ids=map(_row_id, HOLD_CHECKS))
def test_hold_released_early_or_kept_too_long_is_flagged(stretch_id, check_id):
    _injectable(stretch_id, check_id)
    s = simulate(Scenario(stretch_id, fault=check_id, seed=6, jitter_frac=JITTER))
    (fault,) = s.faults
    events = evaluate(s.track, stretch_id)
    expected = "short" if check_id == "common.hold_short" else "long"
    assert [h.status for h in events.holds] == [expected]
    assert abs(events.holds[0].duration_s - fault.magnitude) < 3.0
    assert [w.check for w in events.warnings] == [check_id]


@pytest.mark.parametrize("stretch_id", list(STRETCHES))
def test_varied_good_form_raises_no_warning(stretch_id):
    """Another pair doing it well: depth, timing and hold length drawn from the seed."""
    s = simulate(Scenario(stretch_id, seed=21, variation=1.0, jitter_frac=JITTER))
    events = evaluate(s.track, stretch_id)
    assert [(w.check, round(w.start_s, 2)) for w in events.warnings] == []
    assert [h.status for h in events.holds] == ["ok"]
