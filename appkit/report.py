"""Exports of a reviewed session: the events table as CSV and a printable HTML report with key frames."""

from __future__ import annotations

import base64
import csv
import html
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import av
import cv2
import numpy as np

CSV_COLUMNS = ("kind", "check", "title", "role", "severity", "side", "start_s", "end_s", "duration_s",
               "peak", "threshold", "unit", "status", "message")


@dataclass(frozen=True)
class Row:
    """One line of the warnings-and-holds table; times are seconds into the video."""

    kind: str  # "warning" | "hold" | "not visible"
    check: str
    title: str
    role: str
    severity: str
    side: str
    start_s: float
    end_s: float
    peak: float | None
    threshold: float | None
    unit: str
    status: str
    message: str

    @property
    def duration_s(self) -> float:
        return round(self.end_s - self.start_s, 3)

    def as_dict(self) -> dict:
        values = {name: getattr(self, name) for name in CSV_COLUMNS}
        return values


def _title(check_id: str) -> str:
    try:
        from stretches.catalog import all_checks

        check = all_checks().get(check_id)
    except ImportError:
        check = None
    return check.title if check is not None else check_id


def event_rows(events: dict, offset_s: float = 0.0) -> list[Row]:
    """Warnings, holds and paused checks of an events.json dict, in time order."""
    rows: list[Row] = []
    for w in events.get("warnings", []):
        rows.append(Row("warning", w["check"], _title(w["check"]), w.get("role", ""), w.get("severity", ""),
                        "",
                        round(w["start_s"] - offset_s, 3), round(w["end_s"] - offset_s, 3), w.get("peak"),
                        w.get("threshold"), w.get("unit", ""), "", w.get("message", "")))
    for h in events.get("holds", []):
        target = h.get("target_s")
        target_text = "–".join(f"{t:g}" for t in target) if isinstance(target, list | tuple) else str(target)
        rows.append(Row("hold", "hold", "Hold", "client", "", h.get("side") or "",
                        round(h["start_s"] - offset_s, 3), round(h["end_s"] - offset_s, 3), None, None, "s",
                        h.get("status", ""), f"held {h.get('duration_s', 0):.1f} s (target {target_text} s)"))
    for n in events.get("not_visible", []):
        rows.append(Row("not visible", n.get("paused_check", n["check"]), _title(n.get("paused_check", "")),
                        n.get("role", ""), "info", "", round(n["start_s"] - offset_s, 3),
                        round(n["end_s"] - offset_s, 3), None, None, "", "paused", n.get("message", "")))
    rows.sort(key=lambda r: (r.start_s, r.kind))
    return rows


def rows_csv(rows: Sequence[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.as_dict())
    return buffer.getvalue()


def key_frames(video: str | os.PathLike, times_s: Sequence[float],
               max_width_px: int = 480) -> list[bytes | None]:
    """A JPEG of the frame shown at each time (None where the video has no frame there)."""
    wanted = sorted((t, i) for i, t in enumerate(times_s))
    out: list[bytes | None] = [None] * len(times_s)
    if not wanted:
        return out
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        position = 0
        last_image = None
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            while position < len(wanted) and frame.time >= wanted[position][0]:
                image = frame.to_ndarray(format="bgr24")
                out[wanted[position][1]] = _jpeg(image, max_width_px)
                position += 1
            last_image = frame
            if position == len(wanted):
                break
        while position < len(wanted) and last_image is not None:  # times past the end: the last frame
            out[wanted[position][1]] = _jpeg(last_image.to_ndarray(format="bgr24"), max_width_px)
            position += 1
    return out


def _jpeg(image: np.ndarray, max_width_px: int) -> bytes:
    height, width = image.shape[:2]
    if width > max_width_px:
        size = (max_width_px, round(height * max_width_px / width))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 82])
    return buffer.tobytes() if ok else b""


def key_frame_time(row: Row) -> float:
    """Where to look for a warning: a little after it starts (past the debounce), within its span."""
    return min(row.start_s + 0.5, (row.start_s + row.end_s) / 2)


_CSS = """
body {font-family: system-ui, sans-serif; margin: 2em; color: #111;}
h1 {margin-bottom: 0.1em;} .meta {color: #555;}
table {border-collapse: collapse; width: 100%; margin: 1em 0;}
th, td {border: 1px solid #bbb; padding: 4px 8px; text-align: left; vertical-align: top;}
th {background: #eee;}
.warning {background: #ffe3e0;} .caution {background: #fff4d6;}
.card {page-break-inside: avoid; border: 1px solid #ccc; border-radius: 8px; padding: 10px; margin: 12px 0;}
.card img {max-width: 480px; display: block; margin-top: 6px;}
.note {font-size: 0.9em; color: #444;}
@media print {body {margin: 1cm;} .card {break-inside: avoid;}}
"""


def html_report(events: dict, rows: Sequence[Row], *, title: str, stretch_name: str,
                video: str | os.PathLike | None) -> str:
    """A self-contained printable page: summary, holds, and each warning with its key frame."""
    warnings = [r for r in rows if r.kind == "warning"]
    holds = [r for r in rows if r.kind == "hold"]
    frames = key_frames(video, [key_frame_time(r) for r in warnings]) if video and warnings else []
    coverage = events.get("coverage", {})
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p class='meta'>{esc(stretch_name)} · {events.get('duration_s', 0):.1f} s · "
        f"{coverage.get('frames_both_people', 0)} of {coverage.get('frames', 0)} frames with both people · "
        f"report made {datetime.now(UTC):%Y-%m-%d %H:%M} UTC</p>",
        f"<h2>Holds ({len(holds)})</h2>",
    ]
    if holds:
        parts.append("<table><tr><th>side</th><th>from (s)</th><th>to (s)</th><th>held (s)</th>"
                     "<th>status</th><th>note</th></tr>")
        for r in holds:
            parts.append(f"<tr><td>{esc(r.side or '–')}</td><td>{r.start_s:.1f}</td><td>{r.end_s:.1f}</td>"
                         f"<td>{r.duration_s:.1f}</td><td>{esc(r.status)}</td><td>{esc(r.message)}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>No hold was detected.</p>")
    parts.append(f"<h2>Warnings ({len(warnings)})</h2>")
    if not warnings:
        parts.append("<p>No warning: every check stayed within its threshold.</p>")
    for index, r in enumerate(warnings):
        frame = frames[index] if index < len(frames) else None
        image = (f"<img alt='frame at {key_frame_time(r):.1f} s' src='data:image/jpeg;base64,"
                 f"{base64.b64encode(frame).decode()}'>" if frame else "")
        peak = f"{r.peak:g}" if r.peak is not None else "–"
        threshold = f"{r.threshold:g}" if r.threshold is not None else "–"
        parts.append(
            f"<div class='card {esc(r.severity)}'><b>{esc(r.title)}</b> ({esc(r.check)}, {esc(r.role)}, "
            f"{esc(r.severity)})<br>{r.start_s:.1f}–{r.end_s:.1f} s · peak {peak} {esc(r.unit)} "
            f"(threshold {threshold} {esc(r.unit)})<br>{esc(r.message)}{image}</div>"
        )
    parts.append("<p class='note'>StretchGuard checks what a camera can see. It cannot feel pain: stop any "
                 "stretch at once on sharp pain, numbness or tingling.</p></body></html>")
    return "\n".join(parts)


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
