"""The AudioSocket TCP server: accepts Asterisk's connections and hands each to the right call.

Every connection starts with its UUID. The connection can arrive before or after the code that
placed the call asks for it (the AMI answer event and the TCP connect race), so an identified
connection waits, already sending silence, for up to `unclaimed_grace_s` for `accept(call_id)` or
`accept_any()` to take it; one nobody takes is hung up with a logged reason. A malformed connection
is closed on its own; the server and the other calls carry on.

Exposure: a connection from an address that is not one of `peers` is closed at once, before a
byte is read, and logged with its address masked; past `max_connections` open at once a new one
is sent a hang-up and closed (Asterisk then ends that call). Both are counted.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import anyio
from anyio.abc import SocketAttribute, SocketStream, TaskGroup

from telephony.audiosocket.call import AudioSocketCall
from telephony.audiosocket.codec import DEFAULT_MAX_PAYLOAD, Decoder, Hangup, Message, Uuid, encode
from telephony.audiosocket.errors import (
    AcceptTimeout,
    AudioSocketError,
    AudioSocketProtocolError,
    ServerNotRunning,
)
from telephony.audiosocket.peers import LOOPBACK, PeerFilter, mask_address

log = logging.getLogger(__name__)


class AudioSocketServer:
    """Listen with `async with server.running():`; then `accept(call_id)` or `accept_any()`.

    `speed` scales the outbound pacing (1.0 for a real Asterisk, which has no jitter buffer;
    more only for tests and simulations whose peer is ours). `peers`: the addresses (or networks)
    allowed to connect, loopback by default; `max_connections`: connections open at once.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 1.0,
        *,
        unclaimed_grace_s: float = 5.0,
        uuid_timeout_s: float = 5.0,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
        inbound_buffer: int = 250,
        peers: Iterable[str] = LOOPBACK,
        max_connections: int = 200,
    ) -> None:
        if speed <= 0:
            raise AudioSocketError(f"speed must be positive, not {speed}")
        if max_connections < 1:
            raise AudioSocketError(f"max_connections must be at least 1, not {max_connections}")
        self.peers = PeerFilter(peers)
        self.max_connections = max_connections
        self.open_connections = 0
        self.refused_peers = 0  # connections from addresses not in `peers`
        self.refused_over_cap = 0  # connections past `max_connections`
        self.host = host
        self._requested_port = port
        self.speed = speed
        self.unclaimed_grace_s = unclaimed_grace_s
        self.uuid_timeout_s = uuid_timeout_s
        self._max_payload = max_payload
        self._inbound_buffer = inbound_buffer
        self._port: int | None = None
        self._pending: dict[str, AudioSocketCall] = {}
        self._changed: anyio.Event | None = None
        self.rejected: list[str] = []  # why connections were closed before becoming calls

    @property
    def port(self) -> int:
        if self._port is None:
            raise ServerNotRunning("the AudioSocket server is not listening yet")
        return self._port

    @property
    def calls_unclaimed(self) -> list[str]:
        """UUIDs of connected calls nobody has accepted yet."""
        return list(self._pending)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        try:
            listener = await anyio.create_tcp_listener(
                local_host=self.host, local_port=self._requested_port
            )
        except OSError as exc:
            raise AudioSocketError(
                f"cannot listen for AudioSocket on {self.host}:{self._requested_port}: {exc}; "
                "choose a free port (setting audiosocket_port)"
            ) from exc
        self._port = int(listener.extra(SocketAttribute.local_port))
        self._changed = anyio.Event()
        try:
            async with listener, anyio.create_task_group() as tg:
                tg.start_soon(self._serve, listener, tg)
                try:
                    yield
                finally:
                    tg.cancel_scope.cancel()
        finally:
            self._port = None
            self._changed = None
            self._pending.clear()

    # The timeout parameters are the agreed API: the deadline becomes a named AcceptTimeout.
    async def accept(self, call_id: str, timeout: float) -> AudioSocketCall:  # noqa: ASYNC109
        """The call whose connection carries `call_id` (a UUID string), waiting up to `timeout`."""
        key = _canonical(call_id)
        try:
            with anyio.fail_after(timeout):
                while key not in self._pending:
                    await self._wait_change()
        except TimeoutError:
            raise AcceptTimeout(
                f"no AudioSocket connection for call {key} within {timeout:g} s; check that the "
                f"dialplan runs AudioSocket(${{CALL_ID}},{self.host}:{self._port}) for it"
            ) from None
        return self._claim(key)

    async def accept_any(self, timeout: float) -> tuple[str, AudioSocketCall]:  # noqa: ASYNC109
        """The oldest connection nobody has taken (a customer-side server takes every call)."""
        try:
            with anyio.fail_after(timeout):
                while not self._pending:
                    await self._wait_change()
        except TimeoutError:
            raise AcceptTimeout(f"no AudioSocket connection within {timeout:g} s") from None
        key = next(iter(self._pending))
        return key, self._claim(key)

    # --- internals ---------------------------------------------------------------------------

    async def _wait_change(self) -> None:
        if self._changed is None:
            raise ServerNotRunning("use the server inside `async with server.running():`")
        await self._changed.wait()

    def _notify(self) -> None:
        if self._changed is not None:
            changed, self._changed = self._changed, anyio.Event()
            changed.set()

    def _claim(self, key: str) -> AudioSocketCall:
        call = self._pending.pop(key)
        call.claimed.set()
        return call

    async def _serve(self, listener: anyio.abc.Listener[SocketStream], tg: TaskGroup) -> None:
        await listener.serve(self._handle, task_group=tg)

    async def _handle(self, stream: SocketStream) -> None:
        # Nothing a peer does may reach the server's task group: that would stop every call.
        try:
            async with stream:
                verdict = self._admit(stream)
                if verdict == "ok":
                    self.open_connections += 1
                    try:
                        await self._serve_connection(stream)
                    finally:
                        self.open_connections -= 1
                elif verdict == "cap":
                    await stream.send(encode(Hangup()))  # Asterisk ends the call, not waits
        except Exception:
            log.exception("AudioSocket connection handler failed")

    def _admit(self, stream: SocketStream) -> str:
        """"ok", or why not: "peer" (closed without a byte), "cap" (told to hang up)."""
        address = str(stream.extra(SocketAttribute.remote_address, ("?",))[0])
        if not self.peers.allows(address):
            self.refused_peers += 1
            log.warning("AudioSocket connection from %s refused: not an allowed peer (setting "
                        "audiosocket_peers)", mask_address(address))  # fmt: skip
            return "peer"
        if self.open_connections >= self.max_connections:
            self.refused_over_cap += 1
            reason = f"over the cap of {self.max_connections} connections at once"
            log.warning("AudioSocket connection refused: %s (setting audiosocket_max_connections; "
                        "%d refused so far)", reason, self.refused_over_cap)  # fmt: skip
            self.rejected.append(reason)
            return "cap"
        return "ok"

    async def _serve_connection(self, stream: SocketStream) -> None:
        decoder = Decoder(self._max_payload)
        peer = stream.extra(SocketAttribute.remote_address, "?")
        try:
            with anyio.fail_after(self.uuid_timeout_s):
                first = await _read_until_uuid(stream, decoder)
        except TimeoutError:
            return self._reject(peer, f"no UUID within {self.uuid_timeout_s:g} s")
        except AudioSocketProtocolError as exc:
            return self._reject(peer, exc.reason)
        except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
            return self._reject(peer, "closed before sending its UUID")
        if not first or not isinstance(first[0], Uuid):
            return self._reject(peer, "hung up before sending its UUID")
        key = str(first[0].value)
        if key in self._pending:
            return self._reject(peer, f"UUID {key} is already connected")
        call = AudioSocketCall(
            key, stream, decoder, speed=self.speed, inbound_buffer=self._inbound_buffer
        )
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._offer, call)
            await call.run(first[1:])

    def _reject(self, peer: object, reason: str) -> None:
        log.warning("AudioSocket connection from %s closed: %s", peer, reason)
        self.rejected.append(reason)

    async def _offer(self, call: AudioSocketCall) -> None:
        self._pending[call.call_id] = call
        self._notify()
        with anyio.move_on_after(self.unclaimed_grace_s):
            await call.claimed.wait()
        if self._pending.get(call.call_id) is call:
            del self._pending[call.call_id]
            reason = f"no call accepted UUID {call.call_id} within {self.unclaimed_grace_s:g} s"
            log.warning("AudioSocket call closed: %s", reason)
            self.rejected.append(reason)
            await call.hangup()


async def _read_until_uuid(stream: SocketStream, decoder: Decoder) -> list[Message]:
    """Messages up to and including the first one; the decoder lets only UUID/hang-up/error lead."""
    while True:
        try:
            messages = decoder.feed(await stream.receive(65536))
        except anyio.EndOfStream:
            decoder.end_of_stream()
            return []
        if messages:
            return messages


def _canonical(call_id: str) -> str:
    try:
        return str(uuid.UUID(call_id))
    except ValueError:
        raise AudioSocketError(
            f"call id {call_id!r} is not a UUID; AudioSocket identifies calls by UUID"
        ) from None
