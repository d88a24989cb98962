"""Call recordings: one stereo WAV per call, the caller on the left, the robot on the right,
both placed by call time so that QA hears the conversation as it happened."""

from __future__ import annotations

import os
import wave
from pathlib import Path

RATE = 8000
MAX_SECONDS = 3600  # a bound on memory for a runaway call


class Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._tracks = (bytearray(), bytearray())  # caller, robot: s16le mono

    def _put(self, track: int, t: float, pcm: bytes) -> None:
        buf = self._tracks[track]
        at = max(0, int(t * RATE)) * 2
        end = at + len(pcm)
        if end > MAX_SECONDS * RATE * 2:
            return
        if len(buf) < end:
            buf.extend(bytes(end - len(buf)))
        buf[at:end] = pcm

    def caller(self, t: float, pcm: bytes) -> None:
        self._put(0, t, pcm)

    def robot(self, t: float, pcm: bytes) -> None:
        self._put(1, t, pcm)

    def save(self) -> Path:
        left, right = self._tracks
        n = max(len(left), len(right))
        left.extend(bytes(n - len(left)))
        right.extend(bytes(n - len(right)))
        frames = bytearray(n * 2)  # interleave 16-bit samples: L0 R0 L1 R1 ...
        frames[0::4], frames[1::4] = left[0::2], left[1::2]
        frames[2::4], frames[3::4] = right[0::2], right[1::2]
        # Customers' voices: readable by this user only (the folder too).
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f, wave.open(f, "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(bytes(frames))
        return self.path
