"""How well the checks read the synthetic model's tracks: per-check detection and latency, false warnings.

For every check of every stretch: the fault injected over several seeds (both sides of per-side stretches,
person-to-person variation on), counted as detected when a warning of that check starts within 0.5 s of the
fault's onset; latency = warning start - onset. Then good-form takes over camera heights, oblique views and
body sizes, counting any warning as false. Landmark tracks only (no rendering, no MediaPipe): this measures
the checks against known geometry with 1 %-of-image jitter; benchmarks/accuracy.py measures the whole chain.

    .venv/bin/python benchmarks/synthetic_checks.py [--seeds 5] [--jitter 0.01]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np

from stretches.engine import evaluate
from stretches.synthetic import BODY_SIZES, INJECTABLE_FAULTS, PER_SIDE, STRETCH_IDS, Scenario, simulate

GOOD_FORM_VIEWS = {
    "side, low/mid (spec)": {},
    "oblique +30": {"camera_azimuth_deg": 30.0},
    "oblique -30": {"camera_azimuth_deg": -30.0},
    "camera 0.9 m": {"camera_height": "mid"},
    "camera 1.7 m": {"camera_height": "high"},
    "small client, broad partner": {"client_body": BODY_SIZES["small"], "partner_body": BODY_SIZES["broad"]},
    "5 % dropped frames": {"drop_rate": 0.05},
    "speed 1.4": {"speed": 1.4},
}


def detection(seeds: int, jitter: float) -> None:
    print(f"{'check':52s} {'detected':>9s} {'latency median / max (s)':>26s}")
    totals = [0, 0]
    for stretch_id, faults in INJECTABLE_FAULTS.items():
        for check_id, spec in faults.items():
            if spec.kind == "hold_time":
                continue
            latencies = []
            for seed in range(seeds):
                side = ("right", "left")[seed % 2] if stretch_id in PER_SIDE else None
                scenario = Scenario(
                    stretch_id, fault=check_id, side=side, seed=100 + seed, jitter_frac=jitter, variation=1.0
                )
                s = simulate(scenario)
                onset = s.faults[0].start_s
                hits = [w.start_s - onset for w in evaluate(s.track, stretch_id).warnings
                        if w.check == check_id and abs(w.start_s - onset) <= 0.5]
                if hits:
                    latencies.append(hits[0])
            totals[0] += len(latencies)
            totals[1] += seeds
            lat = f"{np.median(latencies):+.2f} / {np.max(latencies):+.2f}" if latencies else "-"
            label = f"{stretch_id} {check_id}" if check_id.startswith("common.") else check_id
            print(f"{label:52s} {len(latencies):>4d}/{seeds:<4d} {lat:>26s}")
    print(f"all checks: {totals[0]}/{totals[1]} faults detected within 0.5 s of onset")


def false_warnings(seeds: int, jitter: float) -> None:
    print(f"\n{'good form, view':32s} {'takes':>6s} {'minutes':>8s} {'false warnings':>15s}  by check")
    for name, kw in GOOD_FORM_VIEWS.items():
        minutes = 0.0
        by_check: dict[str, int] = defaultdict(int)
        takes = 0
        for stretch_id in STRETCH_IDS:
            for seed in range(seeds):
                side = ("right", "left")[seed % 2] if stretch_id in PER_SIDE else None
                scenario = Scenario(
                    stretch_id, side=side, seed=200 + seed, jitter_frac=jitter, variation=1.0, **kw
                )
                s = simulate(scenario)
                minutes += s.t_s[-1] / 60.0
                takes += 1
                for w in evaluate(s.track, stretch_id).warnings:
                    by_check[w.check] += 1
        count = sum(by_check.values())
        detail = ", ".join(f"{k} x{v}" for k, v in sorted(by_check.items()))
        print(f"{name:32s} {takes:>6d} {minutes:>8.1f} {count:>6d} ({count / minutes:4.2f}/min)  {detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jitter", type=float, default=0.01)
    args = parser.parse_args()
    started = time.time()
    detection(args.seeds, args.jitter)
    false_warnings(max(2, args.seeds // 2), args.jitter)
    print(f"\n({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
