"""The `sim` telephony backend: calls placed to simulated customers, in process, no PBX.

`originate` looks up the number's persona, and a task in the backend's task group plays the dial
(ringing for the persona's `ring_s`, then answer / busy / no answer / failure), and on answer joins
the robot and a `SimulatedCustomer` by a `MediaLink`. All durations are call time divided by
`speed`. The speech synthesiser is injected (`speak(text, language) -> 8 kHz s16le PCM`): the
telephony package never imports the dialogs package that owns TTS.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager

import anyio
from anyio.abc import TaskGroup

from telephony.base import (
    AmdStatus,
    CallHandle,
    DialOutcome,
    DialResult,
    Media,
    OriginateRequest,
    TelephonyBackend,
)
from telephony.sim.customer import CustomerRecord, SimulatedCustomer, Speak
from telephony.sim.link import MediaLink
from telephony.sim.personas import DialBehaviour, Persona, SimError, load_personas
from telephony.sim.questions import QuestionBook

log = logging.getLogger(__name__)

PersonaSource = Callable[[str], Persona] | Mapping[str, str]

# What the PBX would report, so that sim and asterisk outcomes read alike in reports.
_DIAL: dict[DialBehaviour, tuple[DialOutcome, str | None]] = {
    DialBehaviour.ANSWER: (DialOutcome.ANSWERED, None),
    DialBehaviour.BUSY: (DialOutcome.BUSY, "17 User busy (SIP 486)"),
    DialBehaviour.NO_ANSWER: (DialOutcome.NO_ANSWER, "19 No answer"),
    DialBehaviour.CONGESTION: (DialOutcome.CONGESTION, "34 Circuit/channel congestion (SIP 503)"),
    DialBehaviour.FAILED: (DialOutcome.FAILED, "1 Unallocated number (SIP 404)"),
}


class SimCall:
    """A simulated call: implements `telephony.base.CallHandle`."""

    def __init__(self, request: OriginateRequest, persona: Persona, customer: SimulatedCustomer,
                 speed: float) -> None:
        self.attempt_id = request.attempt_id
        self.request = request
        self.persona = persona
        self.customer = customer
        self.transferred_to: str | None = None
        self.link: MediaLink | None = None
        self._speed = speed
        self._result: DialResult | None = None
        self._decided = anyio.Event()
        self._dial_scope = anyio.CancelScope()

    @property
    def record(self) -> CustomerRecord:
        """What the customer heard and said (for tests and rehearsal reports)."""
        return self.customer.record

    async def result(self) -> DialResult:
        bound = (max(self.persona.ring_s, self.request.ring_timeout_s) + 5.0) / self._speed
        with anyio.move_on_after(bound):
            await self._decided.wait()
        if self._result is None:
            return DialResult(DialOutcome.UNKNOWN, detail=f"no outcome within {bound:g} s")
        return self._result

    @property
    def media(self) -> Media:
        if self.link is None:
            outcome = self._result.outcome if self._result else "not decided yet"
            raise SimError(f"call {self.attempt_id} has no media: it was not answered ({outcome})")
        return self.link.robot

    async def transfer(self, queue: str) -> None:
        self.transferred_to = queue
        if self.link is not None:
            self.link.close("transfer")

    async def finished(self) -> None:
        """The simulation has no agent leg: a transferred call ends with our side of it."""

    async def hangup(self) -> None:
        if self.link is not None:
            self.link.close("robot")
        else:
            self._dial_scope.cancel()

    async def run(self) -> None:
        """The call's life; runs in the backend's task group and never raises into it."""
        try:
            await self._dial()
            if self.link is not None:
                await self._converse(self.link)
        except Exception:
            log.exception("simulated call %s failed", self.attempt_id)
            if self.link is not None:
                self.link.close("error")
        finally:
            self._decide(DialResult(DialOutcome.FAILED, detail="the simulated call ended early"))

    async def _dial(self) -> None:
        outcome, cause = _DIAL[self.persona.dial]
        ring = self.persona.ring_s
        if outcome is DialOutcome.NO_ANSWER or ring > self.request.ring_timeout_s:
            # Nobody picks up before the dialler's ring timeout: that is a no-answer.
            outcome, cause = _DIAL[DialBehaviour.NO_ANSWER]
            ring = self.request.ring_timeout_s
        with self._dial_scope:
            await anyio.sleep(ring / self._speed)
        if self._dial_scope.cancelled_caught:
            self._decide(DialResult(DialOutcome.FAILED, detail="hung up by us before an answer"))
            return
        amd = self.persona.amd if outcome is DialOutcome.ANSWERED else AmdStatus.NONE
        if outcome is DialOutcome.ANSWERED:
            self.link = MediaLink(self._speed)
        detail = f"persona {self.persona.name}"
        answered = anyio.current_time() if self.link is not None else None
        self._decide(DialResult(outcome, amd=amd, cause=cause, detail=detail, answered_at=answered))

    async def _converse(self, link: MediaLink) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(link.run)
            await self.customer.converse(link.customer)
            # The customer is done: either the line closed, or it hung up, or it has nothing
            # more to hear. Hang up its end so the robot's inbound ends too.
            link.close(link.hung_up_by or "customer")
            tg.cancel_scope.cancel()

    def _decide(self, result: DialResult) -> None:
        if self._result is None:
            self._result = result
            self._decided.set()


class SimBackend:
    """`telephony.base.TelephonyBackend` over simulated customers."""

    name = "sim"

    def __init__(
        self,
        personas: PersonaSource,
        speak: Speak,
        speed: float = 1.0,
        seed: int | str = 0,
        *,
        language: str = "ko",
        catalogue: Mapping[str, Persona] | None = None,
        questions: QuestionBook | None = None,
    ) -> None:
        """`questions`: the robot's confirmation questions, for customers to know them by."""
        if not speed > 0:
            raise SimError(f"speed must be positive, not {speed}")
        self.speed = speed
        self.seed = seed
        self.language = language
        self._speak = _cached(speak)
        self._catalogue = dict(catalogue) if catalogue is not None else None
        self._personas = personas
        self._questions = questions
        self._tg: TaskGroup | None = None
        self.calls: list[SimCall] = []

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tg:
            self._tg = tg
            try:
                yield
            finally:
                self._tg = None
                tg.cancel_scope.cancel()

    async def originate(self, request: OriginateRequest) -> SimCall:
        if self._tg is None:
            raise SimError("use the sim backend inside `async with backend.running():`")
        persona = self.persona_for(request.phone)
        language = request.variables.get("language", self.language)
        customer = SimulatedCustomer(
            persona, language, self._speak, self.speed, seed=f"{self.seed}:{request.attempt_id}",
            questions=self._questions,
        )
        call = SimCall(request, persona, customer, self.speed)
        self.calls.append(call)
        self._tg.start_soon(call.run)
        return call

    def persona_for(self, phone: str) -> Persona:
        if callable(self._personas):
            return self._personas(phone)
        name = self._personas.get(phone) or self._personas.get(phone.removeprefix("+"))
        if name is None:
            raise SimError(f"no simulated persona for {phone}; add the number to the persona map")
        catalogue = self._catalogue if self._catalogue is not None else _bundled()
        if name not in catalogue:
            raise SimError(f"unknown persona {name!r} for {phone}; known: {sorted(catalogue)}")
        return catalogue[name]


