"""One AMI TCP connection: open, read the banner, log in, read messages, write actions.

The client above it owns reconnection; this layer only moves bytes through the codec and turns
socket failures into AmiConnectionError once, here at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio
from anyio.abc import SocketStream

from telephony.ami.codec import Action, Banner, Message, Parser, Response, encode
from telephony.ami.errors import AmiAuthError, AmiConnectionError, AmiProtocolError

READ_CHUNK = 65536
_STREAM_ERRORS = (OSError, anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError)


@dataclass
class Pending:
    """An action awaiting its Response (and, for a list action, the events tagged with its id)."""

    done: anyio.Event = field(default_factory=anyio.Event)
    response: Response | None = None
    error: Exception | None = None
    list_events: list[Message] = field(default_factory=list)
    collect_until: str | None = None  # list actions: the event name that completes the list
    list_done: anyio.Event = field(default_factory=anyio.Event)


class Connection:
    """A logged-in AMI connection; `read()` yields what the peer sends next."""

    def __init__(self, stream: SocketStream, parser: Parser, banner: str, number: int) -> None:
        self.stream = stream
        self.parser = parser
        self.banner = banner
        self.number = number  # 1 for the first connection, then one more per reconnection
        self.pending: dict[str, Pending] = {}
        self._write_lock = anyio.Lock()
        self._ready: list[Message] = []

    async def write(self, action: Action, action_id: str) -> None:
        data = encode(action, action_id)
        try:
            async with self._write_lock:
                await self.stream.send(data)
        except _STREAM_ERRORS as exc:
            raise AmiConnectionError(
                f"AMI connection lost while sending {action.name}: {exc!r}"
            ) from exc

    async def read(self) -> Message:
        while not self._ready:
            try:
                data = await self.stream.receive(READ_CHUNK)
            except _STREAM_ERRORS as exc:
                raise AmiConnectionError(f"AMI connection closed by the peer ({exc!r})") from exc
            for item in self.parser.feed(data):
                if isinstance(item, Banner):
                    raise AmiProtocolError("a second AMI banner in the middle of a connection")
                self._ready.append(item)
        return self._ready.pop(0)

    def fail_pending(self, error: Exception) -> None:
        """Wake every waiting action with `error`: their fate is unknown, and none is re-sent."""
        for waiter in self.pending.values():
            if not waiter.done.is_set():
                waiter.error = error
                waiter.done.set()
            waiter.list_done.set()

    async def aclose(self) -> None:
        with anyio.CancelScope(shield=True):
            await self.stream.aclose()


async def open_connection(
    host: str, port: int, username: str, secret: str, within: float, number: int
) -> Connection:
    """Connect, check the banner and log in, all within `within` seconds."""
    try:
        with anyio.fail_after(within):
            stream = await anyio.connect_tcp(host, port)
    except (OSError, TimeoutError) as exc:
        raise AmiConnectionError(
            f"cannot reach AMI at {host}:{port} ({exc or 'timed out'}): is Asterisk running? "
            "For the sandbox run `outreach asterisk sandbox up`"
        ) from exc
    parser = Parser()
    try:
        with anyio.fail_after(within):
            banner = await _read_banner(stream, parser)
            conn = Connection(stream, parser, banner, number)
            login = Action("Login", (("Username", username), ("Secret", secret)))
            await conn.write(login, "login")
            reply = await conn.read()
    except TimeoutError as exc:
        await stream.aclose()
        raise AmiConnectionError(f"AMI at {host}:{port} did not greet or answer Login") from exc
    except BaseException:
        await stream.aclose()
        raise
    if not isinstance(reply, Response) or not reply.ok:
        await conn.aclose()
        message = reply.get("Message") if isinstance(reply, Response) else reply
        raise AmiAuthError(
            f"Asterisk refused AMI login for {username!r} at {host}:{port} ({message}): check "
            "OUTREACH_AMI_USERNAME / OUTREACH_AMI_SECRET against manager.conf"
        )
    return conn


async def _read_banner(stream: SocketStream, parser: Parser) -> str:
    while True:
        try:
            data = await stream.receive(READ_CHUNK)
        except _STREAM_ERRORS as exc:
            raise AmiConnectionError(f"AMI peer closed before its banner ({exc!r})") from exc
        items = parser.feed(data)
        if items:
            first = items[0]
            if not isinstance(first, Banner) or len(items) > 1:
                raise AmiProtocolError("the AMI peer spoke before greeting")
            return first.version
