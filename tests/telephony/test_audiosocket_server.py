"""The AudioSocket server against a small honest peer on loopback that speaks the protocol as
Asterisk does: it connects, sends its UUID and 20 ms caller frames, and records what it receives."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest
from anyio.abc import SocketStream

from telephony.audiosocket import (
    AcceptTimeout,
    Audio,
    AudioSocketCall,
    AudioSocketServer,
    Decoder,
    Dtmf,
    Hangup,
    Message,
    Uuid,
    encode,
    number_from_uuid,
    uuid_for_number,
)
from telephony.audiosocket.call import _MAX_LAG_FRAMES
from telephony.audiosocket.timing import FrameTiming
from telephony.base import AudioFrame, DtmfFrame

pytestmark = pytest.mark.anyio

FRAME = 320


class Peer:
    """Asterisk's side of one AudioSocket connection."""

    def __init__(self, stream: SocketStream) -> None:
        self.stream = stream
        self.received: list[tuple[float, Message]] = []
        self.closed = anyio.Event()
        self.error: Exception | None = None

    async def send(self, *messages: Message) -> None:
        await self.stream.send(b"".join(encode(m) for m in messages))

    async def read_forever(self) -> None:
        decoder = Decoder(require_uuid=False)
        try:
            while True:
                data = await self.stream.receive(65536)
                now = anyio.current_time()
                self.received += [(now, m) for m in decoder.feed(data)]
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass
        finally:
            self.closed.set()

    def audio(self) -> list[tuple[float, bytes]]:
        return [(t, m.pcm) for t, m in self.received if isinstance(m, Audio)]

    def spoken(self) -> bytes:
        """The non-silent audio received, joined."""
        return b"".join(pcm for _, pcm in self.audio() if any(pcm))


@asynccontextmanager
async def connect(server: AudioSocketServer, call_id: str | None) -> AsyncIterator[Peer]:
    stream = await anyio.connect_tcp("127.0.0.1", server.port)
    peer = Peer(stream)
    async with stream, anyio.create_task_group() as tg:
        tg.start_soon(peer.read_forever)
        if call_id is not None:
            await peer.send(Uuid(uuid.UUID(call_id)))
        yield peer
        tg.cancel_scope.cancel()


