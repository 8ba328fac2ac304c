"""Live path benchmark: frames processed per second and the delay from a frame's arrival to its drawing.

A clip (default: sample_videos/supine_figure_four_fault.mp4, two people) is played as a 30 fps camera
into streamlit-webrtc's own async processing track (the one the Live page uses: the worker thread gets
only the newest frame, older ones are dropped) with the app's LiveProcessor as video_frame_callback. Only
the network and the browser's video codec are left out. Prints frames/s processed and the arrival → drawn
delay (all frames, and frames that carry a warning banner), as median and 95th percentile.

    .venv/bin/python benchmarks/live.py [--video F.mp4] [--stretch ID] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from fractions import Fraction
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's start-up chatter

import av  # noqa: E402
import numpy as np  # noqa: E402
import streamlit.logger  # noqa: E402

streamlit.logger.set_log_level("error")  # its "no runtime" notes: this benchmark is not a Streamlit app

from aiortc.mediastreams import MediaStreamTrack  # noqa: E402
from streamlit_webrtc.models import CallbackAttachableProcessor  # noqa: E402
from streamlit_webrtc.process import AsyncVideoProcessTrack  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from appkit.live import LiveProcessor  # noqa: E402
from appkit.y4m import letterbox  # noqa: E402

VIDEO_CLOCK = Fraction(1, 90000)


DEFAULT_SAMPLE = "supine_figure_four_fault.mp4"  # both people in view on ~99% of frames, a warning shown


def default_video() -> Path:
    preferred = REPO / "sample_videos" / DEFAULT_SAMPLE
    if preferred.is_file():
        return preferred
    faults = sorted((REPO / "sample_videos").glob("*_fault*.mp4"))
    if faults:
        return faults[0]
    return REPO.parent / "shared" / "footage" / "pose2sim_multi_cam01.mp4"


def guess_stretch(video: Path) -> str:
    from stretches.catalog import STRETCHES

    for stretch_id in sorted(STRETCHES, key=len, reverse=True):
        if video.stem.startswith(stretch_id):
            return stretch_id
    return "standing_backbend"


def load_frames(video: Path, width: int, height: int, max_frames: int = 900) -> list[np.ndarray]:
    frames = []
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            frames.append(letterbox(frame.to_ndarray(format="bgr24"), width, height))
            if len(frames) >= max_frames:
                break
    if not frames:
        raise SystemExit(f"no frames in {video}")
    return frames


class ClipCamera(MediaStreamTrack):
    """A looping clip delivered in real time at `fps`, remembering when each frame arrived."""

    kind = "video"

    def __init__(self, frames: list[np.ndarray], fps: float) -> None:
        super().__init__()
        self.frames, self.fps = frames, fps
        self.index = 0
        self.started: float | None = None
        self.arrived_at: dict[int, float] = {}

    async def recv(self) -> av.VideoFrame:
        if self.started is None:
            self.started = time.perf_counter()
        due = self.started + self.index / self.fps
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        frame = av.VideoFrame.from_ndarray(self.frames[self.index % len(self.frames)], format="bgr24")
        frame.pts = int(round(self.index / self.fps / VIDEO_CLOCK))
        frame.time_base = VIDEO_CLOCK
        self.arrived_at[frame.pts] = time.perf_counter()
        self.index += 1
        return frame


async def run(video: Path, stretch_id: str, seconds: float, fps: float, size: tuple[int, int]) -> dict:
    frames = load_frames(video, *size)
    processor = LiveProcessor()
    processor.select_stretch(stretch_id)
    drawn: dict[int, tuple[int, bool, int]] = {}  # id(out frame) -> (source pts, warning drawn, people)
    keep_alive: list[av.VideoFrame] = []

    def callback(frame: av.VideoFrame) -> av.VideoFrame:
        out = processor.on_frame(frame)
        snapshot = processor.snapshot()
        drawn[id(out)] = (frame.pts, bool(snapshot.warnings), snapshot.people)
        keep_alive.append(out)
        del keep_alive[:-8]
        return out

    # Warm up: load the model and decide roles before timing (as the page does before START matters).
    warm = ClipCamera(frames, fps)
    for _ in range(15):
        callback(await warm.recv())

    camera = ClipCamera(frames, fps)
    track = AsyncVideoProcessTrack(camera, CallbackAttachableProcessor(callback, None, None))
    delays_ms: list[float] = []
    warning_delays_ms: list[float] = []
    people: list[int] = []
    frames_before = processor.snapshot().frames_processed
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        out = await track.recv()
        sent = time.perf_counter()
        entry = drawn.pop(id(out), None)  # None: the library re-sent the previous drawing
        if entry is not None:
            pts, warning, count = entry
            delay = (sent - camera.arrived_at[pts]) * 1000
            delays_ms.append(delay)
            people.append(count)
            if warning:
                warning_delays_ms.append(delay)
    elapsed = time.perf_counter() - started
    processed = processor.snapshot().frames_processed - frames_before
    stage_ms = processor.pipeline_stage_ms()
    track.stop()
    processor.close()
    return {
        "video": video.name, "stretch": stretch_id, "seconds": elapsed, "frames_arrived": camera.index,
        "frames_processed": processed, "fps": processed / elapsed, "delays_ms": delays_ms,
        "warning_delays_ms": warning_delays_ms, "people_median": float(np.median(people)) if people else 0.0,
        "error": processor.snapshot().error, "stage_ms": stage_ms,
    }


def describe(values: list[float]) -> str:
    if not values:
        return "n/a (none)"
    return (f"median {np.median(values):.0f} ms, p95 {np.percentile(values, 95):.0f} ms, "
            f"max {np.max(values):.0f} ms (n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", type=Path, default=None)
    parser.add_argument("--stretch", default=None)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    args = parser.parse_args()
    video = args.video or default_video()
    stretch_id = args.stretch or guess_stretch(video)
    result = asyncio.run(run(video, stretch_id, args.seconds, args.fps, (args.width, args.height)))
    load = os.getloadavg()[0]
    print(f"live benchmark: {result['video']} as a {args.fps:g} fps {args.width}x{args.height} camera, "
          f"stretch {result['stretch']}, {result['seconds']:.1f} s, {os.cpu_count()} CPUs, load {load:.1f}")
    print(f"people per frame (median): {result['people_median']:.0f}")
    print(f"frames arrived {result['frames_arrived']}, processed {result['frames_processed']} "
          f"-> {result['fps']:.1f} frames/s processed (target >= 20)")
    print(f"arrival -> drawn delay, all frames: {describe(result['delays_ms'])}")
    print(f"arrival -> drawn delay, frames with a warning: {describe(result['warning_delays_ms'])} "
          "(target < 150 ms)")
    stages = ", ".join(f"{name} {ms:.1f}" for name, ms in result["stage_ms"].items())
    print(f"pose pipeline, ms per processed frame: {stages}")
    if result["error"]:
        print(f"processing error: {result['error']}")


if __name__ == "__main__":
    main()
