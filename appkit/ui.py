"""Small Streamlit building blocks shared by the pages (banners, pickers, screening flags)."""

from __future__ import annotations

import html
from typing import Any

import streamlit as st

from vision.errors import StretchGuardError

DEFAULTS_LABEL = "Defaults"
SCREENING_KEY = "screening_flags"  # {stretch_id: [reason, ...]} set by the Screening page

_CSS = """
<style>
.sg-banner {border-radius: 10px; padding: 14px 18px; margin: 8px 0; font-size: 1.6rem; font-weight: 700;
            line-height: 1.25; color: #111;}
.sg-banner small {display: block; font-size: 0.9rem; font-weight: 400; opacity: 0.8;}
.sg-warning {background: #ff6b5e; border: 3px solid #b3261e;}
.sg-caution {background: #ffc857; border: 3px solid #b07d00;}
.sg-info {background: #cfe3ff; border: 3px solid #3a6fb0; font-size: 1.25rem;}
.sg-hold {font-size: 2.2rem; font-weight: 700; margin: 6px 0;}
</style>
"""


# Widget values that should survive a visit to another page (Streamlit forgets a widget's value when a run
# does not draw it). Only widgets created without an explicit value/index may be listed.
PERSISTENT_KEYS = ("live_mode", "live_stretch", "live_profile", "live_client", "live_cue", "review_source",
                   "review_sample", "review_profile", "tune_stretch", "tune_check")
_KEEP = "_keep:"


def keep_widget_values(state) -> None:
    """Call at the top of every run: restores remembered values of widgets the last page did not draw."""
    for key in PERSISTENT_KEYS:
        if key in state:
            state[_KEEP + key] = state[key]
        elif _KEEP + key in state:
            state[key] = state[_KEEP + key]


def inject_css() -> None:
    st.markdown(_CSS, unsafe_allow_html=True)


def banner(text: str, severity: str = "warning", detail: str = "") -> None:
    """A large, high-contrast message: readable from a mat a few metres from the screen."""
    css = {"warning": "sg-warning", "caution": "sg-caution"}.get(severity, "sg-info")
    small = f"<small>{html.escape(detail)}</small>" if detail else ""
    st.markdown(f"<div class='sg-banner {css}' role='alert'>{html.escape(text)}{small}</div>",
                unsafe_allow_html=True)


def catalog() -> dict[str, Any]:
    from stretches.catalog import STRETCHES

    return STRETCHES


def routine_ids() -> tuple[str, ...]:
    from stretches.catalog import ROUTINE_LOWER_BACK

    return tuple(ROUTINE_LOWER_BACK)


def profile_picker(key: str, label: str = "Thresholds profile") -> str | None:
    """Selectbox of saved threshold profiles; None means the catalog defaults."""
    from stretches.thresholds import list_profiles

    names = [DEFAULTS_LABEL, *list_profiles()]
    choice = st.selectbox(label, names, key=key)
    return None if choice == DEFAULTS_LABEL else choice


def load_thresholds_or_stop(profile: str | None) -> Any:
    """The named profile's thresholds (None = defaults); a broken profile is reported, defaults are used."""
    if profile is None:
        return None
    from stretches.thresholds import load_profile

    try:
        return load_profile(profile)
    except StretchGuardError as error:
        st.error(f"{error} — using the default thresholds instead.")
        return None


def show_screening_flags(stretch_id: str | None) -> None:
    flags = st.session_state.get(SCREENING_KEY) or {}
    if stretch_id and flags.get(stretch_id):
        reasons = "; ".join(flags[stretch_id])
        banner(f"Screening: this stretch is not suitable ({reasons})", "warning",
               detail="Answers from the Screening page. Check with a health professional first.")


def show_error(error: StretchGuardError) -> None:
    st.error(str(error))