def personas_by_hash(
    names: Sequence[str] | None = None, catalogue: Mapping[str, Persona] | None = None
) -> Callable[[str], Persona]:
    """A stable persona per number (a hash of its digits): for demos over imported lists."""
    catalogue = dict(catalogue) if catalogue is not None else _bundled()
    chosen = list(names) if names is not None else sorted(catalogue)
    missing = [n for n in chosen if n not in catalogue]
    if missing or not chosen:
        raise SimError(f"unknown personas {missing}; known: {sorted(catalogue)}")

    def pick(phone: str) -> Persona:
        digest = hashlib.sha256(phone.removeprefix("+").encode()).digest()
        return catalogue[chosen[int.from_bytes(digest[:4], "big") % len(chosen)]]

    return pick


def _bundled() -> dict[str, Persona]:
    return load_personas()


def _cached(speak: Speak) -> Speak:
    cache: dict[tuple[str, str], bytes] = {}

    async def cached(text: str, language: str) -> bytes:
        if (text, language) not in cache:
            cache[(text, language)] = await speak(text, language)
        return cache[(text, language)]

    return cached


def _implements_backend(backend: SimBackend, call: SimCall) -> tuple[TelephonyBackend, CallHandle]:
    return backend, call  # mypy checks here that both satisfy the telephony interface
