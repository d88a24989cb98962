"""The AudioSocket codec on plain bytes: round trips, any chunking, clear rejection of garbage."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.audiosocket import (
    Audio,
    AudioSocketProtocolError,
    Decoder,
    Dtmf,
    Error,
    Hangup,
    Message,
    Uuid,
    encode,
    number_from_uuid,
    uuid_for_number,
)
from telephony.audiosocket.codec import AUDIO_RATES
from telephony.errors import TelephonyError

CALL = uuid.UUID("12345678-1234-5678-1234-567812345678")

_audio = st.builds(
    Audio,
    pcm=st.binary(max_size=2000).map(lambda b: b[: len(b) // 2 * 2]),
    rate=st.sampled_from(sorted(AUDIO_RATES.values())),
)
_dtmf = st.builds(Dtmf, digit=st.sampled_from(list("0123456789*#ABCD")))
_middle = st.lists(st.one_of(_audio, _dtmf), max_size=20)
_end = st.sampled_from([[], [Hangup()], [Error(b"\x02")]])


@st.composite
def conversations(draw: st.DrawFn) -> list[Message]:
    """A valid stream: the UUID, audio and DTMF, and maybe a hang-up or error at the end."""
    ident = Uuid(uuid.UUID(bytes=draw(st.binary(min_size=16, max_size=16))))
    return [ident, *draw(_middle), *draw(_end)]


def _parse_in_chunks(data: bytes, cuts: list[int]) -> list[Message]:
    decoder = Decoder()
    out: list[Message] = []
    start = 0
    for cut in [*sorted(set(cuts)), len(data)]:
        out += decoder.feed(data[start:cut])
        start = cut
    decoder.end_of_stream()
    return out


@given(conversations(), st.lists(st.integers(min_value=0, max_value=50_000), max_size=30))
def test_any_valid_stream_split_anywhere_parses_the_same(
    messages: list[Message], cuts: list[int]
) -> None:
    data = b"".join(encode(m) for m in messages)
    assert _parse_in_chunks(data, [c % (len(data) + 1) for c in cuts]) == messages


@given(conversations())
def test_byte_by_byte_feeding_parses_the_same(messages: list[Message]) -> None:
    data = b"".join(encode(m) for m in messages)
    decoder = Decoder()
    out = [m for i in range(len(data)) for m in decoder.feed(data[i : i + 1])]
    assert out == messages


@given(st.binary(max_size=300))
def test_garbage_either_parses_or_raises_the_named_error(data: bytes) -> None:
    decoder = Decoder()
    try:
        decoder.feed(data)
        decoder.end_of_stream()
    except AudioSocketProtocolError as exc:
        assert exc.reason
        assert isinstance(exc, TelephonyError)


def test_wire_layout_matches_asterisk() -> None:
    assert encode(Uuid(CALL)) == b"\x01\x00\x10" + CALL.bytes
    assert encode(Audio(b"\x01\x02" * 160)) == b"\x10\x01\x40" + b"\x01\x02" * 160
    assert encode(Audio(b"\x00\x00", rate=16000))[:1] == b"\x12"
    assert encode(Dtmf("5")) == b"\x03\x00\x015"
    assert encode(Hangup()) == b"\x00\x00\x00"


def _ident() -> bytes:
    return encode(Uuid(CALL))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x10\x00\x02\x00\x00", "before the UUID"),
        (b"\x03\x00\x011", "before the UUID"),
        (b"\x01\x00\x04abcd", "16 raw bytes expected"),
        (_ident() + b"\x42\x00\x00", "unknown message kind 0x42"),
        (_ident() + b"\x10\xff\xff", "exceeds the 16384-byte limit"),
        (_ident() + b"\x10\x00\x03abc", "odd length"),
        (_ident() + b"\x03\x00\x02ab", "not one digit"),
        (_ident() + _ident(), "second UUID"),
        (_ident() + encode(Hangup()) + encode(Audio(b"\0\0")), "after the hang-up"),
    ],
)
def test_malformed_input_is_rejected_with_its_reason(data: bytes, reason: str) -> None:
    with pytest.raises(AudioSocketProtocolError, match=reason):
        Decoder().feed(data)


def test_oversize_is_rejected_from_the_header_alone() -> None:
    # The decoder must not wait for a 60 KB payload an attacker never sends.
    with pytest.raises(AudioSocketProtocolError, match="exceeds"):
        Decoder(max_payload=640).feed(_ident() + b"\x10\x02\x82")


def test_a_short_frame_at_close_is_reported() -> None:
    decoder = Decoder()
    decoder.feed(_ident() + b"\x10\x01\x40" + b"\0" * 100)
    with pytest.raises(AudioSocketProtocolError, match="middle of a message"):
        decoder.end_of_stream()


def test_a_poisoned_decoder_stays_poisoned() -> None:
    decoder = Decoder()
    with pytest.raises(AudioSocketProtocolError):
        decoder.feed(b"\x42\x00\x00")
    with pytest.raises(AudioSocketProtocolError, match="0x42"):
        decoder.feed(_ident())


def test_encoding_rejects_what_asterisk_could_not_take() -> None:
    with pytest.raises(AudioSocketProtocolError, match="16-bit length"):
        encode(Audio(b"\0" * 70_000))
    with pytest.raises(AudioSocketProtocolError, match="even"):
        encode(Audio(b"\0"))
    with pytest.raises(AudioSocketProtocolError, match="not a DTMF digit"):
        encode(Dtmf("x"))


@given(st.text(alphabet="0123456789", min_size=1, max_size=31), st.booleans())
def test_dialled_numbers_survive_the_uuid(digits: str, plus: bool) -> None:
    carried = uuid_for_number(("+" if plus else "") + digits)
    assert number_from_uuid(carried) == digits
    assert number_from_uuid(uuid.UUID(carried)) == digits


def test_number_uuid_is_readable_and_rejects_strangers() -> None:
    assert uuid_for_number("+821012345678") == "82101234-5678-ffff-ffff-ffffffffffff"
    with pytest.raises(TelephonyError, match="does not carry a dialled number"):
        number_from_uuid(str(CALL))
    with pytest.raises(TelephonyError, match="1 to 31 digits"):
        uuid_for_number("+82-10")
