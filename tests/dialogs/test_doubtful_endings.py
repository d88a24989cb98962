"""A doubtful hearing that would hang up asks the opt-out question first (issue 9, spoken side).

The Korean grammar has no word for "그만", so "전화 그만하세요" is heard as grammar words such as
"좋아요 아니요" (a "no"): acted on, the call ended as not interested and the opt-out was lost.
"""

from __future__ import annotations

from dialogs import EndCall, HangUp, OptOut, Say, Silence
from tests.dialogs.test_screening import answer, engine_at


def said(commands: list[object]) -> list[str]:
    return [c.prompt_id for c in commands if isinstance(c, Say)]


def test_a_doubtful_no_that_would_end_the_call_asks_about_opt_out() -> None:
    engine = engine_at("ko-dormant-deposit", "reason")
    commands = answer(engine, "좋아요 아니요", 0.9, doubtful=True)
    assert said(commands) == ["confirm.opt_out"] and not engine.finished
    assert answer(engine, "네")[-2:] == [OptOut(), EndCall("opt_out")]


def test_no_to_the_opt_out_question_ends_as_first_heard_without_blocking() -> None:
    engine = engine_at("ko-dormant-deposit", "greeting")
    answer(engine, "보이스 아니요", 0.9, doubtful=True)
    commands = answer(engine, "아니요")
    assert OptOut() not in commands and engine.outcome == "wrong_person"


def test_silence_to_it_twice_ends_as_first_heard_without_blocking() -> None:
    engine = engine_at("ko-dormant-deposit", "reason")
    answer(engine, "싫어요 아니요", 0.9, doubtful=True)
    again = list(engine.handle(Silence(5.0)))
    assert said(again) == ["confirm.opt_out.again"]
    closing = list(engine.handle(Silence(9.0)))
    assert OptOut() not in closing and engine.outcome == "not_interested"


def test_a_clear_no_still_ends_the_call_at_once() -> None:
    engine = engine_at("ko-dormant-deposit", "reason")
    commands = answer(engine, "아니요", 0.95)
    assert commands[-1] == EndCall("not_interested") and OptOut() not in commands


def test_hanging_up_on_the_confirmation_of_their_stop_request_keeps_the_opt_out() -> None:
    # "전화하지 마세요" heard only as "하지 마세요" is doubtful (아닌데요 is heard so too): the
    # robot asks, and a customer who hangs up on that question is not called again.
    engine = engine_at("ko-dormant-deposit", "greeting")
    answer(engine, "하지 마세요", 0.9, doubtful=True)
    assert engine.confirming == "opt_out"
    assert list(engine.handle(HangUp(4.0)))[-2:] == [OptOut(), EndCall("opt_out")]
    assert engine.finished and engine.outcome == "opt_out"


def test_hanging_up_on_the_possible_opt_out_question_blocks_nothing() -> None:
    engine = engine_at("ko-dormant-deposit", "reason")
    answer(engine, "좋아요 아니요", 0.9, doubtful=True)
    assert list(engine.handle(HangUp(4.0))) == [] and engine.outcome == "hung_up"


def test_a_jumble_of_phrases_is_asked_as_a_possible_opt_out_not_confirmed_as_a_lead() -> None:
    # "전화 그만하세요" heard as "좋아요 나중에 아니요": the matcher picks "later" (a callback
    # lead), but no one says that; the robot asks about stopping calls, and a no goes back to
    # its question.
    engine = engine_at("ko-dormant-deposit", "reason")
    commands = answer(engine, "좋아요 나중에 아니요", 0.9, doubtful=True)
    assert said(commands) == ["confirm.opt_out"] and engine.confirming == "opt_out"
    back = answer(engine, "아니요")
    assert engine.state == "reason" and not engine.finished and OptOut() not in back
    engine = engine_at("ko-dormant-deposit", "reason")
    answer(engine, "좋아요 나중에 아니요", 0.9, doubtful=True)
    assert list(engine.handle(HangUp(4.0))) == [] and engine.outcome == "hung_up"
