"""Fuzzing the AMI client's reader over a real loopback socket (hypothesis): a fake AMI peer
answers an action with random or truncated bytes and hangs up. The client never crashes: the
action in flight fails with a named AmiError (and is never sent again), the connection loss is
reported in one line, the client reconnects once, and the next action works.

One client and one peer live in a background event loop (a blocking portal) for the run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field

import anyio
import pytest
from anyio.abc import SocketAttribute, SocketStream
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telephony.ami import (
    Action,
    AmiClient,
    AmiConfig,
    AmiError,
    ConnectionNotice,
    Delivery,
    Response,
    actions,
)
from telephony.ami.codec import Message, Parser, encode_message

_CLOSED = (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError)


@dataclass
class _FuzzingAmi:
    """Banner, Login, Ping as Asterisk; a `Setvar FUZZ` is answered with `garbage`, then the
    connection is closed."""

    garbage: bytes = b""
    port: int = 0
    received: list[Message] = field(default_factory=list)

    async def serve(self, *, task_status: anyio.abc.TaskStatus[None]) -> None:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        self.port = int(listener.extra(SocketAttribute.local_port))
        async with listener:
            task_status.started()
            await listener.serve(self._one)

    async def _one(self, stream: SocketStream) -> None:
        parser = Parser(expect_banner=False, accept_actions=True)
        with suppress(*_CLOSED):
            async with stream:
                await stream.send(b"Asterisk Call Manager/11.0.0\r\n")
                async for data in stream:
                    for action in parser.feed(data):
                        assert isinstance(action, Message)
                        self.received.append(action)
                        if action.get("Variable") == "FUZZ":
                            await stream.send(self.garbage)
                            return
                        reply = [("Response", "Success"), ("ActionID", action.action_id or "")]
                        if (action.get("Action") or "").lower() == "ping":
                            reply.append(("Ping", "Pong"))
                        await stream.send(encode_message(Response(tuple(reply))))


@dataclass
class _Rig:
    portal: BlockingPortal
    peer: _FuzzingAmi
    ami: AmiClient
    notices: anyio.abc.ObjectReceiveStream[Delivery]
    sent: int = 0

    async def one_round(self, garbage: bytes) -> None:
        self.peer.garbage = garbage
        self.sent += 1
        before = self.ami.reconnects
        with anyio.fail_after(10):
            try:
                reply = await self.ami.send(actions.setvar("FUZZ", str(self.sent)), check=False)
            except AmiError as exc:
                assert "\n" not in str(exc) and str(exc)  # a named error in one line
            else:
                assert isinstance(reply, Response)  # the garbage happened to answer it
            pong = await self.ami.send(Action("Ping"))  # reconnected: works again
        assert pong.get("Ping") == "Pong"
        assert self.ami.reconnects == before + 1
        lost = [n for n in self._drain() if isinstance(n, ConnectionNotice) and n.state == "lost"]
        assert len(lost) == 1 and "\n" not in lost[0].reason and "AMI" in lost[0].reason

    def _drain(self) -> list[Delivery]:
        out: list[Delivery] = []
        with suppress(anyio.WouldBlock):
            while True:
                out.append(self.notices.receive_nowait())
        return out


@pytest.fixture(scope="module")
def rig() -> Iterator[_Rig]:
    with start_blocking_portal() as portal:
        peer = _FuzzingAmi()
        server = portal.start_task(peer.serve)[0]
        config = AmiConfig("127.0.0.1", peer.port, "outreach", "s", ping_interval=60,
                           reconnect_initial=0.01, reconnect_max=0.05,
                           give_up_after=10)  # fmt: skip
        ami = AmiClient(config)
        with portal.wrap_async_context_manager(ami.running()):
            sub = ami.subscribe(capacity=1000)
            notices = sub.__enter__()
            yield _Rig(portal, peer, ami, notices)
            sub.__exit__(None, None, None)
        server.cancel()


def _message(headers: list[tuple[str, str]], first: str) -> bytes:
    lines = [first] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
_headers = st.lists(st.tuples(_text, _text), max_size=5)
_first = st.sampled_from(["Response: Success", "Response: Error", "Event: Hangup",
                          "Event: OriginateResponse", "Action: Ping",
                          "Asterisk Call Manager/11.0.0"])  # fmt: skip
# AMI-looking messages, then cut at a random point.
_truncated = st.tuples(st.lists(st.builds(_message, _headers, _first), max_size=4),
                       st.floats(0.0, 1.0)).map(
    lambda t: b"".join(t[0])[: int(len(b"".join(t[0])) * t[1])]
)  # fmt: skip
_EXAMPLES = settings(max_examples=50, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


@_EXAMPLES
@given(garbage=st.binary(max_size=1500))
def test_random_bytes_from_the_pbx_are_a_clear_error_then_a_reconnect(
    rig: _Rig, garbage: bytes
) -> None:
    rig.portal.call(rig.one_round, garbage)


@_EXAMPLES
@given(garbage=_truncated)
def test_truncated_and_odd_messages_are_a_clear_error_then_a_reconnect(
    rig: _Rig, garbage: bytes
) -> None:
    rig.portal.call(rig.one_round, garbage)


def test_no_action_was_sent_twice(rig: _Rig) -> None:
    fuzz = [a.get("Value") for a in rig.peer.received if a.get("Variable") == "FUZZ"]
    assert len(fuzz) == len(set(fuzz)) == rig.sent > 0
