"""The `stretchguard` command: model provisioning, analysis of a recording, re-checking a saved track.

Exit codes: 0 success, 2 bad input (one line on stderr naming the problem, never a traceback), 130 interrupt.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from vision.atomic import write_text_atomic
from vision.errors import StretchGuardError
from vision.model import VARIANTS

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or EXIT_OK)
    except StretchGuardError as error:
        print(f"stretchguard: error: {_one_line(str(error))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("stretchguard: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as error:  # e.g. an output folder that cannot be written
        where = f": {error.filename}" if getattr(error, "filename", None) else ""
        print(f"stretchguard: error: {_one_line(error.strerror or str(error))}{where}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (argparse's default also prints the usage block)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"stretchguard: error: {message} (see --help)\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="stretchguard", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    model = commands.add_parser("model", help="find, download or build the PoseLandmarker bundle")
    model.add_argument("--variant", default="full", choices=VARIANTS)
    model.add_argument("--model", dest="model_path", metavar="PATH", help="use this .task bundle")
    model.add_argument("--path", action="store_true", help="print only the bundle path")
    model.set_defaults(handler=_cmd_model)

    analyze = commands.add_parser("analyze", help="track both people in a video and check the stretch")
    analyze.add_argument("video", type=Path)
    analyze.add_argument("--stretch", required=True, metavar="ID")
    analyze.add_argument("--out", type=Path, default=None, metavar="DIR",
                         help="output folder (default: ./<video name>.stretchguard)")
    analyze.add_argument("--thresholds", type=Path, default=None, metavar="FILE")
    analyze.add_argument("--client", default=None, metavar="left|right|0|1",
                         help="who is the client (default: from posture)")
    analyze.add_argument("--no-video", action="store_true", help="skip annotated.mp4")
    analyze.add_argument("--model", dest="model_path", metavar="PATH", help="use this .task bundle")
    analyze.add_argument("--variant", default="full", choices=VARIANTS,
                         help="landmark model when --model is not given: heavy is about 2.3x slower")
    analyze.set_defaults(handler=_cmd_analyze)

    check = commands.add_parser("check", help="print the events JSON of a saved track (no inference)")
    check.add_argument("track", type=Path)
    check.add_argument("--stretch", required=True, metavar="ID")
    check.add_argument("--thresholds", type=Path, default=None, metavar="FILE")
    check.add_argument("--client", default=None, metavar="left|right|0|1")
    check.set_defaults(handler=_cmd_check)

    stretches = commands.add_parser("stretches", help="list stretch ids and their check ids")
    stretches.add_argument("--json", action="store_true")
    stretches.set_defaults(handler=_cmd_stretches)

    thresholds = commands.add_parser("thresholds", help="print or write the default thresholds file")
    thresholds.add_argument("--defaults", action="store_true", required=True)
    thresholds.add_argument("--out", type=Path, default=None, metavar="FILE")
    thresholds.set_defaults(handler=_cmd_thresholds)
    return parser


def _cmd_model(args: argparse.Namespace) -> int:
    from vision.model import ensure_model

    progress = _ModelProgressPrinter()
    try:
        path = ensure_model(args.variant, explicit_path=args.model_path, progress=progress)
    finally:
        progress.close()
    if args.path:
        print(path)
    else:
        size_mb = path.stat().st_size / 1e6
        print(f"PoseLandmarker '{args.variant}' bundle: {path} ({size_mb:.1f} MB)")
    return EXIT_OK


class _ModelProgressPrinter:
    """Stage lines on stderr, plus a byte progress bar while something of known size downloads."""

    def __init__(self) -> None:
        self._stage: str | None = None
        self._bar = None

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage != self._stage:
            self.close()
            self._stage = stage
            print(f"stretchguard: {stage}", file=sys.stderr)
            if total:
                from tqdm import tqdm

                self._bar = tqdm(total=total, unit="B", unit_scale=True, file=sys.stderr, leave=False)
        if self._bar is not None:
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _cmd_analyze(args: argparse.Namespace) -> int:
    from stretches.session import analyze

    out_dir = args.out or Path.cwd() / f"{args.video.stem}.stretchguard"
    thresholds = _load_thresholds(args.thresholds)
    with _FrameProgressBar("analyze") as progress:
        result = analyze(args.video, args.stretch, out_dir, thresholds=thresholds, client=args.client,
                         write_video=not args.no_video, progress=progress, model_path=args.model_path,
                         model_variant=args.variant)
    print(f"track:  {result.track_path}")
    print(f"events: {result.events_path}")
    if result.video_path is not None:
        print(f"video:  {result.video_path}")
    events = result.events.to_dict()
    print(f"{len(events.get('holds', []))} hold(s), {len(events.get('warnings', []))} warning(s)")
    return EXIT_OK


class _FrameProgressBar:
    """progress(done, total) → a tqdm bar on stderr."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._bar = None

    def __enter__(self) -> _FrameProgressBar:
        return self

    def __call__(self, done: int, total: int | None) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="frame", desc=self._label, file=sys.stderr, leave=False)
        if total and self._bar.total != total:
            self._bar.total = total
        self._bar.update(done - self._bar.n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()


def _cmd_check(args: argparse.Namespace) -> int:
    from stretches.session import check_track

    thresholds = _load_thresholds(args.thresholds)
    events = check_track(args.track, args.stretch, thresholds=thresholds, client=args.client)
    print(json.dumps(events.to_dict(), indent=2))
    return EXIT_OK


def _cmd_stretches(args: argparse.Namespace) -> int:
    from stretches.catalog import STRETCHES, catalog_as_dict

    if args.json:
        print(json.dumps(catalog_as_dict(), indent=2))
        return EXIT_OK
    for stretch in STRETCHES.values():
        print(f"{stretch.id}  ({stretch.name}; client {stretch.client_posture}, "
              f"partner {stretch.partner_posture})")
        for check in stretch.checks:
            print(f"    {check.id}")
    return EXIT_OK


def _cmd_thresholds(args: argparse.Namespace) -> int:
    from stretches.thresholds import default_thresholds_toml

    text = default_thresholds_toml()
    if args.out is None:
        sys.stdout.write(text)
        return EXIT_OK
    if args.out.exists():
        raise _OutputExistsError(f"{args.out} already exists; choose another --out or remove it first")
    write_text_atomic(args.out, text)
    print(f"wrote {args.out}")
    return EXIT_OK


class _OutputExistsError(StretchGuardError):
    """Refusing to overwrite a file the user already has."""


def _load_thresholds(path: Path | None):
    if path is None:
        return None
    from stretches.thresholds import load_thresholds

    return load_thresholds(path)


if __name__ == "__main__":
    sys.exit(main())
