"""The anyio AMI client: actions correlated by ActionID with deadlines, a bounded event stream,
keep-alive pings that catch half-open connections, and reconnection with backoff.

An action whose connection drops before Asterisk answered fails with AmiConnectionError and is
never sent again: for Originate a second send could dial the customer twice, so the caller
reconciles that attempt from later events (or reports it as unknown).
"""

from __future__ import annotations

import itertools
import logging
import random
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Literal

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from telephony.ami.codec import Action, Event, Message, Response
from telephony.ami.connection import Connection, Pending, open_connection
from telephony.ami.errors import (
    AmiActionError,
    AmiAuthError,
    AmiConnectionError,
    AmiError,
    AmiTimeout,
)

log = logging.getLogger("telephony.ami")


@dataclass(frozen=True)
class AmiConfig:
    host: str
    port: int
    username: str
    secret: str
    connect_timeout: float = 5.0
    action_timeout: float = 10.0
    ping_interval: float = 5.0  # a Ping this often...
    ping_timeout: float = 5.0  # ...unanswered this long means the connection is half-open
    reconnect_initial: float = 0.2
    reconnect_max: float = 5.0
    give_up_after: float = 60.0  # reconnecting longer than this ends the client with an error


@dataclass(frozen=True)
class ConnectionNotice:
    """Delivered on every event stream when the connection is lost or made again."""

    state: Literal["lost", "connected"]
    connection: int  # connection number: 1, then one more per reconnection
    reason: str = ""


Delivery = Event | ConnectionNotice


@dataclass
class _Subscriber:
    send: MemoryObjectSendStream[Delivery]
    match: Callable[[Event], bool] | None
    dropped: int = 0


