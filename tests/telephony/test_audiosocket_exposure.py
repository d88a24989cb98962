"""Who may reach the AudioSocket server, over real loopback sockets: only configured peers (a
stranger is closed before a byte, logged masked, counted), at most `max_connections` at once (the
excess is told to hang up, counted), and never a listener on every address."""

from __future__ import annotations

import logging
import uuid

import anyio
import pytest

from orchestrator.settings import SettingsError, load_settings
from telephony.audiosocket import Audio, AudioSocketServer, Decoder, Hangup, Message, Uuid, encode

pytestmark = pytest.mark.anyio


async def _read_all(stream: anyio.abc.SocketStream, within: float = 3.0) -> list[Message]:
    """Everything the server sends until it closes the connection."""
    decoder, messages = Decoder(require_uuid=False), []
    with anyio.fail_after(within):
        while True:
            try:
                messages += decoder.feed(await stream.receive(65536))
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                return messages


async def test_a_peer_that_is_not_allowed_is_closed_at_once_and_logged_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = AudioSocketServer(unclaimed_grace_s=5)  # allowed by default: loopback 127.0.0.1, ::1
    call_id = str(uuid.uuid4())
    caplog.set_level(logging.WARNING, logger="telephony.audiosocket.server")
    async with server.running():
        # 127.0.0.2 is loopback on Linux but not one of the allowed addresses: a stranger.
        stranger = await anyio.connect_tcp("127.0.0.1", server.port, local_host="127.0.0.2")
        async with stranger:
            await stranger.send(encode(Uuid(uuid.UUID(call_id))) + encode(Audio(b"\0" * 320)))
            assert await _read_all(stranger) == []  # not one byte, not even silence
        assert server.calls_unclaimed == [] and server.refused_peers == 1
        # The PBX itself still gets through.
        async with await anyio.connect_tcp("127.0.0.1", server.port) as pbx:
            await pbx.send(encode(Uuid(uuid.UUID(call_id))))
            call = await server.accept(call_id, timeout=5)
            assert not call.closed
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "127.0.0.x" in logged and "127.0.0.2" not in logged


async def test_connections_past_the_cap_are_told_to_hang_up_and_counted() -> None:
    server = AudioSocketServer(max_connections=2, unclaimed_grace_s=10)
    ids = [str(uuid.uuid4()) for _ in range(4)]
    async with server.running():
        first = await anyio.connect_tcp("127.0.0.1", server.port)
        second = await anyio.connect_tcp("127.0.0.1", server.port)
        for stream, call_id in ((first, ids[0]), (second, ids[1])):
            await stream.send(encode(Uuid(uuid.UUID(call_id))))
        calls = [await server.accept(call_id, timeout=5) for call_id in ids[:2]]
        async with await anyio.connect_tcp("127.0.0.1", server.port) as third:
            await third.send(encode(Uuid(uuid.UUID(ids[2]))))
            assert await _read_all(third) == [Hangup()]  # Asterisk ends that call at once
        assert server.refused_over_cap == 1 and not any(c.closed for c in calls)
        # One call ends: there is room again.
        await first.send(encode(Hangup()))
        await first.aclose()
        with anyio.fail_after(5):
            # The counter has no event to wait on: poll it (bounded by fail_after).
            while server.open_connections > 1:  # noqa: ASYNC110
                await anyio.sleep(0.02)
        async with await anyio.connect_tcp("127.0.0.1", server.port) as fourth:
            await fourth.send(encode(Uuid(uuid.UUID(ids[3]))))
            assert not (await server.accept(ids[3], timeout=5)).closed
        await second.aclose()
    assert server.refused_over_cap == 1
    assert any("cap of 2" in reason for reason in server.rejected)


def test_listening_on_every_address_is_refused_in_one_line() -> None:
    for wildcard in ("0.0.0.0", "::"):
        with pytest.raises(SettingsError, match="listens on every address") as caught:
            load_settings(audiosocket_host=wildcard)
        assert "\n" not in str(caught.value)


def test_peers_are_addresses_or_networks_and_read_from_a_comma_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().audiosocket_peers == ["127.0.0.1", "::1"]
    monkeypatch.setenv("OUTREACH_AUDIOSOCKET_PEERS", "10.0.0.5, 10.0.1.0/24")
    assert load_settings().audiosocket_peers == ["10.0.0.5", "10.0.1.0/24"]
    monkeypatch.setenv("OUTREACH_AUDIOSOCKET_PEERS", "pbx.example")
    with pytest.raises(SettingsError, match="not an IP address or network"):
        load_settings()
