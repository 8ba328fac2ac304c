"""StretchGuard web app: `streamlit run app.py` (see README for the full command).

Four pages, one per job: Live (webcam), Review (a recorded video or session), Tune (thresholds from a
cached track), Screening (who should not do which stretch). Pages only lay out widgets; the work happens in
vision/, stretches/ and appkit/.
"""

import streamlit as st

from appkit.rtc import note_page
from appkit.ui import inject_css, keep_widget_values

st.set_page_config(page_title="StretchGuard", layout="wide")

page = st.navigation(
    [
        st.Page("app_pages/live.py", title="Live", icon=":material/videocam:", url_path="live", default=True),
        st.Page("app_pages/review.py", title="Review", icon=":material/movie:", url_path="review"),
        st.Page("app_pages/tune.py", title="Tune", icon=":material/tune:", url_path="tune"),
        st.Page("app_pages/screening.py", title="Screening", icon=":material/health_and_safety:",
                url_path="screening"),
    ]
)
note_page(st.session_state, page.url_path or "live")
keep_widget_values(st.session_state)
inject_css()
page.run()
