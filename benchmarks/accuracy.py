"""Accuracy of the whole pipeline on rendered partner stretches with known faults.

Renders an evaluation set (every stretch done well under several cameras, bodies, looks and speeds, and
every injectable fault at least once), runs `stretches.session.analyze` (the code behind `stretchguard
analyze`) on each clip, and compares its events.json and track with the clip's ground truth:

  per check   recall      share of injected faults with a warning of that check overlapping the fault window
              false/min   warnings of that check overlapping none of its fault windows, per minute of clip
                          time outside its fault windows (only clips of stretches the check belongs to)
              latency     warning start - fault start (median over detected faults)
  overall     both found  frames with both people tracked
              right bodies frames with both tracked and each on a different real person (mean landmark
                          error < 0.2 × that person's size): a merged pose counts as found, not as right
              id swaps    changes of which tracked person is which real person (nearest ground-truth joints)
              role errors clips whose "client" is not the real client

    python benchmarks/accuracy.py                # full set; clips and tracks are cached, re-runs only score
    python benchmarks/accuracy.py --quick        # only the 22 sample clips
    python benchmarks/accuracy.py --jobs 2 --work DIR --json results.json

Targets (issue #4): each check recall >= 90 % with <= 0.5 false warnings per minute of good form; both
people on >= 98 % of frames; zero identity swaps. The evaluation never changes to pass them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_WORK_DIR = Path.home() / ".cache" / "stretchguard" / "accuracy"
TARGET_RECALL = 0.90
TARGET_FALSE_PER_MIN = 0.5
TARGET_BOTH_FOUND = 0.98
MODEL_VARIANT_FILE = "model_variant"  # which PoseLandmarker variant made a run
MODEL_RUNS = "model_runs"  # --model-landmarks: checks on the kinematic model's landmarks, not MediaPipe's
VIEWS = ((0.0, "auto"), (25.0, "auto"), (-30.0, "mid"), (0.0, "high"), (15.0, "low"),
         (-15.0, "high"), (30.0, "mid"), (-20.0, "auto"))
BODIES = (("medium", "tall"), ("small", "broad"), ("tall", "medium"), ("broad", "small"), ("small", "tall"))
SPEEDS = (1.0, 0.8, 1.25, 1.1)
DEFAULT_TAKES = 2  # takes of each stretch's own faults (the first: a sample clip or an eval_ clip)


@dataclass(frozen=True)
class EvalClip:
    name: str
    stretch_id: str
    fault: str | None
    side: str | None
    camera_azimuth_deg: float
    camera_height: str
    image_size: tuple[int, int]
    client_body: str
    partner_body: str
    speed: float
    seed: int
    sample: bool = False  # one of the sample_videos/ clips (rendered there by `python -m stretches.samples`)


def evaluation_set(quick: bool = False, with_commons: bool = False,
                   with_good_variants: bool = False, takes: int = DEFAULT_TAKES) -> list[EvalClip]:
    """The 22 sample clips plus a take of every other fault the model can inject for each stretch, each
    under another camera angle/height, body pair, look and speed than the samples; then, for `takes` > 1,
    that many - 1 more takes of every stretch's own faults under yet other views, bodies and speeds, so a
    check's recall is a rate over several takes rather than one 0 % / 100 % case.

    `with_good_variants` adds a second good-form take of each stretch; `with_commons` adds the
    common.jerky_motion / hold_short / hold_long takes (long renders).
    """
    from stretches.catalog import STRETCHES
    from stretches.samples import sample_specs
    from stretches.synthetic import INJECTABLE_FAULTS, PER_SIDE, STRETCH_IDS

    clips = [EvalClip(s.name, s.stretch_id, s.fault, s.side, s.camera_azimuth_deg, str(s.camera_height),
                      s.image_size, s.client_body, s.partner_body, 1.0, s.seed, sample=True)
             for s in sample_specs()]
    if quick:
        return clips
    covered = {c.fault for c in clips}
    k = 0
    for stretch_id in STRETCHES:  # the spec's order, so a clip's variant never shifts
        if stretch_id not in STRETCH_IDS:
            continue
        faults = [f for f in INJECTABLE_FAULTS[stretch_id]
                  if f not in covered and (with_commons or not f.startswith("common."))]
        plan: list[str | None] = [None] if with_good_variants else []
        for index, fault in enumerate([*plan, *faults]):
            azimuth, height = VIEWS[(k * 3 + 1) % len(VIEWS)]
            client, partner = BODIES[(k + 2) % len(BODIES)]
            kind = "good" if fault is None else fault.split(".", 1)[1]
            clips.append(EvalClip(
                name=f"eval_{stretch_id}__{kind}",
                stretch_id=stretch_id,
                fault=fault,
                side=("right", "left")[index % 2] if stretch_id in PER_SIDE else None,
                camera_azimuth_deg=azimuth,
                camera_height=height,
                image_size=(1280, 720) if k % 7 == 3 else (640, 480),
                client_body=client,
                partner_body=partner,
                speed=SPEEDS[k % len(SPEEDS)] if fault is None or "speed" not in fault else 1.0,
                seed=1000 + k,
            ))
            k += 1
    for take in range(2, takes + 1):
        for stretch_id in STRETCHES:
            if stretch_id not in STRETCH_IDS:
                continue
            for fault in [f for f in INJECTABLE_FAULTS[stretch_id] if not f.startswith("common.")]:
                seen = {(c.camera_azimuth_deg, c.camera_height) for c in clips if c.fault == fault}
                view = (k * 5 + take) % len(VIEWS)
                while VIEWS[view] in seen and len(seen) < len(VIEWS):
                    view = (view + 1) % len(VIEWS)  # another take from the same camera would add little
                azimuth, height = VIEWS[view]
                client, partner = BODIES[(k + take) % len(BODIES)]
                clips.append(EvalClip(
                    name=f"eval_{stretch_id}__{fault.split('.', 1)[1]}__take{take}",
                    stretch_id=stretch_id,
                    fault=fault,
                    side=("left", "right")[k % 2] if stretch_id in PER_SIDE else None,
                    camera_azimuth_deg=azimuth,
                    camera_height=height,
                    image_size=(1280, 720) if k % 5 == 2 else (640, 480),
                    client_body=client,
                    partner_body=partner,
                    speed=SPEEDS[(k + take) % len(SPEEDS)] if "speed" not in fault else 1.0,
                    seed=1000 * take + k,
                ))
                k += 1
    return clips


def _scenario(clip: EvalClip):
    from stretches.synthetic import BODY_SIZES, Scenario

    return Scenario(
        clip.stretch_id, fault=clip.fault, side=clip.side, seed=clip.seed,
        camera_azimuth_deg=clip.camera_azimuth_deg, camera_height=clip.camera_height,
        image_size=clip.image_size, client_body=BODY_SIZES[clip.client_body],
        partner_body=BODY_SIZES[clip.partner_body], speed=clip.speed,
        lead_in_s=1.5, tail_s=1.5,
    )


def clip_video(clip: EvalClip, work: Path) -> Path:
    from stretches.samples import SAMPLES_DIR

    return (SAMPLES_DIR if clip.sample else work / "clips") / f"{clip.name}.mp4"


def run_clip(clip: EvalClip, work: Path, rerun_analysis: bool = False, model_variant: str = "full") -> dict:
    """Render (cached; samples come from sample_videos/) and analyze (cached) one clip; returns timings.

    A run made with another landmark model variant counts as stale (runs/<clip>/model_variant, absent = full).
    """
    from stretches.render_clip import TRUTH_JSON_SUFFIX
    from stretches.samples import build_samples, render_session_clip
    from stretches.session import analyze
    from stretches.synthetic import simulate

    video = clip_video(clip, work)
    runs_dir = work / "runs" / clip.name
    timings: dict = {"clip": clip.name}
    truth_json = video.with_name(video.stem + TRUTH_JSON_SUFFIX)
    if clip.sample:
        fresh = not (video.is_file() and truth_json.is_file())
        if fresh:
            started = time.time()
            build_samples(only=[clip.name])
            timings["render_s"] = round(time.time() - started, 1)
    else:
        spec_path = video.with_name(video.stem + ".spec.json")
        spec = json.dumps(asdict(clip), sort_keys=True)
        fresh = not (video.is_file() and truth_json.is_file() and spec_path.is_file()
                     and spec_path.read_text() == spec)
        if fresh:
            started = time.time()
            session = simulate(_scenario(clip))
            render_session_clip(session, video.parent, clip.name, style_seed=clip.seed, crf=23,
                                meta={"eval_clip": clip.name})
            spec_path.write_text(spec)
            timings["render_s"] = round(time.time() - started, 1)
    variant_file = runs_dir / MODEL_VARIANT_FILE
    run_variant = variant_file.read_text().strip() if variant_file.is_file() else "full"
    stale = (runs_dir / "events.json").is_file() and (
        (runs_dir / "events.json").stat().st_mtime < video.stat().st_mtime or run_variant != model_variant)
    if fresh or stale or rerun_analysis or not (runs_dir / "events.json").is_file():
        started = time.time()
        analyze(video, clip.stretch_id, runs_dir, write_video=False, model_variant=model_variant)
        variant_file.write_text(model_variant + "\n")
        timings["analyze_s"] = round(time.time() - started, 1)
    return timings


def model_landmarks_clip(clip: EvalClip, work: Path) -> None:
    """Checks on the kinematic model's own landmarks for the clip (what a perfect pose estimator would
    report, with the model's jitter), in `model_runs/`: separates what the checks miss from what the pose
    estimator misses."""
    from stretches.engine import evaluate
    from stretches.render_clip import load_truth
    from stretches.synthetic import simulate

    track = simulate(_model_scenario(clip)).track
    frames = len(load_truth(clip_video(clip, work)).t_ms)
    if track.num_frames != frames:
        raise RuntimeError(f"{clip.name}: the model gives {track.num_frames} frames, the clip has {frames}; "
                           "its scenario is not the one it was rendered from")
    runs_dir = work / MODEL_RUNS / clip.name
    runs_dir.mkdir(parents=True, exist_ok=True)
    track.save(runs_dir / "track.npz")
    events = evaluate(track, clip.stretch_id)
    (runs_dir / "events.json").write_text(json.dumps(events.to_dict(), indent=2) + "\n")


def _model_scenario(clip: EvalClip):
    """The scenario the clip was rendered from: a sample's own (sample_videos/ has its speed, seed and
    framing), else the evaluation clip's."""
    if not clip.sample:
        return _scenario(clip)
    from stretches.samples import sample_specs, scenario_for

    return scenario_for(next(spec for spec in sample_specs() if spec.name == clip.name))


