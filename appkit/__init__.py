"""Non-UI helpers of the Streamlit app: live processing, session recording, caching, reports, charts.

The pages under app_pages/ stay thin: they lay out widgets and call into here, the pipeline and the engine.
Only rtc.py (streamlit-webrtc plumbing) and ui.py (shared widgets) import streamlit.
"""
