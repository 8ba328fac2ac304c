"""The sample clips: each stretch done well and with its most characteristic fault, with ground truth.

    python -m stretches.samples                 # (re)build sample_videos/ (22 clips + truth + README.md)
    python -m stretches.samples --only butterfly_good supine_twist_fault

`render_session_clip` is also what the accuracy benchmark uses to turn a synthetic session into a clip.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from stretches.render import Renderer, RenderStyle, default_pixel_scale, random_style, scene_centre
from stretches.render_clip import ClipTruth, FaultTruth, write_clip
from vision.atomic import write_text_atomic

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "sample_videos"
REGENERATE_COMMAND = "python -m stretches.samples"

# The fault each stretch's "fault" sample shows: the one a partner most often gets wrong.
CHARACTERISTIC_FAULT: dict[str, str] = {
    "seated_thoracic_extension": "seated_thoracic_extension.lumbar_arch",
    "supine_thoracic_rotation": "supine_thoracic_rotation.shoulder_lift",
    "seated_forward_fold": "seated_forward_fold.upper_back_rounding",
    "standing_backbend": "standing_backbend.backbend_depth",
    "childs_pose": "childs_pose.hips_off_heels",
    "straddle_fold": "straddle_fold.locked_knees",
    "butterfly": "butterfly.soles_apart",
    "supine_hamstring": "supine_hamstring.hips_lifting",
    "supine_figure_four": "supine_figure_four.ankle_not_crossed",
    "prone_quad": "prone_quad.hip_lift",
    "supine_twist": "supine_twist.shoulder_lift",
}
MAX_SAMPLE_S = 40.0  # childs_pose is the exception: its hold alone is 60 s
SAMPLE_LEAD_IN_S = 1.0
SAMPLE_TAIL_S = 1.0
SAMPLE_SPEED = 1.4  # entry and release a little quicker than the model's default, still good form


@dataclass(frozen=True)
class SampleSpec:
    name: str
    stretch_id: str
    fault: str | None
    side: str | None
    camera_azimuth_deg: float
    camera_height: str | float
    image_size: tuple[int, int]
    client_body: str
    partner_body: str
    seed: int
    hold_s: float | None = None  # None: the stretch's typical hold


def sample_specs() -> list[SampleSpec]:
    """Two clips per stretch; camera angle and height, frame size, bodies and looks vary across the set."""
    from stretches.catalog import STRETCHES
    from stretches.synthetic import INJECTABLE_FAULTS, PER_SIDE, STRETCH_IDS

    # Holds a little above the minimum of the spec's range (fixed holds stay as they are), so the clips
    # stay short while the good takes are still held long enough.
    def hold_for(stretch_id: str) -> float | None:
        low, high = STRETCHES[stretch_id].hold_range_s
        return None if high - low < 1.0 else min(high, low + 3.0)

    views = ((0.0, "auto"), (20.0, "auto"), (-25.0, "mid"), (0.0, "high"), (15.0, "mid"))
    bodies = (("medium", "tall"), ("small", "medium"), ("broad", "medium"), ("tall", "small"))
    specs = []
    for i, stretch_id in enumerate(STRETCHES):  # the spec's order, so a clip's variant never shifts
        if stretch_id not in STRETCH_IDS:
            continue
        fault = CHARACTERISTIC_FAULT.get(stretch_id)
        if fault not in INJECTABLE_FAULTS.get(stretch_id, {}):
            own = [f for f in INJECTABLE_FAULTS.get(stretch_id, {}) if not f.startswith("common.")]
            fault = own[0] if own else None
        for j, (kind, check) in enumerate((("good", None), ("fault", fault))):
            if kind == "fault" and check is None:
                continue
            k = 2 * i + j
            azimuth, height = views[k % len(views)]
            client, partner = bodies[k % len(bodies)]
            specs.append(SampleSpec(
                name=f"{stretch_id}_{kind}",
                stretch_id=stretch_id,
                fault=check,
                side=("left", "right")[k % 2] if stretch_id in PER_SIDE else None,
                camera_azimuth_deg=azimuth,
                camera_height=height,
                image_size=(1280, 720) if k % 4 == 3 else (640, 480),
                client_body=client,
                partner_body=partner,
                seed=100 + k,
                hold_s=hold_for(stretch_id),
            ))
    return specs


def scenario_for(spec: SampleSpec):
    from stretches.synthetic import BODY_SIZES, Scenario

    return Scenario(
        spec.stretch_id, fault=spec.fault, side=spec.side, seed=spec.seed,
        camera_azimuth_deg=spec.camera_azimuth_deg, camera_height=spec.camera_height,
        image_size=spec.image_size, client_body=BODY_SIZES[spec.client_body],
        partner_body=BODY_SIZES[spec.partner_body], hold_s=spec.hold_s,
        lead_in_s=SAMPLE_LEAD_IN_S, tail_s=SAMPLE_TAIL_S, speed=SAMPLE_SPEED,
    )


def style_for_session(session, seed: int) -> RenderStyle:
    """A random look whose body widths follow the simulated bodies' girth."""
    style = random_style(seed)
    scenario = session.scenario
    people = tuple(replace(person, build=person.build * body.girth)
                   for person, body in zip(style.people, (scenario.client_body, scenario.partner_body),
                                           strict=True))
    return replace(style, people=people)


