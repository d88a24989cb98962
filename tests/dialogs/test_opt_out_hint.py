"""A doubtful Mandarin hearing decoded again with the opt-out words as a hint (issue 9).

Whisper base wrote the spoken 把我加到免打扰里 (put me on the do-not-disturb list) as
把握下到面条料理, 法国下套面套你 and the like: no opt-out cue, no refusal form, so the robot asked
again and the stop-calling request was lost. The call now decodes such a hearing (doubtful, or
matching nothing, and not reaching the opt-out) a second time with the script's opt-out words
after the initial prompt (orchestrator.hearing_check.heard_again); the dialog reads that second
text only to ask the opt-out question, and only when it writes the same sounds as the first
(at most half of the toneless syllables changed): a hint may decide how a half-heard sound is
written, it may not put its words where other sounds were heard. These are the engine's rules,
on the hearings the spoken benchmark recorded; tests/speech/test_opt_out_hint_spoken.py hears
the audio.
"""

from __future__ import annotations

from dialogs import DialogEngine, HangUp, OptOut, Say, Utterance, load_script
from dialogs.intents import IntentClassifier
from tests.dialogs.test_screening import engine_at


def said(commands: list[object]) -> list[str]:
    return [c.prompt_id for c in commands if isinstance(c, Say)]


def hear(state: str, text: str, again: str, confidence: float = 0.43,
         doubtful: bool = True) -> tuple[DialogEngine, list[str]]:
    engine = engine_at("cmn-dormant-deposit", state)
    commands = list(engine.handle(Utterance(text, confidence, 1.0, doubtful, again)))
    return engine, said(commands)


def test_a_garbled_opt_out_heard_again_as_its_cue_asks_the_opt_out_question() -> None:
    for heard, again in (("把握下到面条料理。", "把握下到免打扰里。"),
                         ("法国下套面套你，", "发握下套免打扰，")):
        engine, prompts = hear("offer", heard, again)
        assert prompts == ["confirm.opt_out"], heard
        assert engine.confirming == "opt_out"


def test_without_the_second_hearing_it_is_asked_again_as_before() -> None:
    _, prompts = hear("offer", "把握下到面条料理。", "")
    assert "confirm.opt_out" not in prompts and prompts[-1] == "offer.reprompt"


def test_words_the_hint_put_over_other_sounds_ask_nothing() -> None:
    # What beam-5 Whisper wrote with the hint for garbled non-opt-outs in the benchmark:
    # 《大神魔道》 (啊，什么东西) again as 拉黑，骚扰; 作者 (多少利息啊) as 请勿.
    for state, heard, again in (("offer", "《大神魔道》。", "拉黑，骚扰，"),
                                ("greeting", "作者", "请勿，"),
                                ("reason", "就是拿了我。", "尤其是勿，")):
        engine, prompts = hear(state, heard, again, 0.3)
        assert "confirm.opt_out" not in prompts, heard
        assert engine.confirming is None


def test_a_clear_matched_hearing_is_not_read_again() -> None:
    # A clear 好的 at the offer is a transfer; a hint text cannot turn it into a question.
    engine = engine_at("cmn-dormant-deposit", "offer")
    assert engine.opt_out_hint("好的", 0.9, False) == []
    commands = list(engine.handle(Utterance("好的", 0.9, 1.0, False, "好的免打扰")))
    assert engine.outcome == "transfer" and "confirm.opt_out" not in said(commands)


def test_the_hint_is_the_scripts_own_opt_out_words_and_only_where_they_help() -> None:
    engine = engine_at("cmn-dormant-deposit", "offer")
    hint = engine.opt_out_hint("把握下到面条料理。", 0.43, True)
    cmn = load_script("cmn-dormant-deposit")
    words = [*cmn.intents["opt_out"].phrases, *cmn.intents["opt_out"].keywords]
    assert hint and set(hint) <= set(words) and "免打扰" in hint
    assert not any("…" in w for w in hint)
    assert engine.opt_out_hint("", 0.0, False) == []  # nothing heard: nothing to decode
    assert engine.opt_out_hint("别再打了", 0.4, True) == []  # reaches the opt-out already
    assert engine.opt_out_hint("别转了", 0.4, True) == []  # a refusal form asks already


def test_hanging_up_on_the_question_blocks_nothing() -> None:
    engine, _ = hear("offer", "把握下到面条料理。", "把握下到免打扰里。")
    assert list(engine.handle(HangUp(4.0))) == []
    assert engine.outcome == "hung_up"


def test_yes_to_it_records_the_opt_out() -> None:
    engine, _ = hear("offer", "把握下到面条料理。", "把握下到免打扰里。")
    commands = list(engine.handle(Utterance("好的", 0.9, 2.0)))
    assert OptOut() in commands and engine.outcome == "opt_out"


def test_respelling_counts_toneless_syllables() -> None:
    cmn = load_script("cmn-dormant-deposit")
    analyser = IntentClassifier(cmn.language, cmn.intents).analyser
    assert analyser.respells("把握下到面条料理", "把握下到免打扰里")  # 2 of 8 differ
    assert not analyser.respells("大神魔道", "拉黑骚扰")  # 4 of 4
    assert not analyser.respells("i4", "请勿")  # no syllables heard first
    ko = load_script("ko-dormant-deposit")
    assert not IntentClassifier(ko.language, ko.intents).analyser.respells("네", "네")
