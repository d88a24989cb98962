"""Simulated customers answer the robot's confirmation questions as their persona implies.

Two halves: what each persona says to each of a script's confirmation questions means, to the
script's own dialog engine, the yes or no the persona stands for (typed, every bundled script);
and over the in-process line a customer knows such a question by its sound and answers it
without using up the replies it gives the robot's other prompts (real espeak-ng speech)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from asr_models import Pcm
from asr_models.phoneline import Line
from dialogs import DialogEngine, Utterance, load_script
from dialogs.script import Script, render_template
from dialogs.tts import PromptCache
from orchestrator.prompt_audio import prompt_pcm
from orchestrator.runtime import prompt_cache, question_book
from orchestrator.settings import load_settings
from telephony.sim import QuestionBook, SimBackend, load_personas
from telephony.sim.questions import speech_flags
from tests.dialogs.canon import CANON, SCRIPTS, VARS
from tests.telephony.conftest import Speak
from tests.telephony.test_sim_conversation import PHONE, PROMPT, answered, say, start

LANGUAGE = {"ko-dormant-deposit": "ko", "cmn-dormant-deposit": "cmn",
            "en-dormant-deposit": "en-us"}  # fmt: skip
ANSWERING = ["interested", "not_interested", "busy_call_me_later", "asks_who_then_interested",
             "opt_out", "interrupts"]  # fmt: skip


def asking(script: Script, outcome: str) -> DialogEngine:
    """An engine asking its confirmation question for `outcome`: a canonical answer that leads
    there, heard with doubt, in the first state where one does."""
    for state in script.states:
        if script.is_terminal(state):
            continue
        for intent, route in script.routes(state).items():
            target = route.goto
            if target is None or script.states[target].outcome != outcome:
                continue
            if intent not in CANON[script.name]:
                continue
            engine = DialogEngine(script, VARS[script.name])
            engine.start(0.0, at=state)
            engine.handle(Utterance(CANON[script.name][intent], 1.0, 1.0, doubtful=True))
            if engine.confirming is not None and not engine.finished:
                return engine
    raise AssertionError(f"{script.name}: no way to be asked to confirm {outcome}")


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_persona_answers_every_confirmation_as_it_means_it(name: str) -> None:
    script = load_script(name)
    language = LANGUAGE[name]
    personas = load_personas()
    for persona_name in ANSWERING:
        persona = personas[persona_name]
        for outcome in script.model.confirm:
            answer = persona.confirm_reply(outcome, language)
            assert answer, (persona_name, outcome, language)
            engine = asking(script, outcome)
            engine.handle(Utterance(answer, 1.0, 2.0))
            taken = engine.finished and engine.outcome == outcome
            wanted = persona.confirms[outcome] == "yes"
            assert taken == wanted, (persona_name, outcome, answer, engine.outcome)
    # What the personas stand for, not only that they agree with themselves.
    assert personas["interested"].confirms["transfer"] == "yes"
    assert personas["opt_out"].confirms["opt_out"] == "yes"
    assert personas["busy_call_me_later"].confirms["callback"] == "yes"
    assert all(personas[p].confirms["opt_out"] == "no" for p in ANSWERING if p != "opt_out")


YES_OR_NO = " 네 또는 아니요로 말씀해 주세요."
CONFIRM = {"transfer": "지금 상담원에게 연결해 드릴까요?" + YES_OR_NO,
           "callback": "나중에 다시 전화드리기를 원하시나요?" + YES_OR_NO,
           "opt_out": "다시는 전화드리지 않기를 원하시나요?" + YES_OR_NO}  # fmt: skip


@pytest.mark.anyio
async def test_a_customer_knows_a_confirmation_by_its_sound_and_keeps_its_replies(
    speak: Speak,
) -> None:
    book = QuestionBook({k: [await speak(t, "ko")] for k, t in CONFIRM.items()})
    sim = SimBackend({PHONE: "interested"}, speak, speed=4.0, seed=7, questions=book)
    async with sim.running(), anyio.create_task_group() as tg:
        call = await answered(sim, "interested")
        ear = await start(tg, call)
        await ear.wait_call_time(0.5)
        for text in (PROMPT, CONFIRM["transfer"], CONFIRM["callback"], "관심 있으신가요?"):
            await say(call, ear, speak, text)
            await ear.wait_call_time(3.0)
        await call.hangup()
        tg.cancel_scope.cancel()
    said = [(s.text, s.answers) for s in call.record.said]
    # The identity question and the offer get the persona's replies in order (네, 좋아요); the
    # two confirmations in between are answered as an interested customer means them.
    assert said == [("네", None), ("네", "transfer"), ("아니요", "callback"), ("좋아요", None)]
    assert [h.question for h in call.record.heard] == [None, "transfer", "callback", None]


@pytest.mark.anyio
async def test_the_opt_out_customer_confirms_its_opt_out_then_hangs_up(speak: Speak) -> None:
    book = QuestionBook({k: [await speak(t, "ko")] for k, t in CONFIRM.items()})
    sim = SimBackend({PHONE: "opt_out"}, speak, speed=4.0, seed=7, questions=book)
    async with sim.running(), anyio.create_task_group() as tg:
        call = await answered(sim, "opt_out")
        ear = await start(tg, call)
        await ear.wait_call_time(0.5)
        for text in (PROMPT, CONFIRM["opt_out"], "알겠습니다. 앞으로 전화드리지 않겠습니다."):
            await say(call, ear, speak, text)
            await ear.wait_call_time(3.0)
        with anyio.fail_after(30):
            await call.finished()
        tg.cancel_scope.cancel()
    said = [(s.text, s.answers) for s in call.record.said]
    assert said == [("전화하지 마세요", None), ("네", "opt_out")]
    assert call.record.hung_up


@pytest.mark.anyio
async def test_every_prompt_of_the_korean_script_is_known_as_itself_or_as_none(
    tmp_path: Path,
) -> None:
    # The book as a run builds it (the script's voice, orchestrator.runtime.question_book); each
    # prompt as the robot says it, and after the G.711 line of the sandbox's SIP leg.
    script = load_script("ko-dormant-deposit")
    voices = _Voices(script, prompt_cache(load_settings(home=tmp_path)))
    book = await question_book(voices)
    assert book.kinds == set(script.model.confirm)
    values = script.resolve_variables(VARS[script.name])
    for p in script.all_prompts():
        text = render_template(p.template, values)
        pcm, _ = await prompt_pcm(voices.prompts, script, p.prompt_id, text, values)
        over_line = Line("ulaw", None).carry(Pcm(pcm, 8000)).data
        want = p.prompt_id.split(".")[1] if p.prompt_id.startswith("confirm.") else None
        for audio in (pcm, over_line):
            assert book.recognise(speech_flags(audio)) == want, p.prompt_id


@dataclass
class _Voices:
    script: Script
    prompts: PromptCache
