"""When to sound the audible cue: on a newly active warning, at most once per cooldown per check."""

from __future__ import annotations

import io
import math
import struct
import wave
from dataclasses import dataclass, field

DEFAULT_COOLDOWN_S = 8.0


@dataclass
class CueGate:
    """Decides, from the active warning ids at each frame time, whether a cue should sound now."""

    cooldown_s: float = DEFAULT_COOLDOWN_S
    _active: frozenset[str] = frozenset()
    _last_cue_s: dict[str, float] = field(default_factory=dict)

    def update(self, t_s: float, active_check_ids: set[str] | frozenset[str]) -> bool:
        """True when some check became active and has not cued within the cooldown."""
        newly_active = set(active_check_ids) - self._active
        self._active = frozenset(active_check_ids)
        cue = False
        for check_id in newly_active:
            last = self._last_cue_s.get(check_id)
            if last is None or t_s - last >= self.cooldown_s:
                self._last_cue_s[check_id] = t_s
                cue = True
        return cue


def beep_wav(frequency_hz: float = 880.0, duration_s: float = 0.25, sample_rate_hz: int = 16000) -> bytes:
    """A short sine beep as WAV bytes, faded in and out so it does not click."""
    samples = int(duration_s * sample_rate_hz)
    fade = max(1, int(0.02 * sample_rate_hz))
    frames = bytearray()
    for i in range(samples):
        envelope = min(1.0, i / fade, (samples - 1 - i) / fade)
        value = int(0.5 * 32767 * envelope * math.sin(2 * math.pi * frequency_hz * i / sample_rate_hz))
        frames += struct.pack("<h", value)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate_hz)
        wav.writeframes(bytes(frames))
    return buffer.getvalue()
