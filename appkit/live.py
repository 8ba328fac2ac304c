"""Live processing behind the webcam view: poses → checks → overlay → recording, one frame at a time.

`LiveProcessor.on_frame` is the streamlit-webrtc video_frame_callback. It runs in the library's worker
thread, which hands it only the newest frame (older queued frames are dropped, so the view never lags
behind the camera). Hold timers run on the frames' own timestamps, never on the wall clock. The Streamlit
script thread talks to the processor only through its locked setters and `snapshot()`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np

from appkit.cues import CueGate
from appkit.recorder import SessionRecorder

_STATS_WINDOW_S = 2.0
ROLE_DECISION_FRAMES = 10  # frames with both people seen before client and partner are told apart
ROLE_FALLBACK_FRAMES = 30  # frames with anyone seen before a provisional decision (one person hidden)
ROLE_WINDOW_FRAMES = 150  # recent frames the final decision looks at
MIN_PRESENCE_SHARE = 0.25  # seen in fewer of the frames: not in view, for the provisional roles


def field_of(item: Any, name: str, default: Any = None) -> Any:
    """Read `name` from a dataclass or a dict (engine results are used in both forms)."""
    if isinstance(item, dict):
        return item.get(name, default)
    return getattr(item, name, default)


@dataclass(frozen=True)
class LiveWarning:
    check_id: str
    role: str
    severity: str
    message: str
    value: float | None
    threshold: float | None
    unit: str


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page shows beside the video; a copy, safe to read from the script thread."""

    stretch_id: str | None
    routine_index: int | None
    routine_length: int
    frames_in: int = 0
    frames_processed: int = 0
    fps: float = 0.0
    processing_ms: float = 0.0
    lag_ms: float = 0.0
    people: int = 0
    phase: str = ""
    hold_elapsed_s: float = 0.0
    hold_target_s: Sequence[float] | float | None = None
    side: str | None = None
    warnings: tuple[LiveWarning, ...] = ()
    guidance: tuple[str, ...] = ()
    recording_path: Path | None = None
    cue_count: int = 0
    error: str | None = None


def default_pipeline_factory() -> Any:
    """The estimator's default strategy (two_pose), not the catalog's per-stretch choice (cascade): Live
    runs in one process, where cascade's two landmark passes run one after the other and cost frame rate
    and delay to a warning (the live browser test fell to ~20 fps and missed the fault with it)."""
    from vision.pipeline import LivePipeline

    return LivePipeline()


def default_evaluator_factory(stretch_id: str, thresholds: Any, roles: dict[str, int],
                              image_size: tuple[int, int]) -> Any:
    from stretches.engine import LiveEvaluator

    return LiveEvaluator(stretch_id, thresholds=thresholds, roles=roles, image_size=image_size)


def default_role_assigner(stretch_id: str, landmarks: np.ndarray, image_size: tuple[int, int],
                          client: str | None) -> dict[str, int]:
    from stretches.catalog import get_stretch
    from stretches.roles import stretch_roles

    return stretch_roles(get_stretch(stretch_id), landmarks, image_size, client=client)


_BODY_PARTS = (
    ("feet", ("ankle", "heel", "foot_index")),
    ("knees", ("knee",)),
    ("hips", ("hip",)),
    ("hands", ("wrist", "elbow", "pinky", "index", "thumb")),
    ("shoulders", ("shoulder",)),
    ("head", ("nose", "eye", "ear", "mouth")),
)
_EDGE_MARGIN = 0.01


def _body_part(landmark_name: str) -> str:
    for part, keys in _BODY_PARTS:
        if any(key in landmark_name for key in keys):
            return part
    return "body"


def guidance_from_hidden(hidden: Sequence[str], landmarks: np.ndarray, roles: dict[str, int]) -> list[str]:
    """Plain advice from hidden landmark names ("partner.left_ankle"): step back when out of frame.

    A landmark counts as out of frame when its position lies outside the image (or the person is gone);
    otherwise something in the room, or the other person, is blocking the camera's view of it.
    """
    from vision.landmarks import Landmark

    grouped: dict[tuple[str, str], bool] = {}
    for name in hidden:
        role, _, landmark_name = name.partition(".")
        part = _body_part(landmark_name)
        out_of_frame = True
        person = roles.get(role)
        try:
            index = Landmark[landmark_name.upper()].value
        except KeyError:
            index = None
        if person is not None and person < landmarks.shape[0] and np.isnan(landmarks[person, :, 0]).all():
            continue  # the whole person is missing: the people count already says so
        if person is not None and index is not None and person < landmarks.shape[0]:
            x, y = landmarks[person, index, 0], landmarks[person, index, 1]
            inside = _EDGE_MARGIN <= x <= 1 - _EDGE_MARGIN and _EDGE_MARGIN <= y <= 1 - _EDGE_MARGIN
            out_of_frame = bool(np.isnan(x) or np.isnan(y) or not inside)
        grouped[(role, part)] = grouped.get((role, part), False) or out_of_frame
    messages = []
    for (role, part), out_of_frame in grouped.items():
        verb = "is" if part in ("head", "body") else "are"
        if out_of_frame:
            messages.append(f"Step back: the {role}'s {part} {verb} out of frame.")
        else:
            messages.append(f"The {role}'s {part} {verb} hidden from the camera: turn it side-on or move "
                            "what is in the way.")
    return messages


