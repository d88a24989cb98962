"""The dialog engine on the bundled scripts: every state, opt-out everywhere, silence, no-match."""

from __future__ import annotations

import pytest

from dialogs import (
    DialogEngine,
    DialogError,
    Dtmf,
    EndCall,
    HangUp,
    IntentRecognised,
    Interrupted,
    Listen,
    OptOut,
    Say,
    ScheduleCallback,
    Silence,
    Transfer,
    Utterance,
    VariableError,
    load_script,
)
from tests.dialogs.canon import CANON, GIBBERISH, SCRIPTS, VARS
from tests.dialogs.walk import engine_for, feed, paths_to_states, say


@pytest.mark.parametrize("name", SCRIPTS)
def test_canonical_answers_reach_every_state(name: str) -> None:
    script = load_script(name)
    paths = paths_to_states(name)
    # Silence and no-match are the only ways into these; the other tests cover them.
    unreached = set(script.states) - set(paths) - {"close_no_response", "close_unclear",
                                                   "clarify"}
    assert not unreached
    for state, intents in paths.items():
        engine = engine_for(name)
        feed(engine, say(name, *intents))
        assert engine.state == state
        assert engine.finished == script.is_terminal(state)


@pytest.mark.parametrize("name", SCRIPTS)
def test_opt_out_from_every_state_ends_the_call_and_is_do_not_call(name: str) -> None:
    script = load_script(name)
    for state, intents in paths_to_states(name).items():
        if script.is_terminal(state):
            continue
        engine = engine_for(name)
        commands = feed(engine, say(name, *intents, "opt_out"))
        assert engine.outcome == "opt_out", state
        assert commands[-2:] == [OptOut(), EndCall("opt_out")]
        score = engine.score()
        assert (score.score, score.tier) == (0, "do-not-call")


@pytest.mark.parametrize("name", SCRIPTS)
def test_silence_reprompts_then_ends_as_no_response_in_every_state(name: str) -> None:
    script = load_script(name)
    for state, intents in paths_to_states(name).items():
        if script.is_terminal(state):
            continue
        engine = engine_for(name)
        feed(engine, say(name, *intents))
        first = engine.handle(Silence(100.0))
        assert not engine.finished
        assert [type(c) for c in first] == [Say, Say, Listen]  # "didn't hear you" + question
        feed(engine, [Silence(105.0), Silence(110.0)])
        assert (engine.finished, engine.outcome, engine.state) == (
            True, "no_response", "close_no_response")


@pytest.mark.parametrize("name", SCRIPTS)
def test_no_match_reprompts_then_offers_a_call_back_then_ends_in_every_state(name: str) -> None:
    script = load_script(name)
    for state, intents in paths_to_states(name).items():
        if script.is_terminal(state):
            continue
        engine = engine_for(name)
        feed(engine, say(name, *intents))
        first = engine.handle(Utterance(GIBBERISH[name], 0.9, 100.0))
        assert (first[0].intent, first[0].text) == ("no_match", GIBBERISH[name])  # type: ignore[union-attr]
        assert engine.state == state
        feed(engine, [Utterance(GIBBERISH[name], 0.9, t) for t in (105.0, 110.0)])
        # A customer who keeps answering is not hung up on: offered a call back by a person.
        assert (engine.finished, engine.state) == (False, "clarify")
        feed(engine, [Utterance(GIBBERISH[name], 0.9, t) for t in (115.0, 120.0)])
        assert (engine.outcome, engine.state) == ("no_response", "close_unclear")


def test_a_customer_who_is_not_understood_can_accept_a_call_back() -> None:
    engine = engine_for("en-dormant-deposit")
    feed(engine, [Utterance("the weather is lovely", 0.9, t) for t in (1.0, 2.0, 3.0)])
    assert engine.state == "clarify"
    commands = engine.handle(Utterance("yes please", 0.95, 4.0))
    assert engine.outcome == "callback" and commands[-1] == EndCall("callback")


@pytest.mark.parametrize("name", SCRIPTS)
def test_listen_grammar_holds_every_phrase_valid_in_the_state(name: str) -> None:
    script = load_script(name)
    commands = DialogEngine(script, VARS[name]).start(0.0)
    listen = commands[-1]
    assert isinstance(listen, Listen)
    for intent in script.routes(script.start):  # the state's own and the global intents
        for phrase in script.intents[intent].phrases:
            assert phrase in listen.phrases
    assert script.intents["interested"].phrases[0] not in listen.phrases  # not asked yet


# ---- personas with the canonical answers -------------------------------------------------------

PERSONAS: dict[str, tuple[list[str], str]] = {
    # intents said in order ("" = silence) -> expected outcome; the walk fills in qualify answers.
    "interested": (["yes", "interested", "yes", "yes"], "transfer"),
    "not interested": (["yes", "not_interested"], "not_interested"),
    "busy, call me later": (["later"], "callback"),
    "asks who is calling, then interested": (["who", "yes", "interested", "yes", "yes"],
                                             "transfer"),
    "opt-out": (["opt_out"], "opt_out"),
    "silent": (["", "", ""], "no_response"),
    "wrong person": (["no"], "wrong_person"),
    "asks for a human": (["yes", "human"], "transfer"),
}


