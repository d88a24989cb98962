"""The one telephony interface the orchestrator sees; `asterisk` and `sim` both implement it.

A backend is used inside `async with backend.running():` so that every task it needs (AMI reader,
AudioSocket server, simulated customers) lives in a task group the caller owns. `originate` places a
call and returns a handle at once; `handle.result()` waits for the dial outcome; an answered call
has `handle.media` (caller frames in, paced robot audio out) until either side hangs up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

SAMPLE_RATE = 8000  # telephony audio: signed 16-bit little-endian mono
FRAME_MS = 20
FRAME_BYTES = SAMPLE_RATE * 2 * FRAME_MS // 1000  # 320


class DialOutcome(StrEnum):
    """How a dial ended before any conversation: the retry rules key on these."""

    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CONGESTION = "congestion"
    # The carrier's trunk did not take the call: it answered the INVITE with a 5xx (503 Service
    # Unavailable, ...) or not at all (local 408 after SIP timer B). Not the customer's doing.
    TRUNK_FAILED = "trunk_failed"
    FAILED = "failed"  # unreachable number, rejected, channel unavailable, other failure
    UNKNOWN = "unknown"  # fate not known (e.g. the PBX connection dropped before it reported)


class AmdStatus(StrEnum):
    HUMAN = "human"
    MACHINE = "machine"
    NOTSURE = "notsure"
    NONE = "none"  # no detection ran


@dataclass(frozen=True)
class OriginateRequest:
    attempt_id: str  # a UUID string: AMI ChannelId and the AudioSocket UUID
    phone: str  # E.164
    variables: Mapping[str, str] = field(default_factory=dict)
    caller_id: str | None = None
    ring_timeout_s: float = 30.0


@dataclass(frozen=True)
class DialResult:
    outcome: DialOutcome
    amd: AmdStatus = AmdStatus.NONE
    amd_cause: str | None = None  # Asterisk's AMDCAUSE, e.g. "INITIALSILENCE-2500-2500"
    cause: str | None = None  # PBX hang-up cause text, with the SIP code where known
    detail: str | None = None
    answered_at: float | None = None  # anyio's clock when the line was answered


@dataclass(frozen=True)
class AudioFrame:
    """Caller audio: 8 kHz s16le mono, normally one 20 ms frame; `t` is seconds since answer."""

    pcm: bytes
    t: float


@dataclass(frozen=True)
class DtmfFrame:
    digit: str
    t: float


@dataclass(frozen=True)
class PlayResult:
    """What actually reached the caller: barge-in needs to know how much of a prompt was heard."""

    played_ms: int
    total_ms: int
    interrupted: bool


class Media(Protocol):
    """An answered call's audio. Inbound ends (the iterator stops) when the call hangs up."""

    def inbound(self) -> AsyncIterator[AudioFrame | DtmfFrame]: ...

    async def play(self, pcm: bytes) -> PlayResult:
        """Send 8 kHz s16le audio paced in real time (scaled by the backend's speed); returns when
        it has all been sent, was interrupted, or the call ended. Silence fills the gaps between
        plays automatically."""
        ...

    def interrupt(self) -> None:
        """Barge-in: cut the current play at once (it returns with interrupted=True)."""
        ...

    @property
    def closed(self) -> bool: ...


class CallHandle(Protocol):
    attempt_id: str

    async def result(self) -> DialResult:
        """Wait for the dial outcome (answered or why not); the backend bounds the wait."""
        ...

    @property
    def media(self) -> Media:
        """The call's audio; only valid once result() said ANSWERED."""
        ...

    async def transfer(self, queue: str) -> None:
        """Hand the live call to an agent queue; our media ends."""
        ...

    async def hangup(self) -> None: ...

    async def finished(self) -> None:
        """Return when the line has ended: after a transfer, when the customer or the agent
        hangs up (until then the call still holds a trunk channel)."""
        ...


class TelephonyBackend(Protocol):
    name: str

    def running(self) -> AbstractAsyncContextManager[None]:
        """Start the backend's tasks (servers, readers) in a task group owned by this context."""
        ...

    async def originate(self, request: OriginateRequest) -> CallHandle: ...
