"""The in-process phone line between the robot and a simulated customer.

One clock task (`MediaLink.run`) ticks every 20 ms of call time, scaled by `speed`: each tick it
takes one frame from each side's current play (silence when idle) and delivers it to the other
side with `t` = ticks × 20 ms. Both directions share that clock, so timing in a conversation is the
same at any speed. A full inbox makes the clock wait (back-pressure): when a consumer (a
recogniser, say) is slower than `speed` asks, call time slows down instead of audio being lost.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import anyio

from telephony.audiosocket.inbox import Inbox
from telephony.audiosocket.playout import Playout
from telephony.base import FRAME_BYTES, FRAME_MS, AudioFrame, DtmfFrame, Media, PlayResult

_SILENCE = bytes(FRAME_BYTES)
_MAX_LAG_FRAMES = 2


class LinkSide:
    """One end of the line: `telephony.base.Media` plus `hangup()`."""

    def __init__(self, link: MediaLink, name: str, buffer: int) -> None:
        self.name = name
        self._link = link
        self._playout = Playout()
        self._inbox: Inbox[AudioFrame | DtmfFrame] = Inbox(buffer)

    async def inbound(self) -> AsyncIterator[AudioFrame | DtmfFrame]:
        async for frame in self._inbox:
            yield frame

    async def play(self, pcm: bytes) -> PlayResult:
        return await self._playout.play(pcm)

    def interrupt(self) -> None:
        self._playout.interrupt()

    @property
    def closed(self) -> bool:
        return self._link.closed

    @property
    def call_time(self) -> float:
        """Call time of the newest frame the line has delivered (its clock)."""
        return self._link.call_time

    async def hangup(self) -> None:
        self._link.close(self.name)

    def send_dtmf(self, digit: str) -> None:
        """Key a digit: the other side receives it at the current call time."""
        self._link.peer_of(self)._inbox.put_nowait(DtmfFrame(digit, self._link.call_time))


class MediaLink:
    def __init__(self, speed: float = 1.0, buffer: int = 1500) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, not {speed}")
        self.speed = speed
        self._period = 0.0 if math.isinf(speed) else FRAME_MS / 1000.0 / speed
        self.robot = LinkSide(self, "robot", buffer)
        self.customer = LinkSide(self, "customer", buffer)
        self.ticks = 0
        self.closed = False
        self.hung_up_by: str | None = None

    @property
    def call_time(self) -> float:
        return self.ticks * FRAME_MS / 1000.0

    def peer_of(self, side: LinkSide) -> LinkSide:
        return self.customer if side is self.robot else self.robot

    def close(self, by: str) -> None:
        if self.closed:
            return
        self.closed = True
        self.hung_up_by = by
        for side in (self.robot, self.customer):
            side._playout.close()
            side._inbox.close()

    async def run(self) -> None:
        """The call's clock; returns when either side hangs up."""
        next_at = anyio.current_time()
        while not self.closed:
            t = self.call_time
            to_customer = self.robot._playout.next_frame() or _SILENCE
            to_robot = self.customer._playout.next_frame() or _SILENCE
            await self.customer._inbox.put(AudioFrame(to_customer, t))
            await self.robot._inbox.put(AudioFrame(to_robot, t))
            self.ticks += 1
            next_at += self._period
            now = anyio.current_time()
            if now - next_at > _MAX_LAG_FRAMES * self._period:
                next_at = now
            await anyio.sleep(max(0.0, next_at - now))


def _implements_media(side: LinkSide) -> Media:
    return side  # mypy checks here that a link side satisfies the Media protocol
