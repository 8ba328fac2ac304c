"""Non-UI helpers of the Streamlit app: live processing, session recording, caching, reports, charts.

The pages under pages/ stay thin: they lay out widgets and call into here, the pipeline and the engine.
Nothing in this package imports streamlit except rtc.py, which wraps streamlit-webrtc.
"""
