"""Test peers for the AMI client: a small, honest fake AMI on loopback, and a proxy that cuts a
real AMI connection mid-campaign.

The fake speaks real AMI bytes through the same codec: banner, Login (checking the secret), Ping,
Originate (answers "queued", then plays the events its `on_originate` script returns), and any
other action answered Success. Tests can drop every connection, or go silent (half-open: the TCP
connection stays up but nothing is answered), to exercise reconnection and keep-alive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

import anyio
from anyio.abc import SocketAttribute, SocketStream, TaskGroup

from telephony.ami.codec import Event, Message, Parser, Response, encode_message

OriginateScript = Callable[[Message], list[Event]]


@dataclass
class FakeAmi:
    secret: str = "s3cret"
    on_originate: OriginateScript | None = None
    actions: list[Message] = field(default_factory=list)  # every action received
    logins: int = 0
    silent: bool = False  # half-open: read but never answer
    contexts: frozenset[str] = frozenset()  # dialplan contexts ShowDialPlan finds (none: not ours)
    _streams: set[SocketStream] = field(default_factory=set)
    port: int = 0

    @asynccontextmanager
    async def running(self) -> AsyncIterator[FakeAmi]:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        self.port = int(listener.extra(SocketAttribute.local_port))
        async with listener, anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, self._serve)
            try:
                yield self
            finally:
                tg.cancel_scope.cancel()

    def originates(self) -> list[Message]:
        return [a for a in self.actions if (a.get("Action") or "").lower() == "originate"]

    async def drop_all(self) -> None:
        """Close every client connection, as a crashed proxy or a restarted PBX would."""
        for stream in list(self._streams):
            await stream.aclose()

    async def broadcast(self, event: Event) -> None:
        for stream in list(self._streams):
            with suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                await stream.send(encode_message(event))

    async def _serve(self, stream: SocketStream) -> None:
        self._streams.add(stream)
        parser = Parser(expect_banner=False, accept_actions=True)
        try:
            async with stream:
                await stream.send(b"Asterisk Call Manager/11.0.0\r\n")
                while True:
                    data = await stream.receive()
                    for message in parser.feed(data):
                        await self._answer(stream, message)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass
        finally:
            self._streams.discard(stream)

    async def _answer(self, stream: SocketStream, message: object) -> None:
        assert isinstance(message, Message)
        self.actions.append(message)
        if self.silent:
            return
        action = (message.get("Action") or "").lower()
        aid = message.get("ActionID") or ""
        reply = [("Response", "Success"), ("ActionID", aid)]
        if action == "login":
            self.logins += 1
            if message.get("Secret") != self.secret:
                reply = [("Response", "Error"), ("ActionID", aid),
                         ("Message", "Authentication failed")]  # fmt: skip
            else:
                reply.append(("Message", "Authentication accepted"))
        elif action == "ping":
            reply.append(("Ping", "Pong"))
        elif action == "originate":
            reply.append(("Message", "Originate successfully queued"))
        elif action == "showdialplan":
            await self._show_dialplan(stream, message.get("Context") or "", aid)
            return
        await stream.send(encode_message(Response(tuple(reply))))
        if action == "originate" and self.on_originate is not None:
            for event in self.on_originate(message):
                await stream.send(encode_message(event))

    async def _show_dialplan(self, stream: SocketStream, context: str, aid: str) -> None:
        # As Asterisk answers it: an error for a context it does not have, else a list.
        if context not in self.contexts:
            error = [("Response", "Error"), ("ActionID", aid),
                     ("Message", f"Did not find context {context}")]  # fmt: skip
            await stream.send(encode_message(Response(tuple(error))))
            return
        head = [("Response", "Success"), ("ActionID", aid), ("EventList", "start")]
        events = [Event((("Event", "ListDialplan"), ("ActionID", aid), ("Context", context),
                         ("Extension", "s"), ("Priority", "1"), ("Application", "Answer"))),
                  Event((("Event", "ShowDialPlanComplete"), ("ActionID", aid),
                         ("EventList", "Complete"), ("ListItems", "1")))]  # fmt: skip
        await stream.send(encode_message(Response(tuple(head))))
        for event in events:
            await stream.send(encode_message(event))


@dataclass
class CuttingProxy:
    """A TCP proxy in front of a real AMI that can cut its connections, mid-campaign.

    It counts every action the client sent (by name and ActionID), so a test can prove that an
    Originate crossed exactly once. `cut_after_originate` cuts the connection right after
    forwarding the next Originate, before Asterisk's answer can come back: its fate is unknown.
    """

    upstream_port: int
    port: int = 0
    sent: list[Message] = field(default_factory=list)
    cut_after_originate: bool = False
    cuts: int = 0
    outage_s: float = 0.0
    _muted: bool = False
    _down_until: float = 0.0
    _pairs: list[tuple[SocketStream, SocketStream]] = field(default_factory=list)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[CuttingProxy]:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        self.port = int(listener.extra(SocketAttribute.local_port))
        async with listener, anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, self._serve)
            try:
                yield self
            finally:
                tg.cancel_scope.cancel()

    async def cut(self) -> None:
        """Close every proxied connection at once (both directions); for `outage_s` after it,
        new connections are closed on arrival (the network is still down)."""
        self.cuts += 1
        self._down_until = anyio.current_time() + self.outage_s
        for client, upstream in list(self._pairs):
            await client.aclose()
            await upstream.aclose()

    async def _serve(self, client: SocketStream) -> None:
        if anyio.current_time() < self._down_until:
            await client.aclose()
            return
        try:
            upstream_stream = await anyio.connect_tcp("127.0.0.1", self.upstream_port)
        except OSError:  # Asterisk itself is down (restarting): the client sees a closed line
            await client.aclose()
            return
        async with client, upstream_stream as upstream:
            pair = (client, upstream)
            self._pairs.append(pair)
            self._muted = False
            try:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(self._pump_actions, client, upstream, tg)
                    tg.start_soon(self._pump_replies, upstream, client, tg)
            finally:
                self._pairs.remove(pair)

    async def _pump_actions(self, src: SocketStream, dst: SocketStream, tg: TaskGroup) -> None:
        parser = Parser(expect_banner=False, accept_actions=True)
        with suppress(*_CLOSED):
            async for data in src:
                actions = [a for a in parser.feed(data) if isinstance(a, Message)]
                self.sent += actions
                names = [(a.get("Action") or "").lower() for a in actions]
                cut = self.cut_after_originate and "originate" in names
                if cut:
                    # From here nothing Asterisk says reaches the client: its answer to this
                    # Originate and the call's events are lost, as in a real outage.
                    self._muted = True
                    self.cut_after_originate = False
                await dst.send(data)
                if cut:
                    await self.cut()
        tg.cancel_scope.cancel()

    async def _pump_replies(self, src: SocketStream, dst: SocketStream, tg: TaskGroup) -> None:
        with suppress(*_CLOSED):
            async for data in src:
                if not self._muted:
                    await dst.send(data)
        tg.cancel_scope.cancel()

    def originates(self) -> list[Message]:
        return [a for a in self.sent if (a.get("Action") or "").lower() == "originate"]


_CLOSED = (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError)

