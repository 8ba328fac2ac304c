"""Checks judged against the client's resting posture (stretches/baseline.py) and the shoulder-lift checks
that use it, whatever the camera's height or angle."""

from __future__ import annotations

import numpy as np
import pytest

from stretches.baseline import HoldBaseline, against_baseline
from stretches.engine import LiveEvaluator, evaluate, metric_series
from stretches.synthetic import Scenario, simulate

FPS = 10.0


def _feed(segments: list[tuple[float, float, bool, bool]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """segments of (seconds, value, judged, at_rest) at FPS → (t, distance, settled)."""
    t, values, judged, rest = [], [], [], []
    now = 0.0
    for seconds, value, is_judged, at_rest in segments:
        for _ in range(int(round(seconds * FPS))):
            t.append(now)
            values.append(value)
            judged.append(is_judged)
            rest.append(at_rest)
            now += 1.0 / FPS
    distance, settled = against_baseline(np.array(t), np.array(values), np.array(judged), np.array(rest), 2.0)
    return np.array(t), distance, settled


@pytest.mark.parametrize(
    ("case", "segments", "expected_last", "settled_from_s"),
    [
        # rest at 0.3 (a high camera), hold at 0.3: nothing changed
        ("flat", [(3, 0.3, False, True), (5, 0.3, True, False)], 0.0, 3.0),
        # the same camera, the shoulder rises by 0.4 during the hold
        ("lift", [(3, 0.3, False, True), (5, 0.7, True, False)], 0.4, 3.0),
        # a lift downwards on screen counts the same (the near shoulder rising)
        ("near shoulder", [(3, 0.3, False, True), (5, -0.1, True, False)], 0.4, 3.0),
        # the approach is not rest: the shoulder already rising on the way in is still caught
        ("lift in approach",
         [(3, 0.1, False, True), (1, 0.5, False, False), (4, 0.5, True, False)], 0.4, 4.0),
        # no rest seen: the hold's first 2 s are the baseline, judged only after them
        ("no rest", [(2, 0.25, True, False), (3, 0.25, True, False)], 0.0, 2.0),
    ],
)
def test_baseline_table(case, segments, expected_last, settled_from_s):
    t, distance, settled = _feed(segments)
    assert distance[-1] == pytest.approx(expected_last, abs=1e-9), case
    first_settled = t[np.argmax(settled)]
    assert first_settled == pytest.approx(settled_from_s, abs=0.15), case
    assert not settled[t < settled_from_s - 0.15].any(), case


def test_outside_its_phase_the_value_passes_through_unjudged():
    t, distance, settled = _feed([(3, 0.3, False, True)])
    assert np.allclose(distance, 0.3) and not settled.any()


def test_each_hold_takes_the_rest_before_it():
    # the camera was moved between the holds: the second hold compares with the second rest
    _, distance, settled = _feed([(3, 0.1, False, True), (3, 0.1, True, False), (3, 0.4, False, True),
                                  (3, 0.4, True, False)])
    assert settled.sum() == 60 and np.allclose(distance[settled], 0.0)


def test_live_feed_equals_batch():
    rng = np.random.default_rng(1)
    t = np.arange(200) / FPS
    values = rng.normal(0.2, 0.05, 200)
    values[rng.random(200) < 0.1] = np.nan
    judged = (t > 5) & (t < 12) | (t > 14)
    rest = t < 5
    batch, batch_settled = against_baseline(t, values, judged, rest, 2.0)
    live = HoldBaseline(2.0)
    for i in range(200):
        value, settled = live.feed(float(t[i]), float(values[i]), bool(judged[i]), bool(rest[i]))
        assert settled == batch_settled[i]
        assert (np.isnan(value) and np.isnan(batch[i])) or value == batch[i]


@pytest.mark.parametrize("stretch_id", ["supine_twist", "supine_thoracic_rotation"])
@pytest.mark.parametrize(("azimuth_deg", "height"),
                         [(0.0, "low"), (-30.0, "mid"), (0.0, "high"), (25.0, "high")])
def test_shoulder_lift_whatever_the_camera(stretch_id, azimuth_deg, height):
    """A level shoulder is not a fault from a high or oblique camera; a rising one is caught from each."""
    check_id = f"{stretch_id}.shoulder_lift"
    camera = {"camera_azimuth_deg": azimuth_deg, "camera_height": height}
    good = simulate(Scenario(stretch_id, side="left", seed=4, **camera))
    assert not [w for w in evaluate(good.track, stretch_id).warnings if w.check == check_id]
    faulty = simulate(Scenario(stretch_id, fault=check_id, side="right", seed=4, **camera))
    fault = next(f for f in faulty.faults if f.check_id == check_id)
    warned = [w for w in evaluate(faulty.track, stretch_id).warnings if w.check == check_id]
    assert any(w.start_s <= fault.end_s and fault.start_s <= w.end_s for w in warned)


def test_tune_chart_shows_the_distance_from_rest():
    session = simulate(Scenario("supine_twist", fault="supine_twist.shoulder_lift", side="right", seed=2,
                                camera_height="mid"))
    series = metric_series(session.track, "supine_twist")["supine_twist.shoulder_lift"]
    fault = session.faults[0]
    during = series.values[(series.t_s > fault.start_s) & (series.t_s < fault.end_s)]
    hold_before = series.values[(series.t_s > fault.start_s - 4) & (series.t_s < fault.start_s - 1)]
    assert np.nanmax(during) > series.threshold > np.nanmax(hold_before)
    # outside the holds there is no distance from rest to show
    assert np.isnan(series.values[series.t_s < 1.0]).all()


def test_live_evaluator_matches_batch_on_a_baseline_check():
    session = simulate(Scenario("supine_twist", fault="supine_twist.shoulder_lift", side="left", seed=5,
                                camera_height="high", camera_azimuth_deg=20.0))
    track = session.track
    live = LiveEvaluator("supine_twist", image_size=track.image_size)
    for k in range(track.num_frames):
        live.update(int(track.t_ms[k]), track.landmarks[k], None if track.world is None else track.world[k])
    batch = evaluate(track, "supine_twist", roles={"client": 0, "partner": 1})
    assert [(w.check, w.start_s) for w in live.events().warnings] == [(w.check, w.start_s)
                                                                       for w in batch.warnings]
    assert any(w.check == "supine_twist.shoulder_lift" for w in batch.warnings)
