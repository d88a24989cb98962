"""The `asterisk` telephony backend: AMI to place calls and learn their fate, AudioSocket for audio.

Inside `running()` one task group owns the AMI client, the robot-side AudioSocket server, the event
router, one tracker per call, and (for the sandbox) the customer-side AudioSocket server that puts a
simulated customer on every call arriving in the `customers-sim` context.

Never dial twice: an Originate whose AMI connection dropped before Asterisk answered is not sent
again; after reconnecting, the router asks Asterisk which channels exist (CoreShowChannels) and an
attempt with no channel and no outcome becomes DialOutcome.UNKNOWN.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import anyio
from anyio.abc import TaskGroup

from telephony.ami import (
    AmiActionError,
    AmiClient,
    AmiConfig,
    AmiConnectionError,
    AmiError,
    AmiTimeout,
    ConnectionNotice,
    Delivery,
    Event,
    actions,
)
from telephony.asterisk.call import AsteriskCall
from telephony.asterisk.errors import AsteriskError
from telephony.asterisk.outcome import classify_failure
from telephony.audiosocket import (
    AcceptTimeout,
    AudioSocketCall,
    AudioSocketError,
    AudioSocketServer,
    number_from_uuid,
)
from telephony.base import DialOutcome, DialResult, OriginateRequest
from telephony.sandbox import ROBOT_CONTEXT

# Both defined by telephony/sandbox/templates/extensions.conf.tmpl.
SANDBOX_CUSTOMERS_CONTEXT = "customers-sim"
SANDBOX_GLOBAL = "OUTREACH_CUSTOMER_AUDIOSOCKET"

log = logging.getLogger("telephony.asterisk")

CustomerHandler = Callable[[str, AudioSocketCall], Awaitable[None]]  # (E.164 number, its audio)
_EVENTS = frozenset({"OriginateResponse", "DialEnd", "Hangup", "UserEvent"})


@dataclass(frozen=True)
class AsteriskConfig:
    ami: AmiConfig
    audiosocket_host: str = "127.0.0.1"
    audiosocket_port: int = 9092  # 0: any free port (tests)
    audiosocket_address: str | None = None  # what Asterisk connects to; default host:bound port
    audiosocket_peers: tuple[str, ...] = ("127.0.0.1", "::1")  # who may connect (the PBX)
    audiosocket_max_connections: int = 200  # open at once, per server
    channel_template: str = "PJSIP/{digits}@simtrunk"  # {digits}: the number without "+"
    context: str = ROBOT_CONTEXT
    amd: bool = True
    amd_initial_silence_ms: int | None = None  # AMD()'s initialSilence; None: amd.conf's
    media_timeout_s: float = 15.0  # answer -> AudioSocket connection (AMD alone takes up to 5 s)
    cause_grace_s: float = 2.0  # after a failure, how long to wait for the Hangup's cause
    # With a customer handler: False = only if the PBX is the sandbox (else none, quietly);
    # True = the run is refused unless it is (simulated customers on a real PBX were asked for).
    customers_required: bool = False


class AsteriskBackend:
    """`telephony.base.TelephonyBackend` over a real Asterisk (the user's PBX or the sandbox)."""

    name = "asterisk"

    def __init__(self, config: AsteriskConfig, customers: CustomerHandler | None = None) -> None:
        self.config = config
        self._customers = customers
        self._calls: dict[str, AsteriskCall] = {}
        self._originated: set[str] = set()
        self._ami: AmiClient | None = None
        self._server: AudioSocketServer | None = None
        self._tg: TaskGroup | None = None
        self.customer_server: AudioSocketServer | None = None

    @property
    def ami(self) -> AmiClient:
        if self._ami is None:
            raise AsteriskError("use the backend inside `async with backend.running():`")
        return self._ami

    @property
    def robot_server(self) -> AudioSocketServer:
        if self._server is None:
            raise AsteriskError("use the backend inside `async with backend.running():`")
        return self._server

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        c = self.config
        async with AsyncExitStack() as stack:
            ami = await stack.enter_async_context(AmiClient(c.ami).running())
            customers = self._customers
            if customers is not None and not await self._customers_wanted(ami):
                customers = None
            server = AudioSocketServer(c.audiosocket_host, c.audiosocket_port,
                                       peers=c.audiosocket_peers,
                                       max_connections=c.audiosocket_max_connections)  # fmt: skip
            await stack.enter_async_context(server.running())
            events = stack.enter_context(ami.subscribe(match=lambda e: e.name in _EVENTS))
            tg = await stack.enter_async_context(anyio.create_task_group())
            self._ami, self._server, self._tg = ami, server, tg
            try:
                tg.start_soon(self._route, events)
                if customers is not None:
                    await self._start_customers(stack, tg, customers)
                yield
            finally:
                tg.cancel_scope.cancel()
                self._ami = self._server = self._tg = None
                self.customer_server = None

    async def originate(self, request: OriginateRequest) -> AsteriskCall:
        attempt = _canonical(request.attempt_id)
        if attempt in self._originated:
            raise AsteriskError(f"attempt {attempt} was already originated; never dialled twice")
        if self._tg is None:
            raise AsteriskError("use the backend inside `async with backend.running():`")
        c = self.config
        deadline = request.ring_timeout_s + c.media_timeout_s + c.cause_grace_s + 5.0
        call = AsteriskCall(attempt, lambda kind, f: self._control(attempt, kind, f), deadline)
        self._originated.add(attempt)
        self._calls[attempt] = call
        address = c.audiosocket_address or f"{c.audiosocket_host}:{self.robot_server.port}"
        silence = {"OUTREACH_AMD_SILENCE": str(c.amd_initial_silence_ms)
                   } if c.amd_initial_silence_ms else {}  # fmt: skip
        variables = {
            "OUTREACH_AMD": "yes" if c.amd else "no",  # a request may override this one
            **silence,
            **request.variables,
            "OUTREACH_ATTEMPT": attempt,
            "OUTREACH_AUDIOSOCKET": address,
        }
        call.amd_expected = variables["OUTREACH_AMD"] != "no"
        digits = request.phone.removeprefix("+")
        action = actions.originate(
            c.channel_template.format(digits=digits, phone=request.phone), channel_id=attempt,
            context=c.context, variables=variables, caller_id=request.caller_id,
            timeout_s=request.ring_timeout_s,
        )  # fmt: skip
        self._tg.start_soon(self._track, call, deadline)
        try:
            await self.ami.send(action, action_id=attempt)
            call.sent_on = self.ami.connection_number
        except AmiActionError as exc:
            call.decide(DialResult(DialOutcome.FAILED, detail=str(exc)))
        except (AmiConnectionError, AmiTimeout) as exc:
            # Asterisk may or may not have queued it: reconcile, never send it again.
            call.send_uncertain = True
            log.warning("Originate for %s: fate unknown (%s); reconciling", attempt, exc)
        return call

    # ---- tracking ----------------------------------------------------------------------------

    async def _track(self, call: AsteriskCall, deadline: float) -> None:
        with anyio.move_on_after(deadline):
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._await_media, call, deadline, tg)
                tg.start_soon(self._await_events, call, tg)
        if not call.decided:
            call.decide(DialResult(DialOutcome.UNKNOWN, detail="no outcome within the deadline"))
        if call.hung_up.is_set():
            self._calls.pop(call.attempt_id, None)

    async def _await_media(self, call: AsteriskCall, deadline: float, tg: TaskGroup) -> None:
        try:
            audio = await self.robot_server.accept(call.attempt_id, timeout=deadline)
        except AcceptTimeout:
            return
        call.audio = audio
        if call.amd_expected and not call.amd_seen.is_set():
            with anyio.move_on_after(1.0):  # the UserEvent precedes AudioSocket in the dialplan
                await call.amd_seen.wait()
        answered = call.answered_at if call.answered_at is not None else anyio.current_time()
        call.decide(DialResult(DialOutcome.ANSWERED, amd=call.amd, amd_cause=call.amd_cause,
                               answered_at=answered))  # fmt: skip
        tg.cancel_scope.cancel()

    async def _await_events(self, call: AsteriskCall, tg: TaskGroup) -> None:
        await call.ended.wait()
        grace = self.config.cause_grace_s
        if call.answered_by_pbx:
            await anyio.sleep(grace)  # its AudioSocket connection may still be on its way
            call.decide(DialResult(DialOutcome.ANSWERED, amd=call.amd, amd_cause=call.amd_cause,
                                   detail="hung up before the audio connected"))  # fmt: skip
        else:
            with anyio.move_on_after(grace):
                await call.hung_up.wait()  # the Hangup carries the cause
            call.decide(classify_failure(call.evidence))
        tg.cancel_scope.cancel()

    async def _route(self, events: anyio.abc.ObjectReceiveStream[Delivery]) -> None:
        async for item in events:
            if isinstance(item, ConnectionNotice):
                if item.state == "connected" and self._tg is not None:
                    self._tg.start_soon(self._reconcile, item.connection)
                    if self.customer_server is not None and item.connection > 1:
                        self._tg.start_soon(self._announce_customers)
                continue
            call = self._calls.get(_attempt_of(item) or "")
            if call is not None:
                call.note(item)
                if item.name == "Hangup" and call.decided:
                    self._calls.pop(call.attempt_id, None)

    async def _reconcile(self, connection: int) -> None:
        """After a reconnect: an undecided attempt placed before it with no channel left is
        UNKNOWN (missed events cannot be replayed); one whose channel still exists keeps waiting.
        Attempts placed on the new connection are left alone: their channel may not exist yet."""
        undecided = [
            c for c in self._calls.values()
            if not c.decided and c.audio is None
            and (c.send_uncertain or (c.sent_on is not None and c.sent_on < connection))
        ]  # fmt: skip
        if not undecided:
            return
        try:
            listing = await self.ami.send_list(
                actions.core_show_channels(), "CoreShowChannelsComplete"
            )
        except AmiError as exc:
            log.warning("reconciliation after reconnect failed: %s", exc)
            return
        alive = {e.get("Uniqueid") for e in listing}
        for call in undecided:
            if call.attempt_id in alive or call.decided:
                continue
            if call.answered_by_pbx:
                continue  # its tracker decides (answered; audio may still be connecting)
            call.decide(DialResult(
                DialOutcome.UNKNOWN,
                detail="the AMI connection dropped before the outcome was reported and the call "
                       "no longer exists; it was not dialled again",
            ))  # fmt: skip

    async def _control(self, attempt: str, kind: str, fields: dict[str, str]) -> None:
        if kind == "setvar":
            action = actions.setvar(fields["Variable"], fields["Value"], channel=attempt)
        elif kind == "hangup":
            action = actions.hangup(attempt)
        else:
            raise AsteriskError(f"unknown call control {kind!r}")
        await self.ami.send(action)

    # ---- the sandbox's customer side ---------------------------------------------------------

    async def _customers_wanted(self, ami: AmiClient) -> bool:
        """Simulated customers answer only in the sandbox: a real PBX gets no second listener
        and no global variable. The sandbox is told by its `customers-sim` context."""
        where = f"{self.config.ami.host}:{self.config.ami.port}"
        found, why = await _is_sandbox(ami)
        if found:
            return True
        if self.config.customers_required:
            raise AsteriskError(
                f"simulated customers were asked for (setting asterisk_simulated_customers), but "
                f"the PBX at {where} is not the outreach sandbox ({why}); they answer only in "
                "the sandbox: unset OUTREACH_ASTERISK_SIMULATED_CUSTOMERS for a real PBX"
            )
        log.info("the PBX at %s is not the sandbox (%s): no simulated customers", where, why)
        return False

    async def _start_customers(
        self, stack: AsyncExitStack, tg: TaskGroup, handler: CustomerHandler
    ) -> None:
        c = self.config
        server = AudioSocketServer(c.audiosocket_host, 0, peers=c.audiosocket_peers,
                                   max_connections=c.audiosocket_max_connections)  # fmt: skip
        await stack.enter_async_context(server.running())
        self.customer_server = server
        # A global dialplan variable: the customers' context sends its AudioSocket calls here.
        address = f"{self.config.audiosocket_host}:{server.port}"
        await self.ami.send(actions.setvar(SANDBOX_GLOBAL, address))
        tg.start_soon(self._serve_customers, server, tg, handler)

    async def _announce_customers(self) -> None:
        """Tell the sandbox again where its customers answer after a reconnect: a restarted
        Asterisk has forgotten the global, and its customers' calls found no one to answer."""
        if self.customer_server is None:
            return
        address = f"{self.config.audiosocket_host}:{self.customer_server.port}"
        try:
            await self.ami.send(actions.setvar(SANDBOX_GLOBAL, address))
        except (AmiConnectionError, AmiTimeout, AmiActionError) as exc:
            log.warning("could not tell the sandbox where its customers answer: %s", exc)

    async def _serve_customers(
        self, server: AudioSocketServer, tg: TaskGroup, handler: CustomerHandler
    ) -> None:
        while True:
            try:
                key, audio = await server.accept_any(timeout=3600)
            except AcceptTimeout:
                continue
            tg.start_soon(_run_customer, handler, key, audio)


