"""A small, honest fake Asterisk Manager Interface on loopback, for tests of the AMI client.

It speaks real AMI bytes through the same codec: banner, Login (checking the secret), Ping,
Originate (answers "queued", then plays the events its `on_originate` script returns), and any
other action answered Success. Tests can drop every connection, or go silent (half-open: the TCP
connection stays up but nothing is answered), to exercise reconnection and keep-alive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

import anyio
from anyio.abc import SocketAttribute, SocketStream

from telephony.ami.codec import Event, Message, Parser, Response, encode_message

OriginateScript = Callable[[Message], list[Event]]


@dataclass
class FakeAmi:
    secret: str = "s3cret"
    on_originate: OriginateScript | None = None
    actions: list[Message] = field(default_factory=list)  # every action received
    logins: int = 0
    silent: bool = False  # half-open: read but never answer
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
        await stream.send(encode_message(Response(tuple(reply))))
        if action == "originate" and self.on_originate is not None:
            for event in self.on_originate(message):
                await stream.send(encode_message(event))
