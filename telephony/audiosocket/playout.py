"""What a call is playing right now, cut into 20 ms frames by whoever paces them.

The pacer (the AudioSocket writer, or the simulated link's clock) pulls one frame per tick with
`next_frame()`; `play()` waits until its audio has all been pulled, and `interrupt()` ends it at
once. Counting pulled frames is what lets a play report how much of a prompt the caller heard.
"""

from __future__ import annotations

import anyio

from telephony.base import FRAME_BYTES, FRAME_MS, PlayResult

BYTES_PER_MS = FRAME_BYTES // FRAME_MS  # 16 at 8 kHz s16le


class _Play:
    def __init__(self, pcm: bytes) -> None:
        self.pcm = pcm[: len(pcm) - len(pcm) % 2]
        self.pos = 0
        self.interrupted = False
        self.done = anyio.Event()

    def result(self) -> PlayResult:
        total = len(self.pcm) // BYTES_PER_MS
        return PlayResult(
            played_ms=min(total, self.pos // BYTES_PER_MS),
            total_ms=total,
            interrupted=self.interrupted,
        )


class Playout:
    """One call direction's outbound audio. Plays run one after another, in call order."""

    def __init__(self) -> None:
        self._current: _Play | None = None
        self._lock = anyio.Lock()
        self._closed = False

    @property
    def playing(self) -> bool:
        return self._current is not None

    async def play(self, pcm: bytes) -> PlayResult:
        async with self._lock:
            play = _Play(pcm)
            if not play.pcm:
                return play.result()
            if self._closed:
                play.interrupted = True
                return play.result()
            self._current = play
            try:
                await play.done.wait()
            finally:
                # A cancelled caller must not leave its audio playing behind its back.
                if self._current is play:
                    self._current = None
            return play.result()

    def next_frame(self) -> bytes | None:
        """The next 20 ms of the current play (zero-padded at its end), or None when idle."""
        play = self._current
        if play is None:
            return None
        chunk = play.pcm[play.pos : play.pos + FRAME_BYTES]
        play.pos += len(chunk)
        if play.pos >= len(play.pcm):
            self._current = None
            play.done.set()
        if len(chunk) < FRAME_BYTES:
            chunk += bytes(FRAME_BYTES - len(chunk))
        return chunk

    def interrupt(self) -> None:
        play = self._current
        if play is not None:
            self._current = None
            play.interrupted = True
            play.done.set()

    def close(self) -> None:
        """The call ended: the current play returns (interrupted) and later plays return at once."""
        self._closed = True
        self.interrupt()
