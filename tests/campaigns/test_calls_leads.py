"""A finished call is stored whole; leads are handed out once each; the funnel adds up."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from campaigns.calls import CallReport, LeadDraft, TurnRecord, finish_attempt
from campaigns.dialing import AttemptResult, claim, due_contacts
from campaigns.errors import AlreadyRecorded, InvalidInput
from campaigns.leads import finish_lead, list_leads, next_lead
from campaigns.outbox import backoff, delivered, failed, pending
from campaigns.qa import export_rows, funnel, list_calls, show_call
from tests.campaigns.helpers import T0, make_campaign

LEASE = timedelta(minutes=10)
TURNS = [
    TurnRecord("robot", "안녕하세요, AI 상담원입니다.", 0.0, 2.5, prompt_id="greeting"),
    TurnRecord("customer", "네", 3.1, 3.4, confidence=0.93, intent="yes", state="greeting"),
]


def answered(dialog: str, score: int | None = None, tier: str | None = None) -> AttemptResult:
    return AttemptResult("answered", dialog_outcome=dialog, score=score, tier=tier)


def test_finished_call_keeps_transcript_lead_and_webhook_message(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 2)
    a, b = claim(engine, cid, 2, "w1", LEASE, now=T0)
    lead = LeadDraft(score=82, tier="hot", grade="A", summary="wants a specialist")
    report = CallReport(answered("interested", 82, "hot"), TURNS, lead, webhook=True)
    lead_id = finish_attempt(engine, a.attempt_id, report, now=T0)
    assert lead_id is not None
    call = show_call(engine, a.attempt_id)
    assert [t["text"] for t in call["turns"]] == [t.text for t in TURNS]
    assert call["turns"][1]["intent"] == "yes" and call["turns"][1]["confidence"] == 0.93
    assert call["lead"]["summary"] == "wants a specialist"
    (msg,) = pending(engine, now=T0)
    assert msg.payload["lead_id"] == lead_id and msg.payload["tier"] == "hot"
    # Storing the same call twice is refused and adds nothing.
    with pytest.raises(AlreadyRecorded):
        finish_attempt(engine, a.attempt_id, report, now=T0)
    assert len(list_leads(engine)) == 1
    # Opt-out: the number is blocked at once, everywhere.
    finish_attempt(engine, b.attempt_id, CallReport(answered("opt_out"), opt_out=True), now=T0)
    assert due_contacts(engine, cid, T0 + timedelta(days=1)) == []
    assert [c["intents"] for c in list_calls(engine, cid, intent="yes")] == [["yes"]]


def test_funnel_adds_up(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 5)
    c = claim(engine, cid, 5, "w1", LEASE, now=T0)
    finish_attempt(engine, c[0].attempt_id, CallReport(AttemptResult("busy")), now=T0)
    finish_attempt(engine, c[1].attempt_id, CallReport(AttemptResult("no_answer")), now=T0)
    machine = AttemptResult("answered", amd="machine")
    finish_attempt(engine, c[2].attempt_id, CallReport(machine), now=T0)
    warm = LeadDraft(60, "warm", "B", "interested")
    finish_attempt(
        engine, c[3].attempt_id, CallReport(answered("interested", 60, "warm"), TURNS, warm), now=T0
    )
    finish_attempt(engine, c[4].attempt_id, CallReport(answered("not_interested", 10)), now=T0)
    f = funnel(engine, cid)
    assert f["contacts"] == 5 and f["dialled"] == 5 and f["attempts"] == 5
    assert f["answered"] == 3 and f["human"] == 2 and f["completed_dialogs"] == 2
    assert f["leads_by_tier"] == {"warm": 1} and f["leads"] == 1
    assert f["retries_pending"] == 3  # busy, no answer, machine
    assert f["rates"]["answer_rate"] == 0.6 and f["rates"]["lead_rate"] == 0.5
    assert f["contacts_by_status"] == {"retry": 3, "done": 2}
    assert len(export_rows(engine, cid)) == 5


def _leads(db_url: str, n: int) -> tuple[Engine, int]:
    engine, cid = make_campaign(db_url, n)
    for i, c in enumerate(claim(engine, cid, n, "w1", LEASE, now=T0)):
        tier = "hot" if i % 3 == 0 else "warm"
        score = 50 + i
        lead = LeadDraft(score, tier, None, f"lead {i}")
        finish_attempt(
            engine, c.attempt_id, CallReport(answered("interested", score, tier), lead=lead), now=T0
        )
    return engine, cid


def test_lead_queue_order_and_results(db_url: str) -> None:
    engine, _ = _leads(db_url, 4)  # scores 50 hot, 51 warm, 52 warm, 53 hot
    order = [(x["tier"], x["score"]) for x in list_leads(engine)]
    assert order == [("hot", 53), ("hot", 50), ("warm", 52), ("warm", 51)]
    first = next_lead(engine, "agent-1", now=T0)
    assert first is not None and (first["score"], first["agent_id"]) == (53, "agent-1")
    with pytest.raises(InvalidInput, match="--at"):
        finish_lead(engine, first["id"], "callback", agent_id="agent-1")
    later = T0 + timedelta(hours=2)
    finish_lead(engine, first["id"], "callback", callback_at=later, now=T0, agent_id="agent-1",
                shared=True)
    # Before its time the callback lead waits; after it, it is first again.
    assert (next_lead(engine, "agent-2", now=T0) or {}).get("score") == 50
    assert (next_lead(engine, "agent-3", now=later) or {}).get("score") == 53
    done = finish_lead(engine, first["id"], "sold", note="opened a deposit", agent_id="agent-3")
    assert done["status"] == "done" and done["result"] == "sold"


def test_two_agents_never_get_the_same_lead(db_url: str) -> None:
    engine, _ = _leads(db_url, 30)
    got: list[int] = []
    lock = threading.Lock()

    def agent(name: str) -> None:
        while (lead := next_lead(engine, name, now=T0)) is not None:
            with lock:
                got.append(lead["id"])
            finish_lead(engine, lead["id"], "sold", agent_id=name, now=T0)

    threads = [threading.Thread(target=agent, args=(f"a{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 30 and len(set(got)) == 30


def test_outbox_retries_with_backoff_until_delivered(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 1)
    (c,) = claim(engine, cid, 1, "w1", LEASE, now=T0)
    lead = LeadDraft(90, "hot", "A", "x")
    finish_attempt(
        engine, c.attempt_id, CallReport(answered("interested"), lead=lead, webhook=True), now=T0
    )
    (msg,) = pending(engine, now=T0)
    failed(engine, msg.id, "connection refused", now=T0)
    assert pending(engine, now=T0 + backoff(1) - timedelta(seconds=1)) == []
    (again,) = pending(engine, now=T0 + backoff(1))
    assert again.tries == 1
    delivered(engine, msg.id)
    assert pending(engine, now=T0 + timedelta(days=1)) == []


def test_agent_ownership_notes_and_callback_times(db_url: str) -> None:
    engine, _ = _leads(db_url, 2)
    held = next_lead(engine, "kim", now=T0)
    assert held is not None
    with pytest.raises(InvalidInput, match="held by agent 'kim'"):
        finish_lead(engine, held["id"], "sold", agent_id="lee", now=T0)
    with pytest.raises(InvalidInput, match="in the past"):
        finish_lead(
            engine, held["id"], "callback", callback_at=T0 - timedelta(hours=1), now=T0,
            agent_id="kim",
        )  # fmt: skip
    with pytest.raises(InvalidInput, match="--result callback"):
        finish_lead(engine, held["id"], "sold", callback_at=T0 + timedelta(hours=1), now=T0)
    later = T0 + timedelta(hours=1)
    finish_lead(engine, held["id"], "callback", "wants the rate sheet", later, T0, "kim")
    again = next_lead(engine, "kim", now=later)
    assert again is not None and again["id"] == held["id"]
    done = finish_lead(engine, held["id"], "sold", "opened", now=later, agent_id="kim")
    assert done["note"] == "wants the rate sheet\nopened", "an earlier note is kept"
    # An unclaimed lead closed by an agent is credited to that agent.
    other = next(x for x in list_leads(engine) if x["status"] == "queued")
    closed = finish_lead(engine, other["id"], "no_sale", agent_id="park", now=later)
    assert closed["agent_id"] == "park"