def rescore_clip(clip: EvalClip, work: Path) -> None:
    """events.json again from the cached track (same roles as stored), without re-running inference."""
    from stretches.session import check_track

    runs_dir = work / "runs" / clip.name
    events = check_track(runs_dir / "track.npz", clip.stretch_id)
    (runs_dir / "events.json").write_text(json.dumps(events.to_dict(), indent=2) + "\n")


# ------------------------------------------------------------------------------------------------ scoring

def _overlaps(a_start: float, a_end: float, b_start: float, b_end: float) -> bool:
    return a_start <= b_end and b_start <= a_end


def identity_swaps(track_landmarks: np.ndarray, image_size: tuple[int, int], truth_2d: np.ndarray,
                   min_run_frames: int = 3) -> tuple[int, dict[int, int]]:
    """Identity changes of the tracked people against the truth, and each slot's majority real person.

    Each frame where both tracked people are present is labelled "same" or "crossed" (which pairing of
    tracked and real people has the smaller mean landmark distance); a swap is a label change that lasts
    at least `min_run_frames` frames.
    """
    width, height = image_size
    xy = track_landmarks[..., :2] * np.array([width, height], dtype=np.float32)  # (F, 2, 33, 2)
    present = ~np.isnan(xy[..., 0]).all(axis=-1)  # (F, 2)
    frames = min(len(xy), len(truth_2d))
    labels: list[int] = []
    votes = {0: [0, 0], 1: [0, 0]}
    for f in range(frames):
        dist = np.full((2, 2), np.inf)
        for p in range(2):
            if not present[f, p]:
                continue
            for q in range(2):
                d = np.linalg.norm(xy[f, p] - truth_2d[f, q], axis=-1)
                dist[p, q] = float(np.nanmean(d))
        for p in range(2):
            if np.isfinite(dist[p]).all():
                votes[p][int(np.argmin(dist[p]))] += 1
        if present[f].all():
            labels.append(0 if dist[0, 0] + dist[1, 1] <= dist[0, 1] + dist[1, 0] else 1)
    swaps = 0
    current = None
    run_label, run_length = None, 0
    for label in labels:
        run_length = run_length + 1 if label == run_label else 1
        run_label = label
        if run_length == min_run_frames:
            if current is not None and label != current:
                swaps += 1
            current = label
    majority = {p: int(np.argmax(v)) for p, v in votes.items() if sum(v) > 0}
    return swaps, majority