@pytest.mark.parametrize("name", SCRIPTS)
@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_personas_end_with_a_sensible_outcome(name: str, persona: str) -> None:
    intents, outcome = PERSONAS[persona]
    engine = engine_for(name)
    feed(engine, say(name, *intents))
    assert engine.finished
    assert engine.outcome == outcome


@pytest.mark.parametrize("name", SCRIPTS)
def test_interrupting_the_robot_does_not_derail_the_call(name: str) -> None:
    engine = engine_for(name)
    events = []
    for event in say(name, "yes", "interested", "yes", "yes"):
        events += [Interrupted(event.t - 1.0, played_ms=800), event]
    feed(engine, events)
    assert engine.outcome == "transfer"
    assert engine.score().tier == "hot"


def test_interested_lead_is_hot_and_explained() -> None:
    engine = engine_for("ko-dormant-deposit")
    commands = feed(engine, say("ko-dormant-deposit", "yes", "interested", "yes"))
    assert commands[-1] == Transfer("deposit-specialists")
    score = engine.score()
    assert (score.score, score.tier) == (100, "hot")
    assert [i.points for i in score.breakdown] == [10, 40, 20, 30]
    assert "reason: interested" in score.breakdown[1].reason


def test_mandarin_grades_follow_the_tier() -> None:
    engine = engine_for("cmn-dormant-deposit")
    feed(engine, say("cmn-dormant-deposit", "yes", "not_interested"))
    assert (engine.score().tier, engine.score().grade) == ("cold", "C")
    engine = engine_for("cmn-dormant-deposit")
    feed(engine, say("cmn-dormant-deposit", "opt_out"))
    assert engine.score().grade == "D"


def test_callback_passes_on_what_the_customer_said() -> None:
    engine = engine_for("en-dormant-deposit")
    commands = engine.handle(Utterance("I'm busy, call me back tomorrow", 0.9, 3.0))
    assert ScheduleCallback("I'm busy, call me back tomorrow") in commands
    assert commands[-1] == EndCall("callback")


def test_who_is_calling_answers_and_asks_again_in_the_same_state() -> None:
    engine = engine_for("ko-dormant-deposit")
    commands = engine.handle(Utterance("누구세요", 0.9, 3.0))
    says = [c for c in commands if isinstance(c, Say)]
    assert [s.prompt_id for s in says] == ["global.who", "greeting.reprompt"]
    assert "AI" in says[0].text and "김민수" in says[1].text
    assert engine.state == "greeting"


def test_uncertain_answer_is_asked_again_and_a_doubtful_opt_out_is_confirmed() -> None:
    engine = engine_for("ko-dormant-deposit")
    commands = engine.handle(Utterance("네", 0.2, 3.0))
    assert commands[0] == IntentRecognised("yes", "네", 0.2, uncertain=True, cue="네",
                                           rule="cue '네'", doubtful=True)
    assert engine.state == "greeting"
    commands = engine.handle(Utterance("전화하지 마세요", 0.2, 8.0))
    assert engine.outcome is None and engine.confirming == "opt_out"
    assert [c.prompt_id for c in commands if isinstance(c, Say)] == ["confirm.opt_out"]


def test_dtmf_keys_map_to_intents() -> None:
    engine = engine_for("en-dormant-deposit")
    engine.handle(Dtmf("1", 2.0))
    assert engine.state == "reason"
    commands = engine.handle(Dtmf("7", 4.0))  # not mapped: asked again
    assert commands[0].intent == "no_match"  # type: ignore[union-attr]  # IntentRecognised
    engine.handle(Dtmf("9", 6.0))
    assert engine.outcome == "opt_out"


def test_hang_up_ends_the_dialog_and_later_events_are_ignored() -> None:
    engine = engine_for("en-dormant-deposit")
    engine.handle(Utterance("yes", 0.9, 2.0))
    assert engine.handle(HangUp(3.0)) == []
    assert (engine.finished, engine.outcome) == (True, "hung_up")
    assert engine.handle(Utterance("yes", 0.9, 4.0)) == []
    assert engine.score().score == 10


def test_engine_misuse_and_missing_variables_are_clear_errors() -> None:
    script = load_script("ko-dormant-deposit")
    with pytest.raises(VariableError, match="name"):
        DialogEngine(script, {})
    engine = DialogEngine(script, {"name": "김민수"})
    with pytest.raises(DialogError, match="start"):
        engine.handle(Silence(1.0))
    engine.start(0.0)
    with pytest.raises(DialogError, match="already started"):
        engine.start(0.0)


def test_prompts_for_prerendering() -> None:
    script = load_script("ko-dormant-deposit")
    prompts = {p.prompt_id: p for p in script.all_prompts()}
    assert prompts["close_opt_out"].fixed
    assert prompts["greeting"].variables == {"bank", "name"}
    assert "김민수" in script.render("greeting", {"name": "김민수"})
    assert set(CANON["ko-dormant-deposit"]) <= set(script.intents)
