"""Check-engine speed: every check of every stretch on a 10-minute, 30 fps, two-person track.

Target: evaluate() (all checks, holds, debounce/hysteresis) under 0.3 s per stretch on 18,000 frames; also
reports the live path's cost per frame. The track is a synthetic take of the stretch (with a fault, sensor
jitter and dropped detections) repeated end to end until it lasts ten minutes, so the engine sees real
holds, warnings and gaps rather than a constant pose.

    .venv/bin/python benchmarks/checks.py [--minutes 10] [--repeat 3] [--live-frames 900]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from stretches.catalog import STRETCHES
from stretches.engine import LiveEvaluator, evaluate
from stretches.synthetic import INJECTABLE_FAULTS, PER_SIDE, Scenario, simulate
from vision.track import Track

TARGET_S = 0.3


def long_track(stretch_id: str, minutes: float, fps: float = 30.0) -> Track:
    """A synthetic take of the stretch tiled end to end to `minutes` of track."""
    fault = next((f for f in INJECTABLE_FAULTS[stretch_id] if not f.startswith("common.")), None)
    side = "right" if stretch_id in PER_SIDE else None
    take = simulate(Scenario(stretch_id, fault=fault, side=side, seed=1, fps=fps, drop_rate=0.03)).track
    frames = int(round(minutes * 60 * fps))
    reps = int(np.ceil(frames / take.num_frames))
    step_ms = int(round(1000.0 / fps))
    span_ms = int(take.t_ms[-1] - take.t_ms[0]) + step_ms
    t_ms = np.concatenate([take.t_ms + k * span_ms for k in range(reps)])[:frames]
    landmarks = np.concatenate([take.landmarks] * reps)[:frames]
    world = None if take.world is None else np.concatenate([take.world] * reps)[:frames]
    return Track(
        t_ms.astype(np.int64), landmarks, take.image_size, world, take.roles, {"stretch": stretch_id}
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per stretch (best is reported)")
    parser.add_argument(
        "--live-frames", type=int, default=900, help="frames fed to LiveEvaluator per stretch"
    )
    args = parser.parse_args(argv)

    print(f"check engine: {args.minutes:g}-minute two-person tracks at 30 fps, best of {args.repeat}")
    print(
        f"{'stretch':28s} {'frames':>7s} {'checks':>6s} {'wall s':>7s} {'cpu s':>6s} {'holds':>5s} "
        f"{'warn':>5s} {'live ms/frame':>13s}"
    )
    worst = 0.0
    live_costs = []
    for stretch_id, stretch in STRETCHES.items():
        track = long_track(stretch_id, args.minutes)
        roles = {"client": 0, "partner": 1}
        times = []
        cpu_times = []
        events = None
        for _ in range(args.repeat):
            start, cpu_start = time.perf_counter(), time.process_time()
            events = evaluate(track, stretch_id, roles=roles)
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
        best = min(times)
        best_cpu = min(cpu_times)
        worst = max(worst, best)
        live = LiveEvaluator(stretch_id, roles=roles, image_size=track.image_size)
        n = min(args.live_frames, track.num_frames)
        start = time.perf_counter()
        for i in range(n):
            live.update(int(track.t_ms[i]), track.landmarks[i], track.world[i])
        live_ms = (time.perf_counter() - start) / n * 1000.0
        live_costs.append(live_ms)
        checks = sum(1 for c in stretch.checks if c.kind != "status")
        print(
            f"{stretch_id:28s} {track.num_frames:7d} {checks:6d} {best:7.3f} {best_cpu:6.3f} "
            f"{len(events.holds):5d} {len(events.warnings):5d} {live_ms:13.2f}"
        )
    verdict = "PASS" if worst < TARGET_S else "FAIL"
    print(
        f"slowest stretch: {worst:.3f} s (target < {TARGET_S} s) {verdict}; "
        f"live: median {statistics.median(live_costs):.2f} ms/frame, max {max(live_costs):.2f} ms/frame"
    )
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
