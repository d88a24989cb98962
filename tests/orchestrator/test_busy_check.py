"""A busy free check is not waited for, and not skipped either: a clear costly hearing that finds
the worker's checks all in use gets the dialog's confirmation question, and nothing costly is
taken without the check or the customer's yes (docs/speech.md, "When the check is busy").

Real parts: the bundled Korean vosk model in grammar mode, the script's voice, the call session
over the in-process line, the bundled personas (their answers to confirmations included). The
one peer made for the test is a checker kept busy on purpose: another call's free check that
cannot finish until the test lets it (a real decode of a real costly hearing, held at its
first chunk), which is what a worker whose customers all reach the offer together looks like."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import anyio
import pytest

from asr_models.hearing import Hearing
from campaigns.db import open_database
from dialogs import DialogEngine
from orchestrator.hearing_check import CheckGate, checked_hearing
from orchestrator.runtime import build_services, question_book, speaker
from orchestrator.session import CallSession, Conversation, Services, SessionConfig
from orchestrator.settings import load_settings
from telephony.sim import MediaLink, Persona, SimulatedCustomer, load_personas
from tests.orchestrator.slow_asr import HeldChecker

pytestmark = pytest.mark.anyio
SPEED = 2.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


Call = tuple[Conversation, Services, SimulatedCustomer]


async def busy_call(tmp_path: Path, persona: Persona, at_once: int = 1,
                    occupied: bool = True) -> Call:  # fmt: skip
    """One answered call of `persona` while another call's check holds the only place."""
    settings = load_settings(home=tmp_path, recordings=False)
    db = open_database(settings.db_url)
    services: Services = await build_services(settings, db, "ko-dormant-deposit",
                                              SessionConfig(speed=SPEED, checks_at_once=at_once))
    gate = services.checks
    assert isinstance(gate, CheckGate)
    book = await question_book(services)
    speak = speaker(services)
    held = HeldChecker(services.asr)
    # The other call: a clear 네 at the offer (a transfer), being checked by the busy checker.
    other = DialogEngine(services.script, {"name": "이영희"})
    other.start(0.0, at="offer")
    other_heard = Hearing("네", 1.0, False, audio=await speak("네", "ko"))
    link = MediaLink(speed=SPEED)
    checked: list[Hearing] = []
    other_done = anyio.Event()

    async def other_check() -> None:
        checked.append(await checked_hearing(held, other_heard, other, gate))
        other_done.set()

    async with anyio.create_task_group() as tg:
        if occupied:
            tg.start_soon(other_check)
            await held.started.wait()
        tg.start_soon(link.run)
        customer = SimulatedCustomer(persona, "ko", speak, speed=SPEED, questions=book)
        tg.start_soon(customer.converse, link.customer)
        session = CallSession(services, "a1", "+821012345678", {"name": "김민수"}, link.robot)
        with anyio.fail_after(180):
            conv = await session.run()
        link.close("robot")
        held.go.set()  # the other call's check may finish now
        if occupied:
            with anyio.fail_after(60):
                await other_done.wait()
            assert len(checked) == 1  # the other call's check did run, once the test let it
        tg.cancel_scope.cancel()
    db.dispose()
    return conv, services, customer


def asked(conv: Conversation) -> list[str | None]:
    return [t.prompt_id for t in conv.turns if t.speaker == "robot"]


async def test_a_busy_check_gets_the_confirmation_and_the_interested_customer_says_yes(
    tmp_path: Path,
) -> None:
    conv, services, customer = await busy_call(tmp_path, load_personas()["interested"])
    prompts = asked(conv)
    # The offer's clear 네 would transfer at once; with the checker busy it was not checked
    # and not taken: the transfer question came first, and the customer's yes transferred.
    assert prompts[:3] == ["greeting", "reason", "offer"], prompts
    assert "confirm.transfer" in prompts, prompts
    assert prompts.index("confirm.transfer") < prompts.index("close_transfer"), prompts
    assert conv.outcome == "transfer" and conv.transfer_queue, (conv.outcome, prompts)
    assert [s.answers for s in customer.record.said] == [None, None, None, "transfer"]
    gate = services.checks
    assert gate is not None and gate.confirmed == 1 and gate.checked == 1  # the other's only
    assert gate.in_flight == 0


async def test_a_busy_check_never_takes_the_outcome_unconfirmed(tmp_path: Path) -> None:
    # A customer who does not answer the question (the persona's replies only, no confirms):
    # the transfer the offer's 네 would have made is never made without the check or a yes.
    quiet = replace(load_personas()["interested"], confirms={})
    conv, _, _ = await busy_call(tmp_path, quiet)
    prompts = asked(conv)
    assert "confirm.transfer" in prompts, prompts
    assert conv.transfer_queue is None and conv.outcome != "transfer", (conv.outcome, prompts)


async def test_a_clear_opt_out_with_the_checker_busy_is_asked_and_the_yes_blocks(
    tmp_path: Path,
) -> None:
    conv, _, customer = await busy_call(tmp_path, load_personas()["opt_out"])
    prompts = asked(conv)
    assert prompts[:2] == ["greeting", "confirm.opt_out"], prompts
    assert conv.opt_out and conv.outcome == "opt_out", (conv.outcome, prompts)
    assert [s.answers for s in customer.record.said][:2] == [None, "opt_out"]


async def test_no_checks_at_once_confirms_every_costly_hearing(tmp_path: Path) -> None:
    # checks_at_once = 0: no check is ever run; the interested customer is asked and says yes.
    conv, services, _ = await busy_call(tmp_path, load_personas()["interested"], at_once=0,
                                        occupied=False)  # fmt: skip
    assert "confirm.transfer" in asked(conv) and conv.outcome == "transfer", asked(conv)
    assert services.checks is not None and services.checks.checked == 0
