"""Screening: the seeds' reasons not to stretch; flags unsuitable stretches (also shown on the Live page)."""

import streamlit as st

from appkit import ui
from stretches.screening import QUESTIONS, STOP_RULE, screen

st.title("Screening before a session")
st.write("Answer for the person being stretched (the client). A camera cannot see pain, so StretchGuard "
         "asks instead. This is not medical advice: when in doubt, ask a health professional first.")

with st.form("screening_form"):
    answers = {q.id: st.checkbox(q.text, key=f"screen_{q.id}") for q in QUESTIONS}
    submitted = st.form_submit_button("Check stretches")

flags = screen(answers)
st.session_state[ui.SCREENING_KEY] = {flag.stretch_id: list(flag.reasons) for flag in flags}

if not any(answers.values()):
    st.success("No reason found to avoid these partner stretches. " + STOP_RULE)
else:
    flagged = {flag.stretch_id for flag in flags}
    for flag in flags:
        ui.banner(f"Not suitable: {flag.stretch_name}", "warning", detail="; ".join(flag.reasons))
    clear = [s.name for s in ui.catalog().values() if s.id not in flagged]
    if clear:
        st.info("No flag from these answers for: " + ", ".join(clear))
    st.warning(STOP_RULE)