def tone(frames: int, value: int = 1000) -> bytes:
    return value.to_bytes(2, "little", signed=True) * (FRAME // 2) * frames


async def collect(call: AudioSocketCall) -> list[AudioFrame | DtmfFrame]:
    return [frame async for frame in call.inbound()]


async def test_caller_frames_and_dtmf_come_out_in_order_with_call_time() -> None:
    server = AudioSocketServer()
    call_id = str(uuid.uuid4())
    async with server.running(), connect(server, call_id) as peer:
        call = await server.accept(call_id, timeout=5)
        await peer.send(Audio(tone(1, 1)), Audio(tone(1, 2)), Dtmf("7"), Audio(tone(1, 3)))
        await peer.send(Hangup())
        with anyio.fail_after(5):
            frames = await collect(call)
    assert [type(f).__name__ for f in frames] == ["AudioFrame"] * 2 + ["DtmfFrame", "AudioFrame"]
    assert frames[1] == AudioFrame(tone(1, 2), 0.02)
    assert frames[2] == DtmfFrame("7", 0.04)
    assert call.closed and call.close_reason == "the peer hung up"


async def test_a_connection_waits_for_its_accept_and_others_do_not_match() -> None:
    server = AudioSocketServer(unclaimed_grace_s=5)
    mine, other = str(uuid.uuid4()), str(uuid.uuid4())
    async with server.running(), connect(server, other), connect(server, mine):
        await anyio.sleep(0.2)  # the connection is early: the dialler has not asked yet
        call = await server.accept(mine.upper(), timeout=5)
        assert call.call_id == mine
        assert server.calls_unclaimed == [other]
        with pytest.raises(AcceptTimeout, match="no AudioSocket connection for call"):
            await server.accept(str(uuid.uuid4()), timeout=0.3)


async def test_an_unclaimed_connection_is_hung_up_after_the_grace() -> None:
    server = AudioSocketServer(unclaimed_grace_s=0.3)
    stray = str(uuid.uuid4())
    async with server.running(), connect(server, stray) as peer:
        with anyio.fail_after(5):
            await peer.closed.wait()
        assert any(isinstance(m, Hangup) for _, m in peer.received)
        assert any("no call accepted" in r for r in server.rejected)
        with pytest.raises(AcceptTimeout):
            await server.accept(stray, timeout=0.2)


async def test_customer_side_takes_any_call_and_reads_the_number() -> None:
    server = AudioSocketServer()
    async with server.running(), connect(server, uuid_for_number("+821012345678")):
        call_id, call = await server.accept_any(timeout=5)
        assert number_from_uuid(call_id) == "821012345678"
        assert not call.closed


async def test_silence_flows_when_nothing_plays_so_asterisk_keeps_the_call() -> None:
    server = AudioSocketServer()
    call_id = str(uuid.uuid4())
    async with server.running(), connect(server, call_id) as peer:
        await server.accept(call_id, timeout=5)
        await anyio.sleep(2.5)  # past AudioSocket()'s 2 s limit
        audio = peer.audio()
        assert not peer.closed.is_set()
    assert all(pcm == bytes(FRAME) for _, pcm in audio)
    span = audio[-1][0] - audio[0][0]
    assert len(audio) - 1 - span / 0.02 <= 4  # never more than one frame per 20 ms: no backlog
    # Silence kept coming: no silent stretch near Asterisk's 2 s limit. (Fewer frames than the
    # span allows is a late loop restarting its schedule, by design: not asserted.)
    assert max(_paced([t for t, _ in audio]).gaps_ms()) < 1000


def _paced(times: list[float]) -> FrameTiming:
    timing = FrameTiming()
    for t in times:
        timing.record(t)
    return timing


async def test_play_is_paced_in_real_time_frames_without_bursts() -> None:
    server = AudioSocketServer()
    call_id = str(uuid.uuid4())
    prompt = b"".join(tone(1, i) for i in range(1, 101))  # 2 s, every frame different
    async with server.running(), connect(server, call_id) as peer:
        call = await server.accept(call_id, timeout=5)
        result = await call.play(prompt)
        await anyio.sleep(0.1)
    assert (result.played_ms, result.total_ms, result.interrupted) == (2000, 2000, False)
    assert peer.spoken() == prompt
    times = [t for t, pcm in peer.audio() if any(pcm)]
    stats = _paced(times).summary()
    assert 17 <= stats.p50_ms <= 23
    # Never faster than real time (a late loop only makes the span longer: not asserted).
    assert (times[-1] - times[0]) > 99 * 0.02 - 0.15
    # No burst: never more frames sent than a 20 ms clock allows beyond the pacer's catch-up
    # after a late frame (counting gaps under 5 ms instead flaked on a loaded machine: each
    # catch-up is a legitimate near-zero gap).
    ahead = call.sent_timing.frames_ahead(0.02)
    assert ahead <= _MAX_LAG_FRAMES + 1 + 0.1, f"{ahead:.1f} frames ahead: {stats}"
    sent = call.sent_timing.summary()
    assert 19 <= sent.p50_ms <= 21


async def test_a_stalled_loop_makes_a_short_catch_up_never_a_burst() -> None:
    """Why pacing is judged by frames ahead of the clock, not by the smallest gap: after a late
    frame the pacer sends the next on schedule at once (a sub-millisecond gap, by design), but it
    never gets more than its catch-up allowance ahead of a 20 ms clock, however long the stall."""
    server = AudioSocketServer()
    call_id = str(uuid.uuid4())
    async with server.running(), connect(server, call_id) as peer:
        call = await server.accept(call_id, timeout=5)
        async with anyio.create_task_group() as tg:
            tg.start_soon(call.play, tone(100))  # 2 s
            for stall_s in (0.035, 0.3):  # within the catch-up allowance, then well past it
                await anyio.sleep(0.4)
                time.sleep(stall_s)  # noqa: ASYNC251  # the loop stops, as on a loaded machine
    assert peer.spoken() == tone(100)
    sent = call.sent_timing
    print("after the stalls:", sent.summary(), f"ahead {sent.frames_ahead(0.02):.2f} frames")
    assert sent.frames_ahead(0.02) <= _MAX_LAG_FRAMES + 1 + 0.1
    burst = _paced([i * 0.0001 for i in range(100)])  # the same prompt sent all at once
    assert burst.frames_ahead(0.02) > 90


async def test_speed_scales_the_pacing_for_simulations() -> None:
    server = AudioSocketServer(speed=4.0)
    call_id = str(uuid.uuid4())
    async with server.running(), connect(server, call_id) as peer:
        call = await server.accept(call_id, timeout=5)
        await call.play(tone(100))
        await anyio.sleep(0.05)
    times = [t for t, pcm in peer.audio() if any(pcm)]
    assert len(times) == 100
    assert 3.5 <= _paced(times).summary().p50_ms <= 6.5


async def test_barge_in_cuts_the_prompt_at_once_and_says_how_much_was_heard() -> None:
    server = AudioSocketServer()
    call_id = str(uuid.uuid4())
    async with server.running(), connect(server, call_id) as peer:
        call = await server.accept(call_id, timeout=5)
        async with anyio.create_task_group() as tg:
            results = []

            async def speak() -> None:
                results.append(await call.play(tone(150)))  # 3 s

            tg.start_soon(speak)
            await anyio.sleep(0.6)
            call.interrupt()
        await anyio.sleep(0.2)
        assert not call.closed  # barge-in stops the prompt, not the call
    [result] = results
    assert result.interrupted and result.total_ms == 3000
    assert 400 <= result.played_ms <= 900
    assert len(peer.spoken()) == result.played_ms * 16  # exactly what it says was sent


async def test_robot_hangup_sends_the_hangup_message_then_closes() -> None:
    server = AudioSocketServer()
    call_id = str(uuid.uuid4())
    async with server.running(), connect(server, call_id) as peer:
        call = await server.accept(call_id, timeout=5)
        await call.hangup()
        with anyio.fail_after(5):
            await peer.closed.wait()
            frames = await collect(call)
        assert isinstance(peer.received[-1][1], Hangup)
        assert frames == [] and call.closed
        assert (await call.play(tone(5))).interrupted  # nothing plays on a closed call


async def test_caller_hangup_ends_a_play_and_the_inbound_stream() -> None:
    server = AudioSocketServer()
    call_id = str(uuid.uuid4())
    async with server.running(), connect(server, call_id) as peer:
        call = await server.accept(call_id, timeout=5)
        async with anyio.create_task_group() as tg:
            tg.start_soon(collect, call)
            await anyio.sleep(0.2)
            await peer.stream.aclose()  # the caller goes away without a word
            with anyio.fail_after(5):
                result = await call.play(tone(200))
        assert result.interrupted and result.played_ms < 4000
        assert call.closed
        # Whichever direction notices first: the reader's end of stream or the writer's reset.
        assert "connection" in (call.close_reason or "")


@pytest.mark.parametrize(
    ("garbage", "reason"),
    [
        (b"\x42\x00\x00", "unknown message kind 0x42"),
        (b"\x10\xff\xf0", "exceeds"),
        (b"\x01\x00\x10" + uuid.uuid4().bytes, "second UUID"),
        (encode(Audio(b"\0\0" * 160, rate=16000)), "16000 Hz audio"),
    ],
)
async def test_a_malformed_call_is_closed_alone(garbage: bytes, reason: str) -> None:
    server = AudioSocketServer()
    good_id, bad_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with server.running(), connect(server, good_id) as good:
        good_call = await server.accept(good_id, timeout=5)
        async with connect(server, bad_id) as bad:
            bad_call = await server.accept(bad_id, timeout=5)
            await bad.stream.send(garbage)
            with anyio.fail_after(5):
                await bad.closed.wait()
        assert reason in (bad_call.close_reason or "")
        assert not good_call.closed
        before = len(good.audio())
        await good.send(Audio(tone(1)))
        await anyio.sleep(0.2)
        assert len(good.audio()) > before  # the other call is still served
        async with connect(server, str(uuid.uuid4())):
            await server.accept_any(timeout=5)  # and the server still accepts new ones


async def test_garbage_before_the_uuid_is_rejected_with_a_reason() -> None:
    server = AudioSocketServer()
    async with server.running(), connect(server, None) as peer:
        await peer.stream.send(b"\x10\x00\x02\x00\x00")
        with anyio.fail_after(5):
            await peer.closed.wait()
    assert server.rejected == ["message kind 0x10 before the UUID (the UUID must come first)"]


async def test_a_frame_cut_short_by_the_caller_is_reported() -> None:
    server = AudioSocketServer()
    call_id = str(uuid.uuid4())
    async with server.running(), connect(server, call_id) as peer:
        call = await server.accept(call_id, timeout=5)
        await peer.stream.send(b"\x10\x01\x40" + b"\0" * 100)
        await peer.stream.send_eof()
        with anyio.fail_after(5):
            await collect(call)
    assert "middle of a message" in (call.close_reason or "")
