"""streamlit-webrtc plumbing: ICE configuration and a guard against spurious stream resets.

ICE servers: none by default, so a local session never contacts a STUN server (the library's default is
Google's). For use from another machine set STRETCHGUARD_ICE_SERVERS to a JSON list of RTCIceServer
objects, e.g. '[{"urls": ["stun:stun.example.org:3478"]}]'; browsers only open a camera on a
non-localhost address over HTTPS.

Stream resets: streamlit-webrtc 0.79 tears its worker down when it believes the component was not
rendered for a script run (meant for "the user went to another page and came back"). It compares
Streamlit's `script_run_count`, which the event-loop thread increments only when it *sends* a run's
script_finished message. When the next run starts before that message has gone out (common during
signalling, where runs follow each other immediately), the counter lags, the next run sees a jump of
two, and a healthy connection is reset: the "not rendered for 1 script runs; resetting stale state"
drop. We know page changes for certain (app.py counts page visits), so we decide ourselves: within one
visit of the page the check is disabled; on a new visit the library's own reset is forced.
"""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping
from typing import Any

from vision.errors import StretchGuardError

ICE_SERVERS_ENV = "STRETCHGUARD_ICE_SERVERS"
_VISIT_KEY = "_stretchguard_page_visit"
_PAGE_KEY = "_stretchguard_page"


class IceConfigError(StretchGuardError):
    """STRETCHGUARD_ICE_SERVERS is set but is not a JSON list of ICE servers."""


def rtc_configuration(environ: MutableMapping[str, str] | None = None) -> dict[str, Any]:
    """{"iceServers": [...]} from STRETCHGUARD_ICE_SERVERS, or no ICE servers at all (local use)."""
    environ = os.environ if environ is None else environ
    raw = environ.get(ICE_SERVERS_ENV, "").strip()
    if not raw:
        return {"iceServers": []}
    try:
        servers = json.loads(raw)
    except json.JSONDecodeError as error:
        raise IceConfigError(f"{ICE_SERVERS_ENV} is not valid JSON ({error.msg}); "
                             'expected e.g. [{"urls": ["stun:host:3478"]}]') from None
    if not isinstance(servers, list) or not all(
        isinstance(server, dict) and "urls" in server for server in servers
    ):
        raise IceConfigError(f"{ICE_SERVERS_ENV} must be a JSON list of objects with a 'urls' key")
    return {"iceServers": servers}


def note_page(state: MutableMapping[str, Any], page_id: str) -> int:
    """Record which page this script run shows; returns the visit number (changes on every page change).

    Call from app.py on every run, right after st.navigation picked the page and before it runs.
    """
    if state.get(_PAGE_KEY) != page_id:
        state[_PAGE_KEY] = page_id
        state[_VISIT_KEY] = int(state.get(_VISIT_KEY, 0)) + 1
    return int(state.get(_VISIT_KEY, 0))


def current_visit(state: MutableMapping[str, Any]) -> int:
    return int(state.get(_VISIT_KEY, 0))


def stabilise_webrtc_context(state: MutableMapping[str, Any], key: str) -> None:
    """Call immediately before webrtc_streamer(key=key, ...), on every run that renders it.

    Same page visit as the last render: disable the library's run-count staleness check for this run.
    New visit: force the library's own reset (the browser remounted the component, any worker is stale).
    """
    visit = current_visit(state)
    marker = f"_stretchguard_rendered_visit:{key}"
    context = state.get(key)
    if context is not None and hasattr(context, "_last_rendered_run_count"):
        if state.get(marker) == visit:
            context._last_rendered_run_count = None
        else:
            context._last_rendered_run_count = -2  # any run count now exceeds it by more than one
    state[marker] = visit
