"""A call that outlived its lease (issue 12): another claim closed its attempt as `expired`
while the customer was still talking. The late report must keep what the call left behind (the
transcript, recording, lead, an opt-out) on that attempt, counted once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from campaigns.calls import CallReport, LeadDraft, TurnRecord, finish_attempt
from campaigns.dialing import AttemptResult, claim
from campaigns.errors import AlreadyRecorded
from campaigns.leads import list_leads
from campaigns.models import Contact
from campaigns.outbox import claim as take_messages
from campaigns.qa import show_call
from tests.campaigns.helpers import T0, make_campaign

LEASE = timedelta(minutes=10)
LATE = T0 + LEASE + timedelta(minutes=2)
TURNS = [
    TurnRecord("robot", "안녕하세요, AI 상담원입니다.", 0.0, 2.5, prompt_id="greeting"),
    TurnRecord("customer", "네 관심 있어요", 3.1, 4.4, confidence=0.9, intent="yes"),
]


def _report(dialog: str, lead: bool = True, opt_out: bool = False) -> CallReport:
    result = AttemptResult("answered", dialog_outcome=dialog, answered_at=T0, duration_s=700.0,
                           score=85, tier="hot", recording_path="/rec/late.wav")  # fmt: skip
    draft = LeadDraft(85, "hot", "A", "wants the new rate") if lead else None
    return CallReport(result, TURNS, draft, opt_out, webhook=True)


def _contact(engine: object, contact_id: int) -> Contact:
    from campaigns.db import session

    with session(engine) as s:  # type: ignore[arg-type]
        contact = s.get(Contact, contact_id)
        assert contact is not None
        return contact


def test_a_late_finish_keeps_the_transcript_recording_and_lead(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 1)
    (slow,) = claim(engine, cid, 1, "w1", LEASE, now=T0)
    assert claim(engine, cid, 1, "w2", LEASE, now=LATE) == [], "expired, retried in an hour"
    lead_id = finish_attempt(engine, slow.attempt_id, _report("interested"), now=LATE)
    assert lead_id is not None and [ld["id"] for ld in list_leads(engine)] == [lead_id]
    assert [m.payload["lead_id"] for m in take_messages(engine, now=LATE)] == [lead_id]
    call = show_call(engine, slow.attempt_id)
    assert [t["text"] for t in call["turns"]] == [t.text for t in TURNS]
    assert (call["outcome"], call["dialog_outcome"]) == ("answered", "interested")
    assert call["recording_path"] == "/rec/late.wav"
    assert "lease" in (call["cause"] or ""), "QA sees that the report came late"
    # The real outcome decides the contact's next step (done), and the attempt counts once.
    contact = _contact(engine, slow.contact_id)
    assert (contact.status, contact.attempts) == ("done", 1)
    assert claim(engine, cid, 1, "w2", LEASE, now=LATE + timedelta(days=2)) == []
    with pytest.raises(AlreadyRecorded):  # a second report of the same call is still refused
        finish_attempt(engine, slow.attempt_id, _report("interested"), now=LATE)
    assert len(list_leads(engine)) == 1


def test_a_late_opt_out_is_kept_although_the_contact_was_claimed_again(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 1, retry="expired=2m")
    (slow,) = claim(engine, cid, 1, "w1", LEASE, now=T0)
    (again,) = claim(engine, cid, 1, "w2", LEASE, now=LATE)  # expired and dialled again
    assert again.contact_id == slow.contact_id
    report = _report("opt_out", lead=False, opt_out=True)
    assert finish_attempt(engine, slow.attempt_id, report, now=LATE + timedelta(minutes=4)) is None
    call = show_call(engine, slow.attempt_id)
    assert call["dialog_outcome"] == "opt_out" and len(call["turns"]) == 2
    assert _contact(engine, slow.contact_id).status == "dnc", "the number is listed at once"
    # The newer attempt's own end leaves the contact listed.
    finish_attempt(engine, again.attempt_id, CallReport(AttemptResult("busy")),
                   now=LATE + timedelta(minutes=5))  # fmt: skip
    assert _contact(engine, slow.contact_id).status == "dnc"
