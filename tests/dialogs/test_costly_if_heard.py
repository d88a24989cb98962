"""`DialogEngine.costly_if_heard`: which clear hearings the call session checks a second time
(orchestrator.hearing_check) before the dialog acts on them. Pure, typed."""

from __future__ import annotations

from tests.dialogs.test_screening import answer, engine_at


def test_a_clear_agent_request_at_the_greeting_would_transfer() -> None:
    engine = engine_at("ko-dormant-deposit", "greeting")
    assert engine.costly_if_heard("상담원") == "transfer"
    assert engine.state == "greeting" and not engine.finished  # nothing was acted on


def test_answers_that_cost_nothing_are_not_checked() -> None:
    engine = engine_at("ko-dormant-deposit", "greeting")
    assert engine.costly_if_heard("네") is None  # on to the reason: nothing taken
    assert engine.costly_if_heard("아니요") is None  # ends the call, costs the customer nothing
    assert engine.costly_if_heard("") is None


def test_a_stop_calling_request_would_block_the_number() -> None:
    engine = engine_at("ko-dormant-deposit", "reason")
    assert engine.costly_if_heard("전화하지 마세요") == "opt_out"


def test_the_answer_to_a_confirmation_is_not_checked_again() -> None:
    # The confirmation question is itself the check: its yes is taken as heard.
    engine = engine_at("ko-dormant-deposit", "reason")
    answer(engine, "좋아요 아니요", 0.9, doubtful=True)  # asked whether to stop calling
    assert engine.confirming == "opt_out"
    assert engine.costly_if_heard("네") is None