async def _run_customer(handler: CustomerHandler, key: str, audio: AudioSocketCall) -> None:
    try:
        await handler("+" + number_from_uuid(key), audio)
    except AudioSocketError as exc:
        log.warning("customer call %s closed: %s", key, exc)
    except Exception:
        # A simulated customer's failure ends that call only, never the campaign.
        log.exception("simulated customer on %s failed", key)
    finally:
        await audio.hangup()


async def _is_sandbox(ami: AmiClient) -> tuple[bool, str]:
    """(is it, why not). ShowDialPlan (write `reporting`, the least permissions) finds the
    sandbox's customers context; a sandbox rendered before those permissions (write `system`,
    no `reporting`) denies it, and is then known by the global its dialplan defines (Getvar,
    write `call`)."""
    context = SANDBOX_CUSTOMERS_CONTEXT
    try:
        await ami.send_list(actions.show_dialplan(context), "ShowDialPlanComplete", within=5.0)
        return True, ""
    except AmiTimeout:
        return False, "ShowDialPlan was not answered"
    except AmiActionError as exc:
        if "permission denied" not in str(exc).lower():
            return False, f"it has no {context} context"
    try:
        reply = await ami.send(actions.getvar(SANDBOX_GLOBAL), within=5.0)
    except (AmiActionError, AmiTimeout) as exc:
        return False, f"ShowDialPlan was denied and Getvar failed: {exc}"
    if reply.get("Value"):
        return True, ""
    return False, f"ShowDialPlan was denied and it has no {SANDBOX_GLOBAL} global"


def _attempt_of(event: Event) -> str | None:
    name = event.name
    if name == "OriginateResponse":
        return event.get("ActionID")
    if name == "DialEnd":
        return event.get("DestUniqueid")
    if name == "Hangup":
        return event.get("Uniqueid")
    return event.get("Attempt")  # our UserEvents


def _canonical(attempt_id: str) -> str:
    try:
        return str(uuid.UUID(attempt_id))
    except ValueError:
        raise AsteriskError(
            f"attempt id {attempt_id!r} is not a UUID (it becomes the channel's Uniqueid and "
            "the AudioSocket UUID)"
        ) from None
