"""Review: process a sample, an upload or a saved session once; annotated playback, timelines, exports."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import streamlit as st

from appkit import analysis as an
from appkit import ui
from appkit.charts import metric_chart, spans_for
from appkit.recorder import list_sessions, session_label
from appkit.report import event_rows, html_report, rows_csv
from vision.errors import StretchGuardError

SAMPLES_DIR = Path(os.environ.get("STRETCHGUARD_SAMPLES_DIR") or "sample_videos")

st.title("Review")
catalog = ui.catalog()
source = st.radio("Video to review", ["Sample video", "Upload", "Saved session"], horizontal=True,
                  key="review_source")


def stretch_from_name(name: str) -> str | None:
    stem = Path(name).stem
    return next((sid for sid in sorted(catalog, key=len, reverse=True) if stem.startswith(sid)), None)


video_path: Path | None = None
session_path: Path | None = None
guess: str | None = None
if source == "Sample video":
    samples = sorted(SAMPLES_DIR.glob("*.mp4"))
    if not samples:
        st.info("No sample videos in sample_videos/ yet.")
        st.stop()
    video_path = st.selectbox("Sample", samples, format_func=lambda p: p.name, key="review_sample")
    guess = stretch_from_name(video_path.name)
elif source == "Upload":
    uploaded = st.file_uploader("Video file (side view, both people in frame)",
                                type=[s.lstrip(".") for s in an.VIDEO_SUFFIXES], key="review_upload")
    if uploaded is None:
        st.stop()
    try:
        video_path = an.save_upload(uploaded.name, uploaded.getvalue())
    except StretchGuardError as error:
        st.error(str(error))
        st.stop()
    guess = stretch_from_name(uploaded.name)
else:
    sessions = list_sessions()
    if not sessions:
        st.info("No saved sessions yet: record one on the Live page.")
        st.stop()
    session_path = st.selectbox("Session", sessions, key="review_session",
                                format_func=session_label)

if session_path is not None:
    try:
        analysis = an.session_analysis(session_path)
    except StretchGuardError as error:
        st.error(str(error))
        st.stop()
    stretch_id = analysis.stretch_id
    st.caption(f"Stretch: {catalog[stretch_id].name}")
else:
    ids = list(catalog)
    # One widget per video, so picking another video starts from that video's own guess.
    stretch_id = st.selectbox("Stretch in the video", ids, index=ids.index(guess) if guess in ids else 0,
                              format_func=lambda s: catalog[s].name, key=f"review_stretch:{video_path.name}")
    analysis = an.cached_analysis(video_path, stretch_id)
    if analysis is None:
        if not st.button("Process video", type="primary", key="review_process"):
            st.caption("Processing finds both people in every frame once; the result is cached, so the "
                       "next look (and the Tune page) needs no processing.")
            st.stop()
        bar = st.progress(0.0, text="Finding both people in every frame…")

        def progress(done: int, total: int | None) -> None:
            if total:
                bar.progress(min(done / total, 1.0), text=f"Processing: frame {done} of {total}")

        try:
            analysis = an.analyze_cached(video_path, stretch_id, label=video_path.name, progress=progress)
        except StretchGuardError as error:
            bar.empty()
            st.error(str(error))
            st.stop()
        st.rerun()  # show the cached result without the button

st.session_state["review_last_stretch"] = stretch_id
profile = ui.profile_picker(key="review_profile")
thresholds = ui.load_thresholds_or_stop(profile)
stretch = catalog[stretch_id]
try:
    events = an.events_for(analysis, thresholds)
    track = analysis.track()
    with st.spinner("Drawing the annotated video…"):
        video = an.annotated_for(analysis, events, thresholds)
except StretchGuardError as error:
    st.error(str(error))
    st.stop()
offset_s = float(track.t_ms[0]) / 1000.0
rows = event_rows(events, offset_s)
warnings = [r for r in rows if r.kind == "warning"]
holds = [r for r in rows if r.kind == "hold"]

summary = st.columns(4)
summary[0].metric("Duration", f"{events.get('duration_s', 0):.1f} s")
summary[1].metric("Holds", len(holds))
summary[2].metric("Warnings", len(warnings))
coverage = events.get("coverage", {})
frames = max(coverage.get("frames", 0), 1)
summary[3].metric("Both people seen", f"{100 * coverage.get('frames_both_people', 0) / frames:.0f} %")

table = pd.DataFrame([{"time (s)": r.start_s, "until (s)": r.end_s, "what": r.title if r.kind != "hold" else
                       f"Hold{f' ({r.side})' if r.side else ''}", "kind": r.kind, "check": r.check,
                       "who": r.role, "detail": r.message} for r in rows])
selection = st.session_state.get("review_table")
jump_s = 0.0
if selection is not None and selection.selection.rows and selection.selection.rows[0] < len(rows):
    jump_s = max(0.0, rows[selection.selection.rows[0]].start_s - 1.0)

left, right = st.columns([3, 2])
with left:
    if video is not None and Path(video).is_file():
        st.video(str(video), start_time=int(jump_s))
    else:
        st.warning("No video to play for this session.")
with right:
    st.subheader("Warnings and holds")
    if rows:
        st.caption("Select a row to jump the video to it.")
        st.dataframe(table, key="review_table", on_select="rerun", selection_mode="single-row",
                     hide_index=True, use_container_width=True)
    else:
        st.write("No warnings and no holds were found.")
    for r in warnings:
        ui.banner(f"{r.title} at {r.start_s:.1f} s", r.severity, detail=f"{r.check} · {r.message}")

st.subheader("Timeline per check")
series = an.series_for(analysis, thresholds)
for check in stretch.checks:
    if check.kind != "frame" or check.id not in series:
        continue
    threshold = thresholds.threshold(check) if thresholds is not None else check.default_threshold
    st.markdown(f"**{check.title}** — warns when {check.direction} {threshold:g} "
                f"{check.unit} ({check.role})")
    st.altair_chart(metric_chart(series[check.id], spans_for(events, check.id, offset_s), threshold=threshold,
                                 default_threshold=check.default_threshold, offset_s=offset_s),
                    use_container_width=True)

st.subheader("Export")
name = Path(analysis.label).stem if session_path is None else session_path.name
columns = st.columns(3)
columns[0].download_button("Events (JSON)", json.dumps(events, indent=2), file_name=f"{name}_events.json",
                           mime="application/json")
columns[1].download_button("Warnings and holds (CSV)", rows_csv(rows), file_name=f"{name}_events.csv",
                           mime="text/csv")
if columns[2].button("Build printable report (HTML)"):
    with st.spinner("Collecting a key frame per warning…"):
        report = html_report(events, rows, title=f"StretchGuard report: {name}", stretch_name=stretch.name,
                             video=video)
    st.session_state["review_report"] = (name, report)
if st.session_state.get("review_report", ("",))[0] == name:
    columns[2].download_button("Download report", st.session_state["review_report"][1],
                               file_name=f"{name}_report.html", mime="text/html")
