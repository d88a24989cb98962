"""Screening of everyday answers (issue 9): the quoted failures, confirmation of doubtful costly
outcomes, and the shipped corpora. Real engine, real tokenizers (kiwipiepy, jieba)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogs import (
    DialogEngine,
    EndCall,
    IntentRecognised,
    OptOut,
    Say,
    Silence,
    Transfer,
    Utterance,
    load_script,
)
from tests.dialogs.canon import VARS

CORPORA = Path(__file__).resolve().parents[1] / "data" / "corpora"


def engine_at(name: str, state: str) -> DialogEngine:
    engine = DialogEngine(load_script(name), VARS[name])
    engine.start(0.0, at=state)
    return engine


def answer(engine: DialogEngine, text: str, confidence: float = 0.95,
           doubtful: bool = False) -> list[object]:
    return list(engine.handle(Utterance(text, confidence, 1.0, doubtful)))


# Each phrase quoted in issue 9's typed bullet, with what must happen. Checked on the old matcher
# (main at 7d850ee, its classifier run on these texts in the same states): 그런 사람 없는데요 ->
# human, 以后不要再给我打电话了 -> not_interested, 안 바빠요 and "I'm not busy" -> later, and every
# other phrase here -> no_match.
@pytest.mark.parametrize(
    ("name", "state", "text", "intent", "outcome"),
    [
        ("ko-dormant-deposit", "greeting", "그런 사람 없는데요", "no", "wrong_person"),
        ("ko-dormant-deposit", "reason", "전화 그만하세요", "opt_out", "opt_out"),
        ("cmn-dormant-deposit", "reason", "以后不要再给我打电话了", "opt_out", "opt_out"),
        ("cmn-dormant-deposit", "offer", "别再给我打电话了", "opt_out", "opt_out"),
        ("en-dormant-deposit", "reason", "remove my number", "opt_out", "opt_out"),
    ],
)
def test_quoted_answers_end_the_call_as_the_customer_meant(
    name: str, state: str, text: str, intent: str, outcome: str
) -> None:
    engine = engine_at(name, state)
    commands = answer(engine, text)
    assert isinstance(commands[0], IntentRecognised) and commands[0].intent == intent
    assert engine.outcome == outcome
    assert (OptOut() in commands) == (outcome == "opt_out")
    assert not any(isinstance(c, Transfer) for c in commands)


# The held-out Mandarin opt-outs main missed (2026-12-04: 以后不许再打 became a callback, the
# others a reprompt or a callback question): other ways to say "don't" (不许, 莫, 但别) and the
# number as 号; with variants written beside them. The near-misses must stay what they were.
@pytest.mark.parametrize(
    ("state", "text"),
    [("qualify", "以后不许再打"), ("qualify", "莫打了"), ("offer", "好，但别再打来了"),
     ("offer", "把我的号删掉"), ("reason", "你们不许再打这个电话"), ("greeting", "莫再打来了"),
     ("offer", "可别再打了"), ("reason", "删了我的号吧"), ("offer", "千万别再打给我了")],
)
def test_other_ways_to_say_do_not_call_are_opt_outs(state: str, text: str) -> None:
    engine = engine_at("cmn-dormant-deposit", state)
    commands = answer(engine, text)
    assert engine.outcome == "opt_out" and OptOut() in commands, commands


@pytest.mark.parametrize(
    ("state", "text", "intent"),
    [("qualify", "莫得", "no"), ("reason", "莫名其妙", "no_match"),
     ("greeting", "说不准什么时候有空", "later"), ("offer", "别人的号码", "no_match")],
)
def test_words_that_only_look_like_do_not_call_are_not_opt_outs(
    state: str, text: str, intent: str
) -> None:
    engine = engine_at("cmn-dormant-deposit", state)
    commands = answer(engine, text)
    assert isinstance(commands[0], IntentRecognised) and commands[0].intent == intent
    assert OptOut() not in commands and engine.outcome != "opt_out"


@pytest.mark.parametrize(
    ("name", "text"),
    [("ko-dormant-deposit", "안 바빠요"), ("ko-dormant-deposit", "바쁘지 않아요"),
     ("en-dormant-deposit", "I'm not busy"), ("cmn-dormant-deposit", "我不忙")],
)
def test_not_busy_is_not_a_call_back(name: str, text: str) -> None:
    engine = engine_at(name, "offer")
    commands = answer(engine, text)
    assert engine.outcome is None and engine.state == "offer"
    assert isinstance(commands[0], IntentRecognised) and commands[0].intent != "later"


@pytest.mark.parametrize("text", ["바빠요", "바쁘거든요", "바빠서 나중에"])
def test_every_form_of_busy_reaches_the_lemma(text: str) -> None:
    engine = engine_at("ko-dormant-deposit", "offer")
    answer(engine, text)
    assert engine.outcome == "callback"


@pytest.mark.parametrize(
    ("name", "text"),
    [("cmn-dormant-deposit", "嗯嗯可以"), ("cmn-dormant-deposit", "对对对"),
     ("en-dormant-deposit", "uh huh")],
)
def test_everyday_yes_confirms_identity(name: str, text: str) -> None:
    engine = engine_at(name, "greeting")
    answer(engine, text)
    assert engine.state == "reason"


@pytest.mark.parametrize(
    ("name", "text", "intent", "words"),
    [("cmn-dormant-deposit", "利率是多少", "ask_rate", "3.2%"),
     ("en-dormant-deposit", "are you a robot", "ask_robot", "automated assistant"),
     ("en-dormant-deposit", "how did you get my number?", "ask_number_source", "account records"),
     ("ko-dormant-deposit", "금리가 얼마예요", "ask_rate", "3.5%")],
)
def test_questions_are_answered_and_the_question_asked_again(
    name: str, text: str, intent: str, words: str
) -> None:
    engine = engine_at(name, "reason")
    commands = answer(engine, text)
    says = [c for c in commands if isinstance(c, Say)]
    assert says[0].prompt_id == f"global.{intent}" and words in says[0].text
    assert says[-1].prompt_id == "reason.reprompt" and engine.state == "reason"


# ---- confirming doubtful costly outcomes ---------------------------------------------------------


def test_clear_opt_out_is_honoured_at_once() -> None:
    engine = engine_at("en-dormant-deposit", "reason")
    commands = answer(engine, "stop calling me", 0.95)
    assert commands[-2:] == [OptOut(), EndCall("opt_out")]


def test_doubtful_opt_out_confirmed_with_yes_is_an_opt_out() -> None:
    engine = engine_at("ko-dormant-deposit", "reason")
    commands = answer(engine, "전화하지 마세요", 0.95, doubtful=True)
    assert [c.prompt_id for c in commands if isinstance(c, Say)] == ["confirm.opt_out"]
    assert "다시는 전화드리지 않기를 원하시나요" in commands[1].text  # type: ignore[attr-defined]
    assert engine.outcome is None and OptOut() not in commands
    commands = answer(engine, "네")
    assert commands[-2:] == [OptOut(), EndCall("opt_out")]


def test_doubtful_opt_out_answered_no_goes_back_to_the_question() -> None:
    engine = engine_at("cmn-dormant-deposit", "reason")
    answer(engine, "别再打了", 0.3)
    assert engine.confirming == "opt_out"
    commands = answer(engine, "不是")
    assert engine.state == "reason" and engine.confirming is None and not engine.finished
    assert [c.prompt_id for c in commands if isinstance(c, Say)] == ["reason.reprompt"]


def test_unclear_confirmation_is_asked_once_more_then_closes_without_opt_out() -> None:
    engine = engine_at("en-dormant-deposit", "offer")
    answer(engine, "don't call me again", 0.95, doubtful=True)
    again = answer(engine, "the weather is lovely")
    assert [c.prompt_id for c in again if isinstance(c, Say)] == ["confirm.opt_out.again"]
    closing = list(engine.handle(Silence(9.0)))
    assert OptOut() not in closing and closing[-1] == EndCall("not_interested")
    assert engine.outcome == "not_interested"


def test_doubtful_transfer_is_confirmed_and_a_question_that_asks_is_doubtful() -> None:
    engine = engine_at("en-dormant-deposit", "offer")
    commands = answer(engine, "can you connect me to an agent?")
    assert engine.confirming == "human" and not any(isinstance(c, Transfer) for c in commands)
    commands = answer(engine, "yes")
    assert commands[-1] == Transfer("deposit-specialists")


@pytest.mark.parametrize(
    ("name", "text"),
    [("ko-dormant-deposit", "네?"), ("cmn-dormant-deposit", "嗯？"),
     ("cmn-dormant-deposit", "你是做什么的"), ("en-dormant-deposit", "I'm driving right now")],
)
def test_a_word_that_only_sounds_like_yes_does_not_confirm_identity(name: str, text: str) -> None:
    engine = engine_at(name, "greeting")
    answer(engine, text)
    assert engine.state != "reason"


# The general rules of the typed work (docs/dialogs.md, "How the matcher reads everyday
# answers"): each answer here went wrong on the matcher before it, most of them harmfully.
@pytest.mark.parametrize(
    ("name", "state", "text", "outcome", "reply"),
    [
        # A light verb: 하지 마세요 is not inside 연결하지 마세요, 거짓말하지 마세요 (was opt-out).
        ("ko-dormant-deposit", "offer", "아니요 아니요 연결하지 마세요", "interested", None),
        ("ko-dormant-deposit", "reason", "거짓말하지 마세요 사기잖아요", None, "scam"),
        # 다시 (again) is not 다시는 (never again): a call back, not an opt-out.
        ("ko-dormant-deposit", "reason", "내일 다시 전화 주세요", "callback", None),
        # A question is answered, not taken as a request for an agent (was a transfer).
        ("ko-dormant-deposit", "offer", "어느 은행 상담원인데요?", None, "ask_bank"),
        ("cmn-dormant-deposit", "offer", "转接要收钱吗", None, "ask_fees"),
        # A tag word in a question is not an answer (was wrong_person / a yes).
        ("ko-dormant-deposit", "greeting", "가짜 전화 아니에요?", None, "scam"),
        ("ko-dormant-deposit", "greeting", "진짜 한빛은행 맞아요?", None, "ask_bank"),
        # Double negation: not uninterested.
        ("ko-dormant-deposit", "reason", "관심 없지는 않아요", None, None),
        ("cmn-dormant-deposit", "reason", "不是不感兴趣", None, None),
        # Dictionary forms and lemmas: 말다 in 주지 마세요, ringing -> ring, 걸어요 is "to call".
        ("ko-dormant-deposit", "offer", "다시는 연락 주지 마세요", "opt_out", None),
        ("ko-dormant-deposit", "greeting", "아 진짜 그만 좀 걸어요", "opt_out", None),
        ("en-dormant-deposit", "greeting", "please stop ringing me", "opt_out", None),
        ("en-dormant-deposit", "qualify", "i want to be removed from your list", "opt_out", None),
        # Later outranks an agent now (was a transfer nobody asked for now); mixed, so it is
        # confirmed first.
        ("ko-dormant-deposit", "offer", "내일 오전에 연결해 주세요", "callback", None),
        # A polite request put as a question is a request.
        ("en-dormant-deposit", "reason", "can i speak to someone at the bank", "transfer", None),
        # "No, just text me" in the offer: the details by text, not a refusal.
        ("cmn-dormant-deposit", "offer", "短信发我就行", "interested", None),
    ],
)
def test_everyday_answers_end_as_the_customer_meant(
    name: str, state: str, text: str, outcome: str | None, reply: str | None
) -> None:
    engine = engine_at(name, state)
    commands = answer(engine, text)
    heard = commands[0]
    assert isinstance(heard, IntentRecognised)
    if outcome == "transfer":
        assert engine.confirming == "human"  # a request put as a question is confirmed first
    if outcome in ("transfer", "callback") and engine.confirming is not None:
        commands = answer(engine, {"ko": "네", "cmn": "是的", "en": "yes"}[name.split("-")[0]])
    assert engine.outcome == outcome, (heard.intent, heard.rule)
    assert (OptOut() in commands) == (outcome == "opt_out")
    if reply is not None:
        assert heard.intent == reply and engine.state == state  # answered, then asked again
    if outcome is None and reply is None:  # 관심 없지는 않아요: interested, on to the offer
        assert heard.intent in ("interested", "yes") and engine.state in ("offer", "qualify")


# Cues that once came from single corpus sentences and fired on other everyday answers (review of
# the typed work): a bare 거부 (refuse) blocked the number of someone declining the offer; 분 … 있다
# (from 삼십 분 있다가요) and a bare 뒤/후 took questions as call-me-later; 처음 듣다 took "never
# heard of it" as a wrong number.
@pytest.mark.parametrize(
    ("state", "text", "not_intent"),
    [
        ("offer", "그건 거부할게요", "opt_out"),
        ("reason", "저는 거부합니다", "opt_out"),
        ("reason", "상담해 줄 분 있어요?", "later"),
        ("offer", "그 뒤에 어떻게 돼요?", "later"),
        ("greeting", "처음 듣는 얘기네요", "no"),
    ],
)
def test_a_cue_does_not_fire_on_answers_it_was_not_written_for(
    state: str, text: str, not_intent: str
) -> None:
    engine = engine_at("ko-dormant-deposit", state)
    commands = answer(engine, text)
    heard = commands[0]
    assert isinstance(heard, IntentRecognised)
    assert heard.intent != not_intent, heard.rule
    assert OptOut() not in commands and engine.outcome != "opt_out"
