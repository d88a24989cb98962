"""A refusal heard with doubt asks the opt-out question, whatever else the words matched (issue 9).

The Korean grammar decoder has no word for 그만: "아 진짜 그만 좀 걸어요" came out as "아니요 누구
마세요 마세요", whose 누구 made it the who-is-calling question; the robot answered it and asked
again, and the stop-calling request was lost. A negative imperative (마세요, 걸지 마; 别, 不要) or
그만 in a doubtful hearing now leads to the opt-out question; a yes records it, a no goes back to
what was heard; a clear hearing and a typed answer keep their meaning.
"""

from __future__ import annotations

from dialogs import EndCall, HangUp, OptOut, Say, load_script
from dialogs.intents import IntentClassifier
from tests.dialogs.test_screening import answer, engine_at


def said(commands: list[object]) -> list[str]:
    return [c.prompt_id for c in commands if isinstance(c, Say)]


def test_a_doubtful_question_with_a_refusal_form_asks_the_opt_out_question() -> None:
    engine = engine_at("ko-dormant-deposit", "greeting")
    commands = answer(engine, "아니요 누구 마세요 마세요", 0.73, doubtful=True)
    assert said(commands) == ["confirm.opt_out"] and engine.confirming == "opt_out"
    assert answer(engine, "네")[-2:] == [OptOut(), EndCall("opt_out")]
    assert engine.outcome == "opt_out"


def test_no_to_it_answers_the_question_that_was_heard_and_blocks_nothing() -> None:
    engine = engine_at("ko-dormant-deposit", "greeting")
    answer(engine, "아니요 누구 마세요 마세요", 0.73, doubtful=True)
    commands = answer(engine, "아니요")
    assert said(commands)[0] == "global.who" and OptOut() not in commands
    assert not engine.finished and engine.state == "greeting"


def test_a_doubtful_lead_with_a_refusal_form_asks_about_the_opt_out_not_the_lead() -> None:
    # "네 마세요" at the offer was confirmed as the text-message lead: the lead is not offered to
    # a customer whose words may have been "don't".
    engine = engine_at("ko-dormant-deposit", "offer")
    commands = answer(engine, "네 마세요", 0.75, doubtful=True)
    assert said(commands) == ["confirm.opt_out"] and engine.confirming == "opt_out"
    assert OptOut() not in answer(engine, "아니요") and not engine.finished


def test_hanging_up_on_it_blocks_nothing() -> None:
    # The refusal form alone is weak evidence (most doubtful 마세요 hearings in the spoken
    # benchmark were not opt-outs): only a yes blocks the number.
    engine = engine_at("ko-dormant-deposit", "reason")
    answer(engine, "누구 마세요", 0.7, doubtful=True)
    assert engine.confirming == "opt_out"
    assert list(engine.handle(HangUp(4.0))) == [] and engine.outcome == "hung_up"


def test_a_clear_or_typed_answer_keeps_its_meaning() -> None:
    engine = engine_at("ko-dormant-deposit", "greeting")
    commands = answer(engine, "걱정하지 마세요 근데 누구세요?", 1.0)
    assert said(commands)[0] == "global.who" and engine.confirming is None


def test_not_x_but_y_is_no_refusal() -> None:
    # 말고: "지금 말고 나중에" (not now, later) and "기계 말고 사람" ask for something else.
    engine = engine_at("ko-dormant-deposit", "offer")
    answer(engine, "지금 말고 나중에", 0.5, doubtful=True)
    assert engine.confirming != "opt_out"
    ko = load_script("ko-dormant-deposit")
    clf = IntentClassifier(ko.language, ko.intents)
    assert clf.refusal("기계 말고 사람 바꿔") is None
    assert clf.refusal("다시 걸지 마") and clf.refusal("그만 좀 해요")


def test_mandarin_refusal_forms_and_homophones_of_opt_out_cues() -> None:
    cmn = load_script("cmn-dormant-deposit")
    clf = IntentClassifier(cmn.language, cmn.intents)
    assert clf.refusal("别转了") and clf.refusal("不要介绍了")
    # 别 meaning "other", 要不要 asking, 不要紧 "never mind": no refusal.
    for text in ("我钱都存别处了", "利率比别家高吗", "激活要不要钱", "不要紧"):
        assert clf.refusal(text) is None, text
    # Whisper writes what it hears: 勉打扰 sounds like the opt-out cue 免打扰.
    assert clf.refusal("把我加到勉打扰里") == "sounds like the opt-out cue '免打扰'"
    engine = engine_at("cmn-dormant-deposit", "offer")
    commands = answer(engine, "把我加到勉打扰里", 0.4, doubtful=True)
    assert said(commands) == ["confirm.opt_out"] and engine.confirming == "opt_out"
    assert answer(engine, "是的")[-2:] == [OptOut(), EndCall("opt_out")]


def test_a_homophone_heard_clearly_is_not_an_opt_out() -> None:
    engine = engine_at("cmn-dormant-deposit", "offer")
    answer(engine, "把我加到勉打扰里", 0.95)
    assert engine.confirming is None and not engine.finished
