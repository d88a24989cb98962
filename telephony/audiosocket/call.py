"""One AudioSocket connection as a call's Media: frames in, paced audio out, hang-up either way.

The server runs `run()` in the connection's own task; the consumer uses the `Media` side
(`inbound`, `play`, `interrupt`, `hangup`). One writer task owns outbound pacing: every 20 ms
(scaled by speed, on a monotonic schedule) it sends either the next frame of the current play or
silence, because AudioSocket() ends a call after 2 s with nothing sent.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import anyio
from anyio.abc import ByteStream

from telephony.audiosocket.codec import Audio, Decoder, Dtmf, Error, Hangup, Message, encode
from telephony.audiosocket.errors import AudioSocketProtocolError
from telephony.audiosocket.inbox import Inbox
from telephony.audiosocket.playout import Playout
from telephony.audiosocket.timing import FrameTiming
from telephony.base import (
    FRAME_BYTES,
    FRAME_MS,
    SAMPLE_RATE,
    AudioFrame,
    DtmfFrame,
    Media,
    PlayResult,
)

log = logging.getLogger(__name__)

_SILENCE = encode(Audio(bytes(FRAME_BYTES)))
# Every paced frame is exactly FRAME_BYTES of 8 kHz audio: its header never changes.
_AUDIO_HEADER = _SILENCE[: len(_SILENCE) - FRAME_BYTES]
_HANGUP = encode(Hangup())
_BROKEN = (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError)
# A pacer that fell more than this many frames behind (a stalled loop) restarts its schedule
# instead of sending the backlog in a burst that Asterisk, with no jitter buffer, would garble.
_MAX_LAG_FRAMES = 2


class AudioSocketCall:
    """An accepted AudioSocket call; implements `telephony.base.Media` plus `hangup()`."""

    def __init__(
        self,
        call_id: str,
        stream: ByteStream,
        decoder: Decoder,
        *,
        speed: float = 1.0,
        inbound_buffer: int = 250,
    ) -> None:
        self.call_id = call_id
        self._stream = stream
        self._decoder = decoder
        self._period = FRAME_MS / 1000.0 / speed
        self._playout = Playout()
        self._send_lock = anyio.Lock()
        self._inbox: Inbox[AudioFrame | DtmfFrame] = Inbox(inbound_buffer)
        self._closed = False
        self._scope = anyio.CancelScope()
        self._received_bytes = 0
        self.claimed = anyio.Event()
        self.close_reason: str | None = None
        self.sent_timing = FrameTiming()
        self.received_timing = FrameTiming()

    # --- Media -------------------------------------------------------------------------------

    async def inbound(self) -> AsyncIterator[AudioFrame | DtmfFrame]:
        async for frame in self._inbox:
            yield frame

    async def play(self, pcm: bytes) -> PlayResult:
        return await self._playout.play(pcm)

    def interrupt(self) -> None:
        self._playout.interrupt()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def dropped_inbound(self) -> int:
        """Caller frames lost because the consumer fell `inbound_buffer` frames behind."""
        return self._inbox.dropped

    @property
    def call_time(self) -> float:
        """Seconds of caller audio received so far: the clock `AudioFrame.t` is measured on."""
        return self._received_bytes / (SAMPLE_RATE * 2)

    async def hangup(self) -> None:
        """Send the hang-up message and close; the dialplan then continues after AudioSocket()."""
        if self._closed:
            return
        with anyio.move_on_after(1.0, shield=True):
            async with self._send_lock:
                if not self._closed:
                    with contextlib.suppress(*_BROKEN):
                        await self._stream.send(_HANGUP)
        self._end("we hung up")

    # --- driven by the server ----------------------------------------------------------------

    async def run(self, first: list[Message]) -> None:
        """Serve the connection until either side ends it; `first` were read with the UUID."""
        with self._scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._write_loop)
                await self._read_loop(first)
                tg.cancel_scope.cancel()
        self._end(self.close_reason or "call ended")

    async def _read_loop(self, first: list[Message]) -> None:
        try:
            if self._dispatch(first):
                return
            while True:
                try:
                    data = await self._stream.receive(65536)
                except anyio.EndOfStream:
                    self._decoder.end_of_stream()
                    self._end("the peer closed the connection")
                    return
                if self._dispatch(self._decoder.feed(data)):
                    return
        except AudioSocketProtocolError as exc:
            log.warning("AudioSocket call %s closed: %s", self.call_id, exc.reason)
            self._end(f"malformed input: {exc.reason}")
        except _BROKEN as exc:
            self._end(f"connection lost: {exc!r}")

    def _dispatch(self, messages: list[Message]) -> bool:
        """Hand caller frames to the consumer; True once the call is over."""
        for msg in messages:
            match msg:
                case Audio(pcm, rate):
                    if rate != SAMPLE_RATE:
                        raise AudioSocketProtocolError(
                            f"{rate} Hz audio; this server speaks 8 kHz slin (check the dialplan "
                            "and the channel's codec)"
                        )
                    self.received_timing.record(anyio.current_time())
                    self._deliver(AudioFrame(pcm, self.call_time))
                    self._received_bytes += len(pcm)
                case Dtmf(digit):
                    self._deliver(DtmfFrame(digit, self.call_time))
                case Hangup():
                    self._end("the peer hung up")
                    return True
                case Error(payload):
                    log.warning("AudioSocket call %s: Asterisk reported error %r", self.call_id,
                                payload)
                    self._end(f"Asterisk reported an error {payload!r}")
                    return True
                case _:  # a Uuid: the decoder already rejects a second one
                    pass
        return False

    def _deliver(self, frame: AudioFrame | DtmfFrame) -> None:
        # Never block the socket reader on a slow consumer: the kernel buffer would fill and the
        # call's audio would stall for both sides. A full inbox drops and counts instead.
        self._inbox.put_nowait(frame)

    async def _write_loop(self) -> None:
        next_at = anyio.current_time()
        while not self._closed:
            frame = self._playout.next_frame()
            data = _SILENCE if frame is None else _AUDIO_HEADER + frame
            async with self._send_lock:
                if self._closed:
                    return
                try:
                    await self._stream.send(data)  # header and payload in one send
                except _BROKEN as exc:
                    self._end(f"connection lost while sending: {exc!r}")
                    return
            now = anyio.current_time()
            self.sent_timing.record(now)
            next_at += self._period
            if now - next_at > _MAX_LAG_FRAMES * self._period:
                next_at = now
            await anyio.sleep(max(0.0, next_at - now))

    def _end(self, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        self.close_reason = reason
        self._playout.close()
        self._inbox.close()
        self._scope.cancel()
        log.info("AudioSocket call %s ended: %s", self.call_id, reason)


def _implements_media(call: AudioSocketCall) -> Media:
    return call  # mypy checks here that a call satisfies the Media protocol