RIGHT_BODY_MAX_ERROR = 0.2  # mean landmark error, × the true body's size, for a tracked person to be "on" it


def frames_on_right_bodies(track_landmarks: np.ndarray, image_size: tuple[int, int], truth_2d: np.ndarray,
                           max_error: float = RIGHT_BODY_MAX_ERROR) -> int:
    """Frames where both tracked people are present and each lies on a different real person.

    Stricter than "both people found": a merged pose (one person's head on the other's body) or both
    tracks on the same person counts as found but not as right.
    """
    width, height = image_size
    xy = track_landmarks[..., :2] * np.array([width, height], dtype=np.float32)  # (F, 2, 33, 2)
    frames = min(len(xy), len(truth_2d))
    right = 0
    for f in range(frames):
        if np.isnan(xy[f, :, :, 0]).all(axis=-1).any():
            continue
        size = [float(np.hypot(*np.ptp(truth_2d[f, q], axis=0))) for q in range(2)]
        error = [[float(np.nanmean(np.linalg.norm(xy[f, p] - truth_2d[f, q], axis=-1))) / max(size[q], 1.0)
                  for q in range(2)] for p in range(2)]
        straight, crossed = (error[0][0], error[1][1]), (error[0][1], error[1][0])
        pairing = min(straight, crossed, key=sum)
        right += max(pairing) < max_error
    return right