class AmiClient:
    """Use as `async with AmiClient(cfg).running() as ami:` (the tasks live in that context)."""

    def __init__(self, config: AmiConfig) -> None:
        self.config = config
        self._conn: Connection | None = None
        self._connected = anyio.Event()
        self._subscribers: list[_Subscriber] = []
        self._ids = itertools.count(1)
        self._prefix = secrets.token_hex(4)
        self.reconnects = 0

    @property
    def connected(self) -> bool:
        return self._conn is not None

    @property
    def connection_number(self) -> int | None:
        """1 for the first connection, one more per reconnection; None while disconnected."""
        return self._conn.number if self._conn else None

    @property
    def banner(self) -> str | None:
        return self._conn.banner if self._conn else None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[AmiClient]:
        """Connect (failing at once if AMI cannot be reached or refuses the login), then keep the
        connection alive until the block exits."""
        c = self.config
        conn = await open_connection(c.host, c.port, c.username, c.secret, c.connect_timeout, 1)
        self._use(conn)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._supervise, conn)
                try:
                    yield self
                finally:
                    tg.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            # The one error that ended the client (e.g. reconnecting gave up) reaches the caller
            # as itself, so the CLI can print its message instead of a group's traceback.
            lone = _lone_error(group)
            if lone is None:
                raise
            raise lone from group

    # ---- actions -----------------------------------------------------------------------------

    async def send(
        self, action: Action, *, within: float | None = None, action_id: str | None = None,
        check: bool = True,
    ) -> Response:  # fmt: skip
        """Send `action` and return its Response (raising AmiActionError on `Response: Error`
        when `check`). Waits for a connection if one is being re-made, all within `within` s."""
        pending = Pending()
        response = await self._roundtrip(action, pending, within, action_id)
        if check and not response.ok:
            raise AmiActionError(f"Asterisk refused {action.name}: {response.get('Message')}")
        return response

    async def send_list(
        self, action: Action, complete_event: str, *, within: float | None = None
    ) -> list[Message]:
        """Send a list action (e.g. CoreShowChannels); return its events up to `complete_event`."""
        pending = Pending(collect_until=complete_event.lower())
        limit = within or self.config.action_timeout
        aid = f"{self._prefix}-{next(self._ids)}"
        try:
            with self._deadline(action, limit):
                response = await self._roundtrip(action, pending, limit, aid)
                if not response.ok:
                    msg = response.get("Message")
                    raise AmiActionError(f"Asterisk refused {action.name}: {msg}")
                await pending.list_done.wait()
        finally:
            pending.collect_until = None  # lets the next dispatch ignore it...
            if self._conn is not None:
                self._conn.pending.pop(aid, None)  # ...and forgets it now
        if pending.error is not None:
            raise pending.error
        return pending.list_events

    async def _roundtrip(
        self, action: Action, pending: Pending, within: float | None, action_id: str | None
    ) -> Response:
        limit = within or self.config.action_timeout
        aid = action_id or f"{self._prefix}-{next(self._ids)}"
        with self._deadline(action, limit):
            await self._connected.wait()
            conn = self._conn
            if conn is None:  # lost between the wake-up and here
                raise AmiConnectionError(f"AMI connection lost before sending {action.name}")
            conn.pending[aid] = pending
            try:
                await conn.write(action, aid)
                await pending.done.wait()
            finally:
                if pending.collect_until is None or pending.list_done.is_set():
                    conn.pending.pop(aid, None)
        if pending.error is not None:
            raise pending.error
        assert pending.response is not None  # done is set only with a response or an error
        return pending.response

    @contextmanager
    def _deadline(self, action: Action, limit: float) -> Iterator[None]:
        try:
            with anyio.fail_after(limit):
                yield
        except TimeoutError as exc:
            raise AmiTimeout(
                f"Asterisk did not answer {action.name} within {limit:g} s; its fate is unknown"
            ) from exc

    # ---- events ------------------------------------------------------------------------------

    @contextmanager
    def subscribe(
        self, capacity: int = 10_000, match: Callable[[Event], bool] | None = None
    ) -> Iterator[MemoryObjectReceiveStream[Delivery]]:
        """A bounded stream of events (those `match` accepts) and ConnectionNotices.

        Overflow policy: the reader never waits for a slow subscriber (that would stall every
        call's actions and make Asterisk drop us); an event that finds the buffer full is dropped
        for that subscriber only, counted in `dropped_events` and logged.
        """
        send, receive = anyio.create_memory_object_stream[Delivery](capacity)
        sub = _Subscriber(send, match)
        self._subscribers.append(sub)
        try:
            with receive:
                yield receive
        finally:
            self._subscribers.remove(sub)
            send.close()

    @property
    def dropped_events(self) -> int:
        return sum(s.dropped for s in self._subscribers)

    def _publish(self, item: Delivery) -> None:
        for sub in self._subscribers:
            if isinstance(item, Event) and sub.match is not None and not sub.match(item):
                continue
            try:
                sub.send.send_nowait(item)
            except anyio.WouldBlock:
                sub.dropped += 1
                if sub.dropped == 1 or sub.dropped % 1000 == 0:
                    log.warning("AMI subscriber full: %d events dropped so far", sub.dropped)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                pass  # the subscriber is leaving; its finally removes it

    # ---- connection lifetime -----------------------------------------------------------------

    async def _supervise(self, conn: Connection) -> None:
        while True:
            try:
                reason = await self._serve(conn)
            finally:
                self._conn = None
                self._connected = anyio.Event()
                conn.fail_pending(AmiConnectionError(
                    "AMI connection lost before Asterisk answered; not re-sent"
                ))  # fmt: skip
                await conn.aclose()
            log.warning("AMI connection %d lost: %s; reconnecting", conn.number, reason)
            self._publish(ConnectionNotice("lost", conn.number, reason))
            conn = await self._reconnect(conn.number + 1)
            self.reconnects += 1
            self._use(conn)
            self._publish(ConnectionNotice("connected", conn.number))

    def _use(self, conn: Connection) -> None:
        self._conn = conn
        self._connected.set()

    async def _serve(self, conn: Connection) -> str:
        """Read and keep alive until the connection fails; returns why it ended."""
        reason = ["cancelled"]
        async with anyio.create_task_group() as tg:

            def ended(why: str) -> None:
                reason[0] = why
                tg.cancel_scope.cancel()

            tg.start_soon(self._read_loop, conn, ended)
            tg.start_soon(self._ping_loop, conn, ended)
        return reason[0]

    async def _read_loop(self, conn: Connection, ended: Callable[[str], object]) -> None:
        try:
            while True:
                self._dispatch(conn, await conn.read())
        except AmiError as exc:
            ended(str(exc))

    async def _ping_loop(self, conn: Connection, ended: Callable[[str], object]) -> None:
        while True:
            await anyio.sleep(self.config.ping_interval)
            try:
                with anyio.fail_after(self.config.ping_timeout):
                    pending = Pending()
                    aid = f"{self._prefix}-ping-{next(self._ids)}"
                    conn.pending[aid] = pending
                    try:
                        await conn.write(Action("Ping"), aid)
                        await pending.done.wait()
                    finally:
                        conn.pending.pop(aid, None)
            except TimeoutError:
                ended(f"no answer to Ping within {self.config.ping_timeout:g} s")
                return
            except AmiError as exc:
                ended(str(exc))
                return

    def _dispatch(self, conn: Connection, message: Message) -> None:
        aid = message.action_id
        waiter = conn.pending.get(aid) if aid is not None else None
        if isinstance(message, Response):
            if waiter is not None and not waiter.done.is_set():
                waiter.response = message
                waiter.done.set()
            return
        assert isinstance(message, Event)
        if waiter is not None and waiter.collect_until is not None:
            if message.name.lower() == waiter.collect_until:
                waiter.list_done.set()
                conn.pending.pop(aid or "", None)
            else:
                waiter.list_events.append(message)
            return
        self._publish(message)

    async def _reconnect(self, number: int) -> Connection:
        c = self.config
        delay = c.reconnect_initial
        last = "no attempt"
        with anyio.move_on_after(c.give_up_after):
            while True:
                try:
                    return await open_connection(
                        c.host, c.port, c.username, c.secret, c.connect_timeout, number
                    )
                except AmiAuthError:
                    raise
                except AmiError as exc:
                    last = str(exc)
                await anyio.sleep(delay * random.uniform(0.8, 1.2))  # jitter: not in lockstep
                delay = min(delay * 2, c.reconnect_max)
        raise AmiConnectionError(
            f"could not reconnect to AMI at {c.host}:{c.port} for {c.give_up_after:g} s "
            f"(last error: {last}); check that Asterisk is running"
        )


def _lone_error(group: BaseExceptionGroup[BaseException]) -> AmiError | None:
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        item = pending.pop()
        if isinstance(item, BaseExceptionGroup):
            pending.extend(item.exceptions)
        else:
            leaves.append(item)
    if len(leaves) == 1 and isinstance(leaves[0], AmiError):
        return leaves[0]
    return None