def session_truth(session, meta: dict) -> ClipTruth:
    scene = np.asarray(session.scene_joints, dtype=float)
    uv, _ = session.camera.project(scene)
    roles = session.track.role_index() or {"client": 0, "partner": 1}
    return ClipTruth(
        stretch=session.scenario.stretch_id,
        fps=float(session.scenario.fps),
        image_size=tuple(int(v) for v in session.camera.image_size),
        t_ms=np.asarray(session.t_ms, dtype=np.int64),
        joints_2d=uv.astype(np.float32),
        joints_3d=scene.astype(np.float32),
        roles=roles,
        faults=[FaultTruth(f.check_id, round(float(f.start_s), 3), round(float(f.end_s), 3),
                           round(float(f.magnitude), 4), f.unit) for f in session.faults],
        holds=[{"side": h.side, "start_s": round(float(h.start_s), 3), "end_s": round(float(h.end_s), 3)}
               for h in session.holds],
        meta=meta,
    )


def render_session_clip(session, folder: str | os.PathLike, name: str, style_seed: int, crf: int = 26,
                        meta: dict | None = None) -> Path:
    """Render a synthetic session to folder/name.mp4 with its truth files; returns the video path."""
    style = style_for_session(session, style_seed)
    camera = session.camera
    renderer = Renderer(camera, style, scene_centre(session.scene_joints), seed=style_seed,
                        pixel_scale=default_pixel_scale(camera.image_size))
    info = {
        "camera": {"position_m": [round(float(v), 3) for v in camera.position_m],
                   "target_m": [round(float(v), 3) for v in camera.target_m],
                   "focal_px": round(float(camera.focal_px), 2)},
        "style_seed": style_seed,
        "pixel_scale": default_pixel_scale(camera.image_size),
        "scenario": _scenario_summary(session.scenario),
        **(meta or {}),
    }
    truth = session_truth(session, info)
    frames = (renderer.frame(joints) for joints in session.scene_joints)
    return write_clip(frames, truth, folder, name, crf=crf)


def _scenario_summary(scenario) -> dict:
    return {
        "stretch_id": scenario.stretch_id, "fault": scenario.fault, "side": scenario.side,
        "seed": scenario.seed, "camera_azimuth_deg": scenario.camera_azimuth_deg,
        "camera_height": scenario.camera_height, "image_size": list(scenario.image_size),
        "client_height_m": scenario.client_body.height_m, "partner_height_m": scenario.partner_body.height_m,
        "speed": scenario.speed, "jitter_frac": scenario.jitter_frac,
    }


def rewrite_truth(folder: Path = SAMPLES_DIR, only: list[str] | None = None) -> None:
    """Re-write the truth files of existing clips from the (deterministic) simulation, without rendering."""
    from stretches.render_clip import load_truth, save_truth
    from stretches.synthetic import simulate

    for spec in sample_specs():
        if only and spec.name not in only:
            continue
        video = folder / f"{spec.name}.mp4"
        if not video.is_file():
            continue
        old = load_truth(video)
        session = simulate(scenario_for(spec))
        truth = session_truth(session, old.meta)
        if truth.t_ms.size != old.t_ms.size:
            raise SystemExit(f"{spec.name}: the simulation changed length; re-render it")
        save_truth(truth, folder / spec.name)
        print(f"{spec.name}: truth rewritten", flush=True)