def frame_time_ms(frame: av.VideoFrame) -> int | None:
    """The frame's own presentation time in ms (sender clock), or None when it carries none."""
    if frame.pts is None or frame.time_base is None:
        return None
    return int(round(float(frame.pts * frame.time_base) * 1000))


def people_guidance(people: int) -> tuple[str, ...]:
    if people == 0:
        return ("Nobody found: step into the frame, side-on to the camera, both of you fully visible.",)
    if people == 1:
        return ("Only one person found: step back so both the client and the partner are in frame.",)
    return ()


@dataclass
class _Stats:
    processed_at: deque = field(default_factory=deque)
    processing_ms: deque = field(default_factory=lambda: deque(maxlen=60))
    lag_ms: deque = field(default_factory=lambda: deque(maxlen=60))
    min_offset_ms: float | None = None


class LiveProcessor:
    """Per browser session: one pose pipeline, the evaluator of the chosen stretch, optional recorder."""

    def __init__(
        self,
        *,
        pipeline_factory: Callable[[], Any] = default_pipeline_factory,
        evaluator_factory: Callable[..., Any] = default_evaluator_factory,
        role_assigner: Callable[..., dict[str, int]] = default_role_assigner,
        draw: Callable[..., np.ndarray] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._pipeline_factory = pipeline_factory
        self._evaluator_factory = evaluator_factory
        self._role_assigner = role_assigner
        self._client_choice: str | None = None
        self._role_frames: list[np.ndarray] = []
        self._roles: dict[str, int] | None = None
        self._roles_confident = False
        self._draw = draw
        self._clock = clock
        self._lock = threading.Lock()
        self._pipeline: Any = None
        self._evaluator: Any = None
        self._plan: tuple[str, ...] = ()
        self._plan_index: int | None = None
        self._stretch_id: str | None = None
        self._thresholds: Any = None
        self._config_version = 0
        self._evaluator_version = -1
        self._recorder: SessionRecorder | None = None
        self._cue_gate = CueGate()
        self._cue_enabled = False
        self._cue_count = 0
        self._frames_in = 0
        self._frames_processed = 0
        self._last_t_ms: int | None = None
        self._t_offset_ms = 0
        self._stats = _Stats()
        self._snapshot = LiveSnapshot(stretch_id=None, routine_index=None, routine_length=0)
        self._prev_phase = ""

    # --- configuration (script thread) -----------------------------------------------------------
    def select_stretch(self, stretch_id: str, thresholds: Any = None) -> None:
        with self._lock:
            if (self._plan, self._stretch_id, self._thresholds) != ((), stretch_id, thresholds):
                self._plan, self._plan_index = (), None
                self._set_stretch_locked(stretch_id, thresholds)

    def select_routine(self, stretch_ids: Sequence[str], thresholds: Any = None) -> None:
        with self._lock:
            plan = tuple(stretch_ids)
            if self._plan != plan or self._thresholds != thresholds:
                self._plan, self._plan_index = plan, 0
                self._set_stretch_locked(plan[0], thresholds)

    def move_in_routine(self, step: int) -> None:
        """Go to another routine step (+1 next, -1 back); ignored outside a routine."""
        with self._lock:
            if self._plan and self._plan_index is not None:
                index = min(max(self._plan_index + step, 0), len(self._plan) - 1)
                self._plan_index = index
                self._set_stretch_locked(self._plan[index], self._thresholds)

    def set_client(self, client: str | None) -> None:
        """Who the client is: None = decide from posture, or "left" / "right" person in the image."""
        with self._lock:
            if client != self._client_choice:
                self._client_choice = client
                self._config_version += 1

    def set_cue_enabled(self, enabled: bool) -> None:
        with self._lock:
            self._cue_enabled = bool(enabled)

    def start_recording(self, root: str | Path) -> Path:
        with self._lock:
            if self._recorder is None:
                if self._stretch_id is None:
                    raise ValueError("choose a stretch before recording")
                self._recorder = SessionRecorder(root, self._stretch_id)
            return self._recorder.path

    def stop_recording(self) -> Path | None:
        with self._lock:
            recorder, self._recorder = self._recorder, None
            evaluator = self._evaluator
        if recorder is None:
            return None
        events = None
        if evaluator is not None:
            try:
                events = evaluator.events().to_dict()
            except Exception:  # noqa: BLE001 - the recording itself must still be saved
                events = None
        return recorder.close(events=events)

    def on_stream_ended(self) -> None:
        """streamlit-webrtc on_video_ended: save any recording; the next stream starts fresh statistics."""
        self.stop_recording()
        self._stats = _Stats()

    def pipeline_stage_ms(self) -> dict[str, float]:
        """Mean ms per frame of each pose-pipeline stage so far (empty before the first frame)."""
        times = getattr(self._pipeline, "times", None)
        return dict(times.per_frame()) if times is not None and hasattr(times, "per_frame") else {}

    def close(self) -> None:
        """Stop any recording and release the pose model."""
        self.stop_recording()
        with self._lock:
            pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None and hasattr(pipeline, "close"):
            pipeline.close()

    @property
    def recording(self) -> bool:
        return self._recorder is not None

    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            return self._snapshot

    # --- frame path (worker thread) --------------------------------------------------------------
    def on_frame(self, frame: av.VideoFrame) -> av.VideoFrame:
        """streamlit-webrtc video_frame_callback: annotate the newest frame."""
        arrived = self._clock()
        image = frame.to_ndarray(format="bgr24")
        t_ms = frame_time_ms(frame)
        if t_ms is None:
            t_ms = int(arrived * 1000)
        annotated = self.process(image, t_ms, arrived_s=arrived)
        return av.VideoFrame.from_ndarray(annotated, format="bgr24")

    def process(self, frame_bgr: np.ndarray, t_ms: int, *, arrived_s: float | None = None) -> np.ndarray:
        arrived_s = self._clock() if arrived_s is None else arrived_s
        self._frames_in += 1
        t_ms = self._monotonic_t_ms(int(t_ms))
        error = None
        try:
            annotated, state = self._analyse(frame_bgr, t_ms)
        except Exception as exc:  # noqa: BLE001 - shown on the page; the stream must keep running
            annotated, state = frame_bgr, {}
            error = f"{type(exc).__name__}: {exc}"
        done_s = self._clock()
        self._record_stats(arrived_s, done_s, t_ms)
        self._publish(state, error)
        return annotated

    def _monotonic_t_ms(self, t_ms: int) -> int:
        # A reconnect restarts the sender clock: keep our timeline increasing.
        if self._last_t_ms is not None and t_ms + self._t_offset_ms <= self._last_t_ms:
            self._t_offset_ms = self._last_t_ms + 1 - t_ms
        value = t_ms + self._t_offset_ms
        self._last_t_ms = value
        return value

    def _analyse(self, frame_bgr: np.ndarray, t_ms: int) -> tuple[np.ndarray, dict]:
        image_size = (int(frame_bgr.shape[1]), int(frame_bgr.shape[0]))
        recorder = self._recorder
        if recorder is not None and self._stretch_id not in (None, recorder.stretch_id):
            # The routine moved on while recording: close the finished stretch's session, start the next.
            self.stop_recording()
            self.start_recording(recorder.path.parent)
        with self._lock:
            if self._pipeline is None:
                self._pipeline = self._pipeline_factory()
            if self._evaluator_version != self._config_version:
                # New stretch, thresholds or client choice: roles are decided again from fresh frames.
                self._evaluator, self._roles, self._role_frames = None, None, []
                self._roles_confident = False
                self._evaluator_version = self._config_version
                self._prev_phase = ""
            stretch_id, thresholds, client = self._stretch_id, self._thresholds, self._client_choice
            recorder = self._recorder
        poses = self._pipeline.process(frame_bgr, t_ms)
        landmarks = np.asarray(field_of(poses, "landmarks"), dtype=np.float32)
        world = field_of(poses, "world")
        present = ~np.isnan(landmarks[..., 0]).all(axis=-1) if landmarks.size else np.zeros(0, bool)
        people = int(present.sum())
        evaluator = self._maybe_decide_roles(stretch_id, thresholds, client, landmarks, people, image_size)
        status = None
        if evaluator is not None:
            status = evaluator.update(t_ms, landmarks, world, image_size=image_size)
        state = self._state_from(status, people, landmarks)
        if recorder is not None:
            recorder.add_frame(frame_bgr, t_ms, landmarks, None if world is None else np.asarray(world))
            for event in state.get("events", []):
                recorder.add_event({"t_ms": t_ms, **event})
        state.pop("events", None)
        annotated = self._overlay(frame_bgr, landmarks, state)
        return annotated, state

    def _maybe_decide_roles(self, stretch_id: str | None, thresholds: Any, client: str | None,
                            landmarks: np.ndarray, people: int, image_size: tuple[int, int]) -> Any:
        """Tell client from partner by posture, then create the evaluator with those roles.

        Decided for good once ROLE_DECISION_FRAMES of the recent frames showed both people. A partner hidden
        behind the client must not stall the checks, so after ROLE_FALLBACK_FRAMES frames with anyone in
        view a provisional decision starts the evaluator; the final decision replaces it (restarting the
        evaluator) only if it differs. At most two decisions: the hold timer is not reset again and again.
        """
        evaluator = self._evaluator
        if stretch_id is None or (evaluator is not None and self._roles_confident) or people == 0:
            return evaluator
        self._role_frames.append(landmarks)
        self._role_frames = self._role_frames[-ROLE_WINDOW_FRAMES:]
        both = sum(int((~np.isnan(f[..., 0]).all(axis=-1)).sum() >= 2) for f in self._role_frames)
        confident = both >= ROLE_DECISION_FRAMES
        if not confident and (evaluator is not None or len(self._role_frames) < ROLE_FALLBACK_FRAMES):
            return evaluator
        window = np.stack(self._role_frames)
        presence = (~np.isnan(window[..., 0]).all(axis=-1)).mean(axis=0)  # (P,) share of frames seen
        seen = np.flatnonzero(presence >= MIN_PRESENCE_SHARE)
        if not confident and len(seen) == 1 and window.shape[1] == 2:
            # Only one person so far (the partner hidden behind): check that person as the client, the one
            # the stretch's checks are mostly about; posture decides once both have been seen.
            roles = {"client": int(seen[0]), "partner": 1 - int(seen[0])}
        else:
            try:
                roles = self._role_assigner(stretch_id, window, image_size, client)
            except ValueError:  # "left"/"right" needs both people in view: use posture meanwhile
                roles = self._role_assigner(stretch_id, window, image_size, None)
                confident = False
        if evaluator is None or roles != self._roles:
            evaluator = self._evaluator_factory(stretch_id, thresholds, roles, image_size)
        with self._lock:
            if self._evaluator_version == self._config_version:
                self._evaluator, self._roles, self._roles_confident = evaluator, roles, confident
        if confident:
            self._role_frames = []
        return evaluator

    def _state_from(self, status: Any, people: int, landmarks: np.ndarray) -> dict:
        state: dict[str, Any] = {"people": people, "guidance": list(people_guidance(people)),
                                 "roles": self._roles}
        if status is None:
            if people >= 2 and self._stretch_id is not None:
                state["guidance"].append("Getting ready: telling the client from the partner…")
            return state
        warnings = tuple(
            LiveWarning(
                check_id=str(field_of(w, "check_id", field_of(w, "check", ""))),
                role=str(field_of(w, "role", "")),
                severity=str(field_of(w, "severity", "warning")),
                message=str(field_of(w, "message", "")),
                value=field_of(w, "value"),
                threshold=field_of(w, "threshold"),
                unit=str(field_of(w, "unit", "")),
            )
            for w in (field_of(status, "warnings") or ())
        )
        notes_hidden = field_of(status, "not_visible") or ()
        hidden = [name for note in notes_hidden for name in field_of(note, "hidden", ())]
        notes = guidance_from_hidden(hidden, landmarks, self._roles or {}) if people else []
        phase = str(field_of(status, "phase", ""))
        active_ids = {w.check_id for w in warnings}
        previous_ids = {w.check_id for w in self._snapshot.warnings}
        events = [{"kind": "warning_start", "check": c} for c in sorted(active_ids - previous_ids)]
        events += [{"kind": "warning_end", "check": c} for c in sorted(previous_ids - active_ids)]
        state.update(
            phase=phase,
            hold_elapsed_s=float(field_of(status, "hold_elapsed_s", 0.0) or 0.0),
            hold_target_s=field_of(status, "hold_target_s"),
            side=field_of(status, "side"),
            warnings=warnings,
            guidance=state["guidance"] + [n for n in notes if n not in state["guidance"]],
            events=events,
            active_ids=active_ids,
        )
        return state

    def _overlay(self, frame_bgr: np.ndarray, landmarks: np.ndarray, state: dict) -> np.ndarray:
        draw = self._draw
        if draw is None:
            from vision import draw as draw_module

            draw = self._draw = _make_default_draw(draw_module)
        return draw(frame_bgr, landmarks, state)

    def _record_stats(self, arrived_s: float, done_s: float, t_ms: int) -> None:
        stats = self._stats
        stats.processed_at.append(done_s)
        while stats.processed_at and done_s - stats.processed_at[0] > _STATS_WINDOW_S:
            stats.processed_at.popleft()
        stats.processing_ms.append((done_s - arrived_s) * 1000)
        # Lag: how much later than the fastest frame so far (sender clock vs. our clock) we finish.
        offset_ms = arrived_s * 1000 - t_ms
        if stats.min_offset_ms is None or offset_ms < stats.min_offset_ms:
            stats.min_offset_ms = offset_ms
        stats.lag_ms.append(done_s * 1000 - t_ms - stats.min_offset_ms)
        self._frames_processed += 1

    def _publish(self, state: dict, error: str | None) -> None:
        stats = self._stats
        span = stats.processed_at[-1] - stats.processed_at[0] if len(stats.processed_at) > 1 else 0.0
        fps = (len(stats.processed_at) - 1) / span if span > 0 else 0.0
        with self._lock:
            phase = state.get("phase", "")
            self._maybe_advance_routine_locked(phase)
            if self._cue_enabled and self._cue_gate.update(
                (self._last_t_ms or 0) / 1000, state.get("active_ids", set())
            ):
                self._cue_count += 1
            self._snapshot = LiveSnapshot(
                stretch_id=self._stretch_id,
                routine_index=self._plan_index,
                routine_length=len(self._plan),
                frames_in=self._frames_in,
                frames_processed=self._frames_processed,
                fps=fps,
                processing_ms=float(np.median(stats.processing_ms)) if stats.processing_ms else 0.0,
                lag_ms=float(np.median(stats.lag_ms)) if stats.lag_ms else 0.0,
                people=state.get("people", 0),
                phase=phase,
                hold_elapsed_s=state.get("hold_elapsed_s", 0.0),
                hold_target_s=state.get("hold_target_s"),
                side=state.get("side"),
                warnings=state.get("warnings", ()),
                guidance=tuple(state.get("guidance", ())),
                recording_path=self._recorder.path if self._recorder else None,
                cue_count=self._cue_count,
                error=error,
            )

    def _maybe_advance_routine_locked(self, phase: str) -> None:
        """In a routine, move on once the step's holds (both sides for per-side stretches) are done."""
        previous, self._prev_phase = self._prev_phase, phase
        if not self._plan or self._plan_index is None or previous != "hold" or phase == "hold":
            return
        evaluator = self._evaluator
        if evaluator is None:
            return
        holds = field_of(evaluator.events(), "holds") or ()
        done = [h for h in holds if field_of(h, "status") in ("ok", "long")]
        from stretches.catalog import get_stretch

        needed = 2 if get_stretch(self._plan[self._plan_index]).per_side else 1
        if len(done) >= needed and self._plan_index + 1 < len(self._plan):
            self._plan_index += 1
            self._set_stretch_locked(self._plan[self._plan_index], self._thresholds)

    def _set_stretch_locked(self, stretch_id: str, thresholds: Any) -> None:
        self._stretch_id, self._thresholds = stretch_id, thresholds
        self._config_version += 1
        self._cue_gate = CueGate(self._cue_gate.cooldown_s)


def _make_default_draw(draw_module: Any) -> Callable[..., np.ndarray]:
    """Adapter from the processor's state to vision.draw.draw_overlay."""

    def draw(frame_bgr: np.ndarray, landmarks: np.ndarray, state: dict) -> np.ndarray:
        banners = [draw_module.Banner(w.message or w.check_id, w.severity) for w in state.get("warnings", ())]
        banners += [draw_module.Banner(text, "info") for text in state.get("guidance", ())]
        hold = None
        if state.get("phase") == "hold":
            hold = draw_module.HoldDisplay(state.get("hold_elapsed_s", 0.0), state.get("hold_target_s"),
                                           state.get("side"))
        return draw_module.draw_overlay(frame_bgr, landmarks, state.get("roles"), banners, hold)

    return draw
