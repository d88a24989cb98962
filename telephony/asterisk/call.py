"""One attempt placed through Asterisk: its dial outcome, its media, transfer and hang-up.

The backend's event router feeds the call what AMI says about it (`note_*`); the backend's tracker
task decides the outcome once: ANSWERED when our AudioSocket server got the call's connection,
otherwise from the events (see outcome.py), or UNKNOWN when neither arrives in time.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import anyio

from telephony.ami import Event
from telephony.asterisk.errors import AsteriskError
from telephony.asterisk.outcome import DialEvidence, amd_status
from telephony.audiosocket import AudioSocketCall
from telephony.audiosocket.playout import BYTES_PER_MS
from telephony.base import (
    AmdStatus,
    AudioFrame,
    DialOutcome,
    DialResult,
    DtmfFrame,
    Media,
    PlayResult,
)

QUEUE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # goes into Queue(...): no commas or parens
Control = Callable[[str, dict[str, str]], Awaitable[None]]  # (AMI action kind, fields)


class ClosedMedia:
    """The media of a call that was answered but hung up before its audio connected."""

    async def inbound(self) -> AsyncIterator[AudioFrame | DtmfFrame]:
        return
        yield  # an async generator that yields nothing

    async def play(self, pcm: bytes) -> PlayResult:
        return PlayResult(0, len(pcm) // BYTES_PER_MS, interrupted=True)

    def interrupt(self) -> None:
        pass

    @property
    def closed(self) -> bool:
        return True


class AsteriskCall:
    """`telephony.base.CallHandle` for the asterisk backend."""

    def __init__(self, attempt_id: str, control: Control, result_deadline_s: float) -> None:
        self.attempt_id = attempt_id
        self._control = control
        self._deadline = result_deadline_s
        self.evidence = DialEvidence()
        self.amd = AmdStatus.NONE
        self.amd_cause: str | None = None
        self.amd_expected = False  # the dialplan runs AMD for this call (OUTREACH_AMD != no)
        self.amd_seen = anyio.Event()
        self.hung_up = anyio.Event()
        self.ended = anyio.Event()  # failed or hung up: the events side has something to say
        self.answered_by_pbx = False
        self.answered_at: float | None = None
        self.send_uncertain = False  # the Originate's connection dropped before Asterisk answered
        self.sent_on: int | None = None  # the AMI connection number Asterisk accepted it on
        self.audio: AudioSocketCall | None = None
        self.agent_answered = anyio.Event()
        self._result: DialResult | None = None
        self._decided = anyio.Event()

    # ---- fed by the backend's event router ----------------------------------------------------

    def note(self, event: Event) -> None:
        name = event.name
        if name == "OriginateResponse":
            self.evidence = replace(self.evidence, originate=event)
            if event.get("Reason") == "4":
                self.answered_by_pbx = True
                self.answered_at = anyio.current_time()
            else:
                self.ended.set()
        elif name == "DialEnd":
            self.evidence = replace(self.evidence, dial_end=event)
        elif name == "Hangup":
            self.evidence = replace(self.evidence, hangup=event)
            self.hung_up.set()
            self.ended.set()
        elif name == "UserEvent" and event.get("UserEvent") == "OutreachAmd":
            self.amd = amd_status(event)
            self.amd_cause = event.get("Cause") or None
            self.amd_seen.set()
        elif name == "UserEvent" and event.get("UserEvent") == "OutreachAgentAnswered":
            self.agent_answered.set()

    def decide(self, result: DialResult) -> bool:
        """Record the outcome once; later evidence never changes a decided outcome."""
        if self._result is not None:
            return False
        self._result = result
        self._decided.set()
        return True

    @property
    def decided(self) -> bool:
        return self._result is not None

    # ---- CallHandle -------------------------------------------------------------------------

    async def result(self) -> DialResult:
        with anyio.move_on_after(self._deadline):
            await self._decided.wait()
        if self._result is None:
            self.decide(DialResult(DialOutcome.UNKNOWN, detail="no outcome reported in time"))
        assert self._result is not None
        return self._result

    @property
    def media(self) -> Media:
        if self._result is None or self._result.outcome is not DialOutcome.ANSWERED:
            raise AsteriskError(f"call {self.attempt_id} has no media: it was not answered")
        return self.audio if self.audio is not None else ClosedMedia()

    async def transfer(self, queue: str) -> None:
        """Tell the dialplan to go to Queue(queue) once our AudioSocket closes, then close it."""
        if not QUEUE_NAME.match(queue):
            raise AsteriskError(f"queue name {queue!r} is not valid (letters, digits, _ . -)")
        if self.audio is None or self.audio.closed:
            raise AsteriskError(f"call {self.attempt_id} is not connected: cannot transfer it")
        await self._control("setvar", {"Variable": "OUTREACH_QUEUE", "Value": queue})
        await self._control("setvar", {"Variable": "OUTREACH_NEXT", "Value": "queue"})
        await self.audio.hangup()

    async def finished(self) -> None:
        """Until the channel's Hangup event (a transferred call lives on with the agent)."""
        await self.hung_up.wait()

    async def hangup(self) -> None:
        """End the call: closing our AudioSocket makes the dialplan hang up (no AMI needed);
        a call still ringing is hung up through AMI."""
        if self.audio is not None:
            await self.audio.hangup()
            return
        if not self.hung_up.is_set():
            await self._control("hangup", {})
