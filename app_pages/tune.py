"""Tune: move a check's threshold and see its metric and warning count change at once (no re-inference)."""

from __future__ import annotations

import streamlit as st

from appkit import analysis as an
from appkit import ui
from appkit.charts import metric_chart, spans_for, unit_label
from appkit.recorder import list_sessions
from stretches.thresholds import Thresholds, list_profiles, load_profile, save_profile
from vision.errors import StretchGuardError

STATE_KEY = "tune_thresholds"

st.title("Tune thresholds")
catalog = ui.catalog()
thresholds: Thresholds = st.session_state.setdefault(STATE_KEY, Thresholds())

processed = an.list_analyses()
if "tune_stretch" not in st.session_state:  # start where the user just was: the reviewed or latest video
    reviewed = st.session_state.get("review_last_stretch")
    latest = processed[0].stretch_id if processed else None
    st.session_state["tune_stretch"] = reviewed if any(a.stretch_id == reviewed for a in processed) else (
        latest or next(iter(catalog)))
stretch_id = st.selectbox("Stretch", list(catalog), format_func=lambda s: catalog[s].name, key="tune_stretch")
stretch = catalog[stretch_id]

candidates = [a for a in processed if a.stretch_id == stretch_id]
for path in list_sessions():
    try:
        saved = an.session_analysis(path)
    except StretchGuardError:
        continue
    if saved.stretch_id == stretch_id:
        candidates.append(saved)
if not candidates:
    st.info(f"No processed video of {stretch.name} yet: process one on the Review page (or record one on "
            "the Live page), then come back. Tuning re-uses its landmarks, so it needs no processing.")
    st.stop()
analysis = st.selectbox("Landmarks from", candidates, format_func=lambda a: f"{a.label} ({a.kind})",
                        key="tune_source")

checks = [c for c in stretch.checks if c.kind == "frame"]
check = st.selectbox("Check", checks, format_func=lambda c: f"{c.title} ({c.id})", key="tune_check")
low, high, step = check.slider_range
unit = unit_label(check.unit)
current = thresholds.threshold(check)
value = st.slider(f"Threshold ({unit}): warns when the metric is {check.direction} it",
                  min_value=float(low), max_value=float(high), value=float(min(max(current, low), high)),
                  step=float(step), key=f"tune_slider_{check.id}",
                  help=f"Default {check.default_threshold:g} {unit}. {check.description}")
if value != current:
    override = None if abs(value - check.default_threshold) < 1e-9 else value
    thresholds = thresholds.with_settings(check.id, threshold=override)
    st.session_state[STATE_KEY] = thresholds
st.caption(f"Default: **{check.default_threshold:g} {unit}** (dashed line) · now: **{value:g} {unit}** "
           f"(red line). {check.limitation}")

track = analysis.track()
offset_s = float(track.t_ms[0]) / 1000.0
try:
    events = an.events_for(analysis, thresholds)
    default_events = an.events_for(analysis, Thresholds())
except StretchGuardError as error:
    st.error(str(error))
    st.stop()
count = sum(1 for w in events["warnings"] if w["check"] == check.id)
default_count = sum(1 for w in default_events["warnings"] if w["check"] == check.id)
metrics = st.columns(3)
metrics[0].metric("Warnings for this check", count, delta=count - default_count or None, delta_color="off",
                  help="Delta: compared with the default threshold")
metrics[1].metric("All warnings", len(events["warnings"]))
metrics[2].metric("Holds", len(events["holds"]))
series = an.series_for(analysis, thresholds)
if check.id in series:
    st.altair_chart(metric_chart(series[check.id], spans_for(events, check.id, offset_s), threshold=value,
                                 default_threshold=check.default_threshold, offset_s=offset_s),
                    use_container_width=True)

st.subheader("Profiles")
save_col, load_col, reset_col = st.columns(3)
with save_col:
    name = st.text_input("Save these thresholds as", key="tune_profile_name", placeholder="e.g. studio-a")
    if st.button("Save profile", disabled=not name):
        try:
            path = save_profile(name, thresholds)
            st.success(f"Saved {path}")
        except StretchGuardError as error:
            st.error(str(error))
with load_col:
    profiles = list_profiles()
    chosen = st.selectbox("Saved profiles", profiles, key="tune_profile_pick", index=None,
                          placeholder="none saved yet" if not profiles else "choose one")
    if st.button("Load profile", disabled=chosen is None):
        try:
            st.session_state[STATE_KEY] = load_profile(chosen)
        except StretchGuardError as error:
            st.error(str(error))
        else:
            _reset = [k for k in st.session_state if str(k).startswith("tune_slider_")]
            for key in _reset:
                del st.session_state[key]
            st.rerun()
with reset_col:
    st.write("")
    if st.button("Reset all to defaults"):
        st.session_state[STATE_KEY] = Thresholds()
        for key in [k for k in st.session_state if str(k).startswith("tune_slider_")]:
            del st.session_state[key]
        st.rerun()
if thresholds.overrides:
    st.code(thresholds.to_toml(), language="toml")
