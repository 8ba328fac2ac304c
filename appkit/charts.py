"""Timeline charts: one check's metric over time, its threshold, and shaded warning spans."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

UNIT_LABELS = {"trunk": "× trunk length", "deg": "°", "deg/s": "°/s", "s": "s", "ratio": "ratio"}


def unit_label(unit: str) -> str:
    return UNIT_LABELS.get(unit, unit)


def metric_frame(t_s: np.ndarray, values: np.ndarray, offset_s: float = 0.0,
                 max_points: int = 1500) -> pd.DataFrame:
    """Time (s into the video) and value, thinned to at most max_points; NaN kept so gaps show as gaps."""
    step = max(1, int(np.ceil(len(t_s) / max_points)))
    return pd.DataFrame({"time_s": np.asarray(t_s[::step], float) - offset_s,
                         "value": np.asarray(values[::step], float)})


def metric_chart(
    series,
    warning_spans: Sequence[tuple[float, float]] = (),
    *,
    threshold: float,
    default_threshold: float | None = None,
    offset_s: float = 0.0,
    height_px: int = 220,
) -> alt.LayerChart:
    """Line of the metric, red rule at the threshold, grey dashed rule at the default, red warning bands."""
    unit = unit_label(series.unit)
    data = metric_frame(series.t_s, series.values, offset_s)
    y_title = f"{series.title} ({unit})"
    layers = []
    if warning_spans:
        spans = pd.DataFrame({"start": [a for a, _ in warning_spans], "end": [b for _, b in warning_spans]})
        layers.append(alt.Chart(spans).mark_rect(color="#ff6b5e", opacity=0.25).encode(
            x=alt.X("start:Q"), x2="end:Q"))
    layers.append(alt.Chart(data).mark_line(color="#1f77b4").encode(
        x=alt.X("time_s:Q", title="time (s)"), y=alt.Y("value:Q", title=y_title),
        tooltip=[alt.Tooltip("time_s:Q", format=".2f"), alt.Tooltip("value:Q", format=".3f")]))
    rules = pd.DataFrame({"value": [threshold], "label": [f"threshold {threshold:g} {unit}"]})
    layers.append(alt.Chart(rules).mark_rule(color="#b3261e", strokeWidth=2).encode(y="value:Q",
                                                                                      tooltip=["label:N"]))
    if default_threshold is not None and default_threshold != threshold:
        label = f"default {default_threshold:g} {unit}"
        default = pd.DataFrame({"value": [default_threshold], "label": [label]})
        layers.append(alt.Chart(default).mark_rule(color="#666", strokeDash=[6, 4]).encode(
            y="value:Q", tooltip=["label:N"]))
    return alt.layer(*layers).properties(height=height_px)


def spans_for(events: dict, check_id: str, offset_s: float = 0.0) -> list[tuple[float, float]]:
    return [(w["start_s"] - offset_s, w["end_s"] - offset_s) for w in events.get("warnings", [])
            if w["check"] == check_id]