def score(clips: list[EvalClip], work: Path, runs: str = "runs") -> dict:
    from stretches.catalog import STRETCHES
    from stretches.render_clip import load_truth
    from vision.track import Track

    per_check: dict[str, dict] = {}

    def entry(check_id: str) -> dict:
        return per_check.setdefault(check_id, {"faults": 0, "detected": 0, "latencies_s": [],
                                               "false_warnings": 0, "good_minutes": 0.0})

    totals = {"frames": 0, "frames_both": 0, "frames_right": 0, "swaps": 0, "role_errors": 0, "clips": 0,
              "swap_clips": [], "role_error_clips": []}
    per_stretch: dict[str, dict] = {}
    for clip in clips:
        truth = load_truth(clip_video(clip, work))
        run = work / runs / clip.name
        events = json.loads((run / "events.json").read_text())
        track = Track.load(run / "track.npz")
        duration_s = truth.duration_s
        warnings = events["warnings"]
        check_ids = [c.id for c in STRETCHES[clip.stretch_id].checks if c.id != "common.not_visible"]
        for check_id in check_ids:
            e = entry(check_id)
            windows = [f for f in truth.faults if f.check_id == check_id]
            mine = [w for w in warnings if w["check"] == check_id]
            for fault in windows:
                e["faults"] += 1
                hits = [w for w in mine if _overlaps(w["start_s"], w["end_s"], fault.start_s, fault.end_s)]
                if hits:
                    e["detected"] += 1
                    e["latencies_s"].append(min(w["start_s"] for w in hits) - fault.start_s)
            e["false_warnings"] += sum(1 for w in mine if not any(
                _overlaps(w["start_s"], w["end_s"], f.start_s, f.end_s) for f in windows))
            e["good_minutes"] += max(0.0, duration_s - sum(f.end_s - f.start_s for f in windows)) / 60.0
        coverage = events["coverage"]
        totals["frames"] += coverage["frames"]
        totals["frames_both"] += coverage["frames_both_people"]
        swaps, majority = identity_swaps(track.landmarks, track.image_size, truth.joints_2d)
        right = frames_on_right_bodies(track.landmarks, track.image_size, truth.joints_2d)
        totals["frames_right"] += right
        stretch_row = per_stretch.setdefault(clip.stretch_id, {"clips": 0, "frames": 0, "frames_both": 0,
                                                               "frames_right": 0, "swaps": 0,
                                                               "role_errors": 0})
        stretch_row["clips"] += 1
        stretch_row["frames"] += coverage["frames"]
        stretch_row["frames_both"] += coverage["frames_both_people"]
        stretch_row["frames_right"] += right
        stretch_row["swaps"] += swaps
        totals["swaps"] += swaps
        if swaps:
            totals["swap_clips"].append(clip.name)
        client_slot = events["roles"].get("client")
        if client_slot is None or majority.get(client_slot) != truth.roles["client"]:
            totals["role_errors"] += 1
            totals["role_error_clips"].append(clip.name)
            stretch_row["role_errors"] += 1
        totals["clips"] += 1
    rows = []
    for check_id in sorted(per_check):
        e = per_check[check_id]
        recall = e["detected"] / e["faults"] if e["faults"] else None
        false_rate = e["false_warnings"] / e["good_minutes"] if e["good_minutes"] > 0 else 0.0
        latency = float(np.median(e["latencies_s"])) if e["latencies_s"] else None
        meets = (recall is None or recall >= TARGET_RECALL) and false_rate <= TARGET_FALSE_PER_MIN
        rows.append({"check": check_id, "faults": e["faults"], "detected": e["detected"],
                     "recall": recall, "false_warnings": e["false_warnings"],
                     "good_minutes": round(e["good_minutes"], 2), "false_per_min": round(false_rate, 3),
                     "median_latency_s": None if latency is None else round(latency, 2),
                     "meets_target": meets})
    both = totals["frames_both"] / totals["frames"] if totals["frames"] else 0.0
    right = totals["frames_right"] / totals["frames"] if totals["frames"] else 0.0
    overall = {"clips": totals["clips"], "frames": totals["frames"],
               "frames_both_people": totals["frames_both"], "both_found_frac": round(both, 4),
               "frames_right_bodies": totals["frames_right"], "right_bodies_frac": round(right, 4),
               "identity_swaps": totals["swaps"],
               "swap_clips": totals["swap_clips"], "role_errors": totals["role_errors"],
               "role_error_clips": totals["role_error_clips"]}
    return {"checks": rows, "overall": overall, "stretches": per_stretch}


