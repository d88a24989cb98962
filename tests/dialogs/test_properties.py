"""Property tests: whatever the customer does, the call ends in a terminal state, soon."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.policy import SCRIPT_OUTCOMES
from dialogs import (
    HUNG_UP,
    DialogEngine,
    Dtmf,
    EndCall,
    Event,
    HangUp,
    Interrupted,
    Listen,
    Silence,
    Transfer,
    Utterance,
    load_script,
)
from tests.dialogs.canon import CANON, GIBBERISH, SCRIPTS, VARS

SCRIPTS_LOADED = {name: load_script(name) for name in SCRIPTS}


def events_for(name: str) -> st.SearchStrategy[Event]:
    script = SCRIPTS_LOADED[name]
    words = [p for i in script.intents.values() for p in (*i.phrases, *i.keywords)]
    texts = st.one_of(
        st.sampled_from([*CANON[name].values(), GIBBERISH[name], ""]),
        st.lists(st.sampled_from(words), min_size=1, max_size=3).map(" ".join),
        st.text(max_size=12),
    )
    return st.one_of(
        st.builds(Utterance, texts, st.floats(0.0, 1.0), st.just(0.0)),
        st.builds(Silence, st.just(0.0)),
        st.builds(Dtmf, st.sampled_from(list("0123456789*#")), st.just(0.0)),
        st.builds(Interrupted, st.just(0.0), st.integers(0, 20_000)),
    )


@st.composite
def conversation(draw: st.DrawFn) -> tuple[str, list[Event]]:
    name = draw(st.sampled_from(SCRIPTS))
    return name, draw(st.lists(events_for(name), max_size=60))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversation())
def test_any_event_sequence_ends_within_max_turns(case: tuple[str, list[Event]]) -> None:
    name, events = case
    script = SCRIPTS_LOADED[name]
    engine = DialogEngine(script, VARS[name])
    last = engine.start(0.0)
    turns = 0
    for event in events:
        if engine.finished:
            assert engine.handle(event) == []  # nothing happens after the end
            continue
        commands = engine.handle(event)
        if not isinstance(event, Interrupted):
            turns += 1
        if commands:
            last = commands
        assert turns <= script.model.defaults.max_turns
    # Keep the customer silent: the call must still end, within the turn limit.
    while not engine.finished:
        last = engine.handle(Silence(0.0))
        turns += 1
        assert turns <= script.model.defaults.max_turns
    assert engine.outcome in (*SCRIPT_OUTCOMES, HUNG_UP)
    if engine.outcome != "hung_up":
        assert script.is_terminal(engine.state)
        assert isinstance(last[-1], EndCall | Transfer)
        assert not any(isinstance(c, Listen) for c in last)
    score = engine.score()
    assert 0 <= score.score <= 100
    assert (score.tier == "do-not-call") == (engine.outcome == "opt_out")


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SCRIPTS), st.lists(st.sampled_from(["", "x"]), max_size=30))
def test_hang_up_at_any_point_finishes(name: str, pattern: list[str]) -> None:
    engine = DialogEngine(SCRIPTS_LOADED[name], VARS[name])
    engine.start(0.0)
    for p in pattern:
        engine.handle(Silence(0.0) if p == "" else Utterance(CANON[name]["yes"], 0.9, 0.0))
    engine.handle(HangUp(1.0))
    assert engine.finished
    # A hang-up never overwrites an ending the dialog had already reached.
    assert engine.outcome == "hung_up" or SCRIPTS_LOADED[name].is_terminal(engine.state)