def build_samples(folder: Path = SAMPLES_DIR, only: list[str] | None = None, crf: int = 26,
                  missing_only: bool = False) -> list[Path]:
    from stretches.render_clip import TRUTH_JSON_SUFFIX
    from stretches.synthetic import simulate

    specs = [s for s in sample_specs() if not only or s.name in only]
    if only:
        specs.sort(key=lambda s: only.index(s.name))
    unknown = sorted(set(only or ()) - {s.name for s in specs})
    if unknown:
        raise SystemExit(f"unknown sample name(s): {', '.join(unknown)}")
    paths = []
    for spec in specs:
        if missing_only and (folder / f"{spec.name}{TRUTH_JSON_SUFFIX}").is_file():
            continue
        started = time.time()
        session = simulate(scenario_for(spec))
        if session.t_ms[-1] / 1000.0 > MAX_SAMPLE_S:
            print(f"note: {spec.name} lasts {session.t_ms[-1] / 1000.0:.1f} s (> {MAX_SAMPLE_S:.0f} s)",
                  file=sys.stderr)
        path = render_session_clip(session, folder, spec.name, spec.seed, crf=crf,
                                   meta={"sample": spec.name})
        size_mb = path.stat().st_size / 1e6
        print(f"{spec.name}: {session.t_ms.size} frames, {size_mb:.2f} MB, {time.time() - started:.0f} s",
              flush=True)
        paths.append(path)
    write_index(folder)
    return paths


def write_index(folder: Path = SAMPLES_DIR) -> Path:
    """sample_videos/README.md: what each clip shows, from the truth files on disk."""
    from stretches.render_clip import load_truth

    lines = [
        "# Sample videos",
        "",
        "Rendered partner stretches (no footage of real partner stretches exists): each stretch once",
        "done well and once with its characteristic fault. Beside each `NAME.mp4`: `NAME.truth.json`",
        "(stretch, roles, hold windows, each injected fault with start/end in seconds, camera, scenario)",
        "and `NAME.truth.npz` (per-frame 2D pixel and 3D scene joints of both people, 33 MediaPipe",
        "landmarks each; person 0 = client).",
        "",
        f"Regenerate all of them (deterministic): `{REGENERATE_COMMAND}` (one clip: `--only NAME`).",
        "",
        "| clip | stretch | fault (check, window) | size | length | MB |",
        "|---|---|---|---|---|---|",
    ]
    for video in sorted(v for v in folder.glob("*.mp4") if not v.name.startswith(".")):  # not temp files
        truth = load_truth(video)
        faults = "; ".join(f"`{f.check_id}` {f.start_s:.1f}–{f.end_s:.1f} s" for f in truth.faults) or "none"
        size = f"{truth.image_size[0]}×{truth.image_size[1]}"
        lines.append(f"| {video.name} | {truth.stretch} | {faults} | {size} | {truth.duration_s:.1f} s"
                     f" | {video.stat().st_size / 1e6:.2f} |")
    return write_text_atomic(folder / "README.md", "\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stretches.samples", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLES_DIR, help="folder for the clips")
    parser.add_argument("--only", nargs="*", help="sample names to rebuild (default: all)")
    parser.add_argument("--crf", type=int, default=26, help="H.264 quality, lower = larger (default: 26)")
    parser.add_argument("--list", action="store_true", help="list the sample names and exit")
    parser.add_argument("--missing", action="store_true", help="only clips not on disk yet")
    parser.add_argument("--truth-only", action="store_true",
                        help="re-write the truth files of existing clips without rendering")
    args = parser.parse_args(argv)
    if args.list:
        for spec in sample_specs():
            print(spec.name)
        return 0
    if args.truth_only:
        rewrite_truth(args.out, args.only)
        write_index(args.out)
        return 0
    build_samples(args.out, args.only, crf=args.crf, missing_only=args.missing)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