def format_table(result: dict) -> str:
    lines = ["| check | faults | recall | false warnings / min (good-form min) | median latency | target |",
             "|---|---|---|---|---|---|"]
    for row in result["checks"]:
        recall = ("n/a" if row["recall"] is None
                  else f"{row['recall'] * 100:.0f}% ({row['detected']}/{row['faults']})")
        latency = "n/a" if row["median_latency_s"] is None else f"{row['median_latency_s']:.1f} s"
        lines.append(f"| {row['check']} | {row['faults']} | {recall} | {row['false_per_min']:.2f} "
                     f"({row['false_warnings']} in {row['good_minutes']:.1f}) | {latency} | "
                     f"{'met' if row['meets_target'] else 'MISSED'} |")
    lines += ["", "| stretch | clips | both people found | both on the right bodies | identity swaps "
                  "| role errors |", "|---|---|---|---|---|---|"]
    for stretch_id, row in result.get("stretches", {}).items():
        share = row["frames_both"] / row["frames"] * 100 if row["frames"] else 0.0
        right = row.get("frames_right", 0) / row["frames"] * 100 if row["frames"] else 0.0
        lines.append(f"| {stretch_id} | {row['clips']} | {share:.1f}% | {right:.1f}% | {row['swaps']} | "
                     f"{row['role_errors']} |")
    o = result["overall"]
    lines += ["", f"Clips: {o['clips']}, frames: {o['frames']}. Both people found on "
                  f"{o['both_found_frac'] * 100:.1f}% of frames ({o['frames_both_people']}/{o['frames']}), "
                  f"both on the right bodies on {o.get('right_bodies_frac', 0) * 100:.1f}%; "
                  f"identity swaps: {o['identity_swaps']}; role errors: {o['role_errors']} clip(s)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from vision.model import VARIANTS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK_DIR, help="cache for clips and runs")
    parser.add_argument("--quick", action="store_true", help="only the 22 sample clips")
    parser.add_argument("--with-good-variants", action="store_true",
                        help="also a second good-form take of each stretch")
    parser.add_argument("--with-commons", action="store_true",
                        help="also common.jerky_motion / hold_short / hold_long takes")
    parser.add_argument("--takes", type=int, default=DEFAULT_TAKES,
                        help="takes of each stretch's own faults (1: the samples and one eval_ clip each)")
    parser.add_argument("--jobs", type=int, default=1, help="clips rendered/analyzed in parallel")
    parser.add_argument("--rerun-analysis", action="store_true", help="re-run analyze on cached clips")
    parser.add_argument("--variant", default="full", choices=VARIANTS,
                        help="PoseLandmarker variant for analyze (runs made with another are redone)")
    parser.add_argument("--rescore", action="store_true",
                        help="re-evaluate the checks on the cached tracks (after an engine change) and score")
    parser.add_argument("--only", nargs="*", help="clip names (see --list)")
    parser.add_argument("--list", action="store_true", help="list the evaluation clips and exit")
    parser.add_argument("--score-only", action="store_true",
                        help="score the clips already analyzed, run nothing (a partial set says so)")
    parser.add_argument("--model-landmarks", action="store_true",
                        help="score the checks on the kinematic model's own landmarks instead of the "
                             "pipeline's (clips must be rendered; no inference)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    args = parser.parse_args(argv)
    clips = evaluation_set(args.quick, args.with_commons, args.with_good_variants, args.takes)
    if args.only:
        clips = [c for c in clips if c.name in set(args.only)]
    if args.list:
        for clip in clips:
            print(clip.name)
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    print(f"{len(clips)} clips, work dir {args.work}", flush=True)
    runs = "runs"
    if args.model_landmarks:
        runs = MODEL_RUNS
        clips = [c for c in clips if clip_video(c, args.work).is_file()]
        for clip in clips:
            model_landmarks_clip(clip, args.work)
    elif args.score_only:
        done = [c for c in clips if (args.work / "runs" / c.name / "events.json").is_file()]
        print(f"scoring {len(done)} of {len(clips)} clips (the others are not analyzed yet)", flush=True)
        clips = done
    elif args.rescore:
        for clip in clips:
            rescore_clip(clip, args.work)
    elif args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(run_clip, c, args.work, args.rerun_analysis, args.variant) for c in clips]
            for future in futures:
                print(future.result(), flush=True)
    else:
        for clip in clips:
            print(run_clip(clip, args.work, args.rerun_analysis, args.variant), flush=True)
    result = score(clips, args.work, runs)
    result["elapsed_s"] = round(time.time() - started, 1)
    table = format_table(result)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
