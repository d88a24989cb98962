"""AudioSocket wire format, with no I/O: bytes in, frozen messages out, and back.

A message is 1 byte kind, 2 bytes big-endian payload length, then the payload (FACTS.md). The
decoder enforces the protocol's order (the UUID first, once; nothing after a hang-up) so that the
server can close a misbehaving call with a precise reason instead of guessing later.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from enum import IntEnum

from telephony.audiosocket.errors import AudioSocketProtocolError

HEADER = struct.Struct(">BH")
MAX_WIRE_PAYLOAD = 0xFFFF
# 20 ms at the highest rate (192 kHz) is 7,680 bytes; anything far above that is not audio we sent
# or expect, and a 64 KiB allocation per frame from an untrusted peer is not worth allowing.
DEFAULT_MAX_PAYLOAD = 16384
DTMF_DIGITS = frozenset("0123456789*#ABCD")


class Kind(IntEnum):
    HANGUP = 0x00
    UUID = 0x01
    DTMF = 0x03
    AUDIO_8K = 0x10
    ERROR = 0xFF


# Signed linear 16-bit little-endian audio at these rates (Asterisk's slin, slin12 ... slin192).
AUDIO_RATES: dict[int, int] = {
    0x10: 8000,
    0x11: 12000,
    0x12: 16000,
    0x13: 24000,
    0x14: 32000,
    0x15: 44100,
    0x16: 48000,
    0x17: 96000,
    0x18: 192000,
}
_KIND_OF_RATE = {rate: kind for kind, rate in AUDIO_RATES.items()}


@dataclass(frozen=True)
class Hangup:
    """Either side ends the call."""


@dataclass(frozen=True)
class Uuid:
    """The call's identity; Asterisk sends it first, from the dialplan's AudioSocket(UUID,...)."""

    value: uuid.UUID


@dataclass(frozen=True)
class Dtmf:
    digit: str


@dataclass(frozen=True)
class Audio:
    """Signed 16-bit little-endian mono PCM at `rate` Hz."""

    pcm: bytes
    rate: int = 8000


@dataclass(frozen=True)
class Error:
    """Asterisk reports an error on its side (payload: its error code, if any)."""

    payload: bytes = b""


Message = Hangup | Uuid | Dtmf | Audio | Error


def encode(msg: Message) -> bytes:
    """The bytes of one message, header and payload together (they must go out in one send)."""
    kind, payload = _kind_and_payload(msg)
    if len(payload) > MAX_WIRE_PAYLOAD:
        raise AudioSocketProtocolError(
            f"payload of {len(payload)} bytes does not fit the 16-bit length; split the audio"
        )
    return HEADER.pack(kind, len(payload)) + payload


def _kind_and_payload(msg: Message) -> tuple[int, bytes]:
    match msg:
        case Hangup():
            return Kind.HANGUP, b""
        case Uuid(value):
            return Kind.UUID, value.bytes
        case Dtmf(digit):
            if digit not in DTMF_DIGITS:
                raise AudioSocketProtocolError(f"{digit!r} is not a DTMF digit")
            return Kind.DTMF, digit.encode("ascii")
        case Audio(pcm, rate):
            if rate not in _KIND_OF_RATE:
                raise AudioSocketProtocolError(f"AudioSocket has no kind for {rate} Hz audio")
            if len(pcm) % 2:
                raise AudioSocketProtocolError("16-bit audio must have an even number of bytes")
            return _KIND_OF_RATE[rate], pcm
        case Error(payload):
            return Kind.ERROR, payload


class Decoder:
    """Incremental parser for one connection: `feed` any chunking of the stream, get messages.

    After it raised AudioSocketProtocolError the connection is beyond repair: feeding it again
    raises the same error, so a caller cannot accidentally keep using a poisoned stream.
    """

    def __init__(
        self, max_payload: int = DEFAULT_MAX_PAYLOAD, *, require_uuid: bool = True
    ) -> None:
        # require_uuid=False parses what a server sends to Asterisk (it never sends a UUID).
        self._buf = bytearray()
        self._max_payload = max_payload
        self._seen_uuid = not require_uuid
        self._ended = False
        self._error: AudioSocketProtocolError | None = None

    def feed(self, data: bytes) -> list[Message]:
        if self._error is not None:
            raise self._error
        self._buf += data
        out: list[Message] = []
        try:
            while len(self._buf) >= HEADER.size:
                kind, length = HEADER.unpack_from(self._buf)
                self._check_header(kind, length)
                end = HEADER.size + length
                if len(self._buf) < end:
                    break
                payload = bytes(self._buf[HEADER.size : end])
                del self._buf[:end]
                out.append(self._message(kind, payload))
        except AudioSocketProtocolError as exc:
            self._error = exc
            raise
        return out

    def end_of_stream(self) -> None:
        """The peer closed the connection: an incomplete message left over is a short frame."""
        if self._buf and self._error is None:
            self._error = AudioSocketProtocolError(
                f"connection closed in the middle of a message ({len(self._buf)} bytes left over)"
            )
            raise self._error

    def _check_header(self, kind: int, length: int) -> None:
        # Checked as soon as the header is in, before waiting for a payload that may never come.
        if self._ended:
            raise AudioSocketProtocolError(f"message kind 0x{kind:02x} after the hang-up")
        if kind not in AUDIO_RATES and kind not in (Kind.HANGUP, Kind.UUID, Kind.DTMF, Kind.ERROR):
            raise AudioSocketProtocolError(f"unknown message kind 0x{kind:02x}")
        if length > self._max_payload:
            raise AudioSocketProtocolError(
                f"message kind 0x{kind:02x} of {length} bytes exceeds the {self._max_payload}"
                "-byte limit"
            )
        if not self._seen_uuid and kind not in (Kind.UUID, Kind.HANGUP, Kind.ERROR):
            raise AudioSocketProtocolError(
                f"message kind 0x{kind:02x} before the UUID (the UUID must come first)"
            )
        if kind == Kind.UUID and self._seen_uuid:
            raise AudioSocketProtocolError("a second UUID on the same connection")

    def _message(self, kind: int, payload: bytes) -> Message:
        if kind in AUDIO_RATES:
            if len(payload) % 2:
                raise AudioSocketProtocolError(
                    f"audio payload of odd length {len(payload)} (16-bit samples expected)"
                )
            return Audio(payload, AUDIO_RATES[kind])
        if kind == Kind.UUID:
            if len(payload) != 16:
                raise AudioSocketProtocolError(
                    f"UUID payload of {len(payload)} bytes (16 raw bytes expected)"
                )
            self._seen_uuid = True
            return Uuid(uuid.UUID(bytes=payload))
        if kind == Kind.DTMF:
            digit = payload.decode("latin-1")
            if digit not in DTMF_DIGITS:
                raise AudioSocketProtocolError(f"DTMF payload {payload!r} is not one digit")
            return Dtmf(digit)
        if kind == Kind.HANGUP:
            self._ended = True
            return Hangup()
        self._ended = True  # Asterisk ends the call after reporting an error
        return Error(payload)
