"""Fuzzing the running AudioSocket server over real loopback sockets (hypothesis): random and
truncated bytes from a peer never crash the server, the bad peer is closed (and reported when
its bytes are malformed), and a well-formed call connected through all of it is unaffected.

One server and one good call live in a background event loop (a blocking portal) for the whole
run; each example is one more bad peer."""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Iterator

import anyio
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telephony.audiosocket import (
    Audio,
    AudioSocketCall,
    AudioSocketProtocolError,
    AudioSocketServer,
    Decoder,
    Uuid,
    encode,
)
from telephony.base import AudioFrame

FRAME = b"\x01\x00" * 160


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class _Rig:
    """The server, a good call on it, and what the good call's peer has received."""

    def __init__(self, portal: BlockingPortal) -> None:
        self.portal = portal
        self.server = AudioSocketServer(unclaimed_grace_s=0.3, uuid_timeout_s=1.0)
        self.good_id = str(uuid.uuid4())
        self.good: AudioSocketCall | None = None
        self.good_stream: anyio.abc.SocketStream | None = None
        self.heard = 0  # bytes the good peer received from the server (silence, paced)

    async def start(self) -> None:
        self.good_stream = await anyio.connect_tcp("127.0.0.1", self.server.port)
        await self.good_stream.send(encode(Uuid(uuid.UUID(self.good_id))))
        self.good = await self.server.accept(self.good_id, timeout=5)

    async def drain_good_peer(self) -> None:
        assert self.good_stream is not None
        while True:
            self.heard += len(await self.good_stream.receive(65536))

    async def bad_peer(self, chunks: list[bytes]) -> None:
        """Send `chunks`, close our sending side, and wait for the server to close the rest."""
        with anyio.fail_after(5):
            async with await anyio.connect_tcp("127.0.0.1", self.server.port) as bad:
                try:
                    for chunk in chunks:
                        await bad.send(chunk)
                    await bad.send_eof()
                    while True:
                        await bad.receive(65536)
                except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionError):
                    return

    async def good_call_still_works(self) -> None:
        assert self.good is not None and self.good_stream is not None
        assert not self.good.closed, self.good.close_reason
        await self.good_stream.send(encode(Audio(FRAME)))
        with anyio.fail_after(3):
            async for frame in self.good.inbound():
                assert isinstance(frame, AudioFrame) and frame.pcm == FRAME
                break


@pytest.fixture(scope="module")
def rig() -> Iterator[_Rig]:
    records = _Records()
    logging.getLogger("telephony.audiosocket").addHandler(records)
    with start_blocking_portal() as portal:
        rig = _Rig(portal)
        cm = portal.wrap_async_context_manager(rig.server.running())
        with cm:
            portal.call(rig.start)
            future = portal.start_task_soon(rig.drain_good_peer)
            rig.records = records  # type: ignore[attr-defined]  # the test reads the warnings
            yield rig
            future.cancel()
            assert rig.good_stream is not None
            portal.call(rig.good_stream.aclose)
    logging.getLogger("telephony.audiosocket").removeHandler(records)


def _malformed(data: bytes) -> bool:
    """The pure decoder's verdict on the same bytes: the oracle for "should be reported"."""
    decoder = Decoder()
    try:
        decoder.feed(data)
        decoder.end_of_stream()
    except AudioSocketProtocolError:
        return True
    return False


def _message(kind: int, payload: bytes) -> bytes:
    return bytes([kind]) + len(payload).to_bytes(2, "big") + payload


_uuid_first = st.uuids().map(lambda u: _message(0x01, u.bytes))
_any_message = st.builds(
    _message,
    st.sampled_from([0x00, 0x01, 0x03, 0x10, 0x12, 0x20, 0xFF]),
    st.binary(max_size=400),
)
# Nearly well-formed streams: often a real UUID first, then messages, cut at a random point.
_truncated = st.tuples(
    st.one_of(_uuid_first, st.just(b"")), st.lists(_any_message, max_size=6),
    st.floats(0.0, 1.0),
).map(lambda t: (t[0] + b"".join(t[1]))[: int(len(t[0] + b"".join(t[1])) * t[2])])  # fmt: skip


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points) if b > a]


def _check_one(rig: _Rig, data: bytes, cuts: list[int]) -> None:
    records: _Records = rig.records  # type: ignore[attr-defined]
    before = len(records.messages)
    rig.portal.call(rig.bad_peer, _chunks(data, cuts))
    if _malformed(data):
        # The server may still be finishing the bad call: give its warning a moment.
        rig.portal.call(anyio.sleep, 0.05)
        assert len(records.messages) > before, f"malformed {data[:40]!r} was not reported"
    rig.portal.call(rig.good_call_still_works)


_EXAMPLES = settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


@_EXAMPLES
@given(data=st.binary(max_size=1500), cuts=st.lists(st.integers(0, 2000), max_size=4))
def test_random_bytes_from_a_peer_leave_the_server_and_the_good_call_alone(
    rig: _Rig, data: bytes, cuts: list[int]
) -> None:
    _check_one(rig, data, cuts)


@_EXAMPLES
@given(data=_truncated, cuts=st.lists(st.integers(0, 2000), max_size=4))
def test_truncated_and_odd_messages_are_closed_and_reported_and_calls_go_on(
    rig: _Rig, data: bytes, cuts: list[int]
) -> None:
    _check_one(rig, data, cuts)


def test_after_the_fuzzing_the_good_call_was_served_throughout(rig: _Rig) -> None:
    rig.portal.call(rig.good_call_still_works)
    assert rig.heard > 0 and rig.server.port > 0  # it heard silence all along, still listening
