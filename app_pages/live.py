"""Live: webcam → both skeletons, hold timer, warnings, guidance, optional cue and recording."""

from __future__ import annotations

import html

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from appkit import ui
from appkit.cues import beep_wav
from appkit.live import LiveProcessor, LiveSnapshot
from appkit.recorder import sessions_root
from appkit.rtc import IceConfigError, rtc_configuration, stabilise_webrtc_context

WEBRTC_KEY = "live-camera"
PHASE_LABELS = {"rest": "Get into position", "approach": "Moving into the stretch", "release": "Releasing"}

st.title("Live")
if "live_processor" not in st.session_state:
    st.session_state["live_processor"] = LiveProcessor()
processor: LiveProcessor = st.session_state["live_processor"]

catalog = ui.catalog()
mode = st.radio("What are you doing?", ["One stretch", "Lower-back routine (7 stretches)"], horizontal=True,
                key="live_mode")
profile_name = ui.profile_picker(key="live_profile")
thresholds = ui.load_thresholds_or_stop(profile_name)
if mode == "One stretch":
    stretch_id = st.selectbox("Stretch", list(catalog), format_func=lambda s: catalog[s].name,
                              key="live_stretch")
    processor.select_stretch(stretch_id, thresholds)
else:
    routine = ui.routine_ids()
    processor.select_routine(routine, thresholds)
    back, forward, _ = st.columns([1, 1, 6])
    if back.button("◀ Previous stretch"):
        processor.move_in_routine(-1)
    if forward.button("Next stretch ▶"):
        processor.move_in_routine(+1)

who = st.radio("Who is the client?", ["Decide from posture", "Person on the left", "Person on the right"],
               horizontal=True, key="live_client",
               help="The client is the person being stretched. Posture decides unless you say.")
processor.set_client({"Person on the left": "left", "Person on the right": "right"}.get(who))

try:
    rtc_config = rtc_configuration()
except IceConfigError as error:
    st.error(str(error))
    st.stop()

video_column, status_column = st.columns([3, 2])
with video_column:
    stabilise_webrtc_context(st.session_state, WEBRTC_KEY)
    context = webrtc_streamer(
        key=WEBRTC_KEY,
        mode=WebRtcMode.SENDRECV,
        rtc_configuration=rtc_config,
        media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False},
        video_frame_callback=processor.on_frame,
        on_video_ended=processor.on_stream_ended,
        async_processing=True,
    )
    st.caption("Camera: side-on to the client's long axis, both people fully in frame; for floor stretches "
               "put the camera low, about the lying person's hip height. Video stays on this computer.")
    st.caption("The camera cannot feel pain: stop at once on sharp pain, numbness or tingling.")
    st.caption("Using this page from another computer? Browsers open a camera only on localhost or over "
               "HTTPS; see the README for serving with a certificate and STRETCHGUARD_ICE_SERVERS.")

if not context.state.playing and processor.recording:
    processor.stop_recording()

with status_column:
    cue_on = st.toggle("Audible cue on new warnings", key="live_cue")
    processor.set_cue_enabled(cue_on)

    @st.fragment(run_every=0.5)
    def status_panel() -> None:
        snapshot: LiveSnapshot = processor.snapshot()
        ui.show_screening_flags(snapshot.stretch_id)
        if snapshot.stretch_id:
            stretch = catalog[snapshot.stretch_id]
            step = ""
            if snapshot.routine_index is not None:
                step = f"Step {snapshot.routine_index + 1} of {snapshot.routine_length}: "
            low, high = stretch.hold_range_s
            hold = f"{low:g} s" if low == high else f"{low:g}–{high:g} s"
            per_side = ", each side" if stretch.per_side else ""
            st.subheader(f"{step}{stretch.name}")
            st.caption(f"Hold {hold}{per_side}. {stretch.client_setup}")
            if snapshot.routine_index is not None:
                st.caption("Routine: " + " · ".join(
                    f"{'**' if i == snapshot.routine_index else ''}{i + 1}. {catalog[sid].name} "
                    f"{catalog[sid].hold_range_s[0]:g} s{' per side' if catalog[sid].per_side else ''}"
                    f"{'**' if i == snapshot.routine_index else ''}"
                    for i, sid in enumerate(ui.routine_ids())))
        for warning in snapshot.warnings:
            ui.banner(warning.message or warning.check_id, warning.severity,
                      detail=f"{warning.check_id} · {warning.role}")
        for note in snapshot.guidance:
            ui.banner(note, "info")
        if snapshot.phase == "hold":
            target = snapshot.hold_target_s
            if isinstance(target, (tuple, list)):
                target = target[-1]
            side = f" · {snapshot.side} side" if snapshot.side else ""
            st.markdown(f"<div class='sg-hold'>Hold {snapshot.hold_elapsed_s:4.1f} s"
                        f"{f' / {target:g} s' if target else ''}{html.escape(side)}</div>",
                        unsafe_allow_html=True)
        elif snapshot.phase:
            label = PHASE_LABELS.get(snapshot.phase, snapshot.phase.replace("_", " "))
            st.markdown(f"<div class='sg-hold'>{html.escape(label)}</div>", unsafe_allow_html=True)
        if snapshot.error:
            st.error(f"Live processing problem: {snapshot.error}")
        st.caption(f"{snapshot.fps:4.1f} frames/s processed · {snapshot.processing_ms:3.0f} ms per frame · "
                   f"delay ≈ {snapshot.lag_ms:3.0f} ms · {snapshot.people} people · "
                   f"frames {snapshot.frames_processed}")
        if snapshot.cue_count and snapshot.cue_count != st.session_state.get("live_cue_played"):
            st.session_state["live_cue_played"] = snapshot.cue_count
            st.audio(beep_wav(), format="audio/wav", autoplay=True)
        if processor.recording:
            st.markdown(f"🔴 Recording to `{snapshot.recording_path}`")
            if st.button("Stop recording", key="live_stop_rec"):
                path = processor.stop_recording()
                st.session_state["live_last_recording"] = str(path)
                st.rerun(scope="fragment")
        elif st.button("Start recording", key="live_start_rec", disabled=not context.state.playing):
            processor.start_recording(sessions_root())
            st.rerun(scope="fragment")
        if st.session_state.get("live_last_recording"):
            st.caption(f"Saved: {st.session_state['live_last_recording']} (open it on the Review page)")

    status_panel()
