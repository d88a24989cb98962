"""Agents' leads: one at a time, leased and given back when the agent disappears, callbacks kept
with the agent who booked them and only inside calling hours, the lead card. On both backends."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from campaigns.calls import CallReport, LeadDraft, TurnRecord, finish_attempt
from campaigns.db import session
from campaigns.dialing import AttemptResult, claim
from campaigns.dnc import add_dnc
from campaigns.errors import InvalidInput
from campaigns.lead_card import show_lead
from campaigns.leads import (
    assign_lead,
    finish_lead,
    held_lead,
    list_callbacks,
    list_leads,
    next_lead,
    release_lead,
    renew_lead,
)
from tests.campaigns.helpers import T0, make_campaign

TURNS = [
    TurnRecord("robot", "안녕하세요, AI 상담원입니다.", 0.0, 2.5, prompt_id="greeting"),
    TurnRecord("customer", "네 관심 있어요", 3.1, 3.9, confidence=0.88, intent="yes"),
]
REASONS = [{"points": 40, "reason": "said yes to the offer"}, {"points": 30, "reason": "asked"}]


def leads_of(db_url: str, n: int) -> Engine:
    """`n` leads, scores 90, 89, ...: lead ids come out in queue order."""
    engine, cid = make_campaign(db_url, n)
    for i, c in enumerate(claim(engine, cid, n, "w1", timedelta(minutes=10), now=T0)):
        result = AttemptResult("answered", dialog_outcome="interested", score=90 - i, tier="hot",
                               score_breakdown=REASONS, recording_path=f"/rec/{i}.wav")  # fmt: skip
        lead = LeadDraft(90 - i, "hot", "A", f"lead {i}")
        finish_attempt(engine, c.attempt_id, CallReport(result, TURNS, lead), now=T0)
    return engine


def test_an_agent_holds_one_lead_at_a_time(db_url: str) -> None:
    engine = leads_of(db_url, 3)
    first = next_lead(engine, "kim", now=T0)
    assert first is not None and first["already_held"] is False
    again = next_lead(engine, "kim", now=T0 + timedelta(minutes=5))
    assert again is not None and again["id"] == first["id"] and again["already_held"] is True
    assert [x["agent_id"] for x in list_leads(engine, status="claimed", now=T0)] == ["kim"]
    # Asking again renewed the lease from that moment.
    assert again["lease_until"].startswith((T0 + timedelta(minutes=35)).isoformat()[:16])
    finish_lead(engine, first["id"], "sold", agent_id="kim", now=T0)
    second = next_lead(engine, "kim", now=T0)
    assert second is not None and second["id"] != first["id"] and not second["already_held"]


def test_one_agent_asking_from_two_places_at_once_still_gets_one_lead(db_url: str) -> None:
    engine = leads_of(db_url, 6)
    got: list[int] = []

    def take() -> None:
        lead = next_lead(engine, "kim", now=T0)
        assert lead is not None
        got.append(lead["id"])

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and len(set(got)) == 1
    assert len(list_leads(engine, status="claimed", now=T0)) == 1


def test_a_lead_comes_back_when_the_agents_lease_lapses(db_url: str) -> None:
    engine = leads_of(db_url, 1)
    held = next_lead(engine, "kim", now=T0, lease=timedelta(minutes=30))
    assert held is not None
    assert next_lead(engine, "lee", now=T0 + timedelta(minutes=29)) is None
    back = next_lead(engine, "lee", now=T0 + timedelta(minutes=31))
    assert back is not None and back["id"] == held["id"] and back["agent_id"] == "lee"
    assert held_lead(engine, "kim", now=T0 + timedelta(minutes=31)) is None
    # kim comes back too late: the lead is lee's now, kim cannot close it.
    with pytest.raises(InvalidInput, match="held by agent 'lee'"):
        finish_lead(engine, held["id"], "sold", agent_id="kim", now=T0 + timedelta(minutes=32))
    with pytest.raises(InvalidInput, match="not held by 'kim'"):
        renew_lead(engine, held["id"], "kim", now=T0 + timedelta(minutes=32))
    renew_lead(engine, held["id"], "lee", now=T0 + timedelta(minutes=50))
    assert next_lead(engine, "park", now=T0 + timedelta(minutes=79)) is None  # renewed at :50


def test_done_without_agent_never_closes_another_agents_lead(db_url: str) -> None:
    engine = leads_of(db_url, 2)
    held = next_lead(engine, "kim", now=T0)
    assert held is not None
    with pytest.raises(InvalidInput, match="held by agent 'kim': give --agent kim"):
        finish_lead(engine, held["id"], "sold", now=T0)
    assert (held_lead(engine, "kim", now=T0) or {}).get("id") == held["id"]
    # An unclaimed lead may be closed by a manager (no agent).
    other = next(x for x in list_leads(engine, now=T0) if x["status"] == "queued")
    assert finish_lead(engine, other["id"], "unreachable", now=T0)["status"] == "done"


def test_release_only_by_the_holder_or_a_manager(db_url: str) -> None:
    engine = leads_of(db_url, 1)
    held = next_lead(engine, "kim", now=T0)
    assert held is not None
    with pytest.raises(InvalidInput, match="held by agent 'kim', not 'lee'"):
        release_lead(engine, held["id"], "lee", now=T0)
    assert release_lead(engine, held["id"], "kim", now=T0)["status"] == "queued"
    with pytest.raises(InvalidInput, match="not held by anyone"):
        release_lead(engine, held["id"], now=T0)
    assert (next_lead(engine, "lee", now=T0) or {}).get("id") == held["id"]
    assert release_lead(engine, held["id"], now=T0)["agent_id"] is None  # a manager's release


def test_assign_moves_a_lead_and_keeps_one_at_a_time(db_url: str) -> None:
    engine = leads_of(db_url, 2)
    a = next_lead(engine, "kim", now=T0)
    b = next_lead(engine, "lee", now=T0)
    assert a is not None and b is not None
    with pytest.raises(InvalidInput, match="already holds lead"):
        assign_lead(engine, a["id"], "lee", now=T0)
    moved = assign_lead(engine, a["id"], "park", now=T0)
    assert (moved["status"], moved["agent_id"]) == ("claimed", "park")
    with pytest.raises(InvalidInput, match="held by agent 'park'"):
        finish_lead(engine, a["id"], "sold", agent_id="kim", now=T0)


# T0 is Wednesday 12:00 in Seoul; the campaign calls mon-sat 09:00-20:00 (the defaults).
SEOUL = "Asia/Seoul"


def seoul(text: str) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(SEOUL)).astimezone(UTC)


def test_a_callback_outside_calling_hours_is_refused_with_the_nearest_allowed_time(
    db_url: str,
) -> None:
    engine = leads_of(db_url, 1)
    held = next_lead(engine, "kim", now=T0)
    assert held is not None
    sunday_3am = seoul("2026-03-08T03:00")
    with pytest.raises(InvalidInput) as exc:
        finish_lead(engine, held["id"], "callback", callback_at=sunday_3am, now=T0, agent_id="kim")
    msg = str(exc.value)
    assert "Sun 2026-03-08 03:00 Asia/Seoul is outside the campaign's calling hours" in msg
    assert "nearest allowed time is Sat 2026-03-07 19:59 Asia/Seoul" in msg
    early_tuesday = seoul("2026-03-10T07:30")  # nearer the morning than the evening before
    with pytest.raises(InvalidInput, match="nearest allowed time is Tue 2026-03-10 09:00"):
        finish_lead(engine, held["id"], "callback", callback_at=early_tuesday, now=T0,
                    agent_id="kim")  # fmt: skip
    assert (held_lead(engine, "kim", now=T0) or {}).get("id") == held["id"], "nothing changed"
    ok = finish_lead(engine, held["id"], "callback", callback_at=seoul("2026-03-09T10:00"),
                     now=T0, agent_id="kim")  # fmt: skip
    assert ok["status"] == "queued" and ok["callback_agent_id"] == "kim"


def test_a_callback_is_read_in_the_customers_zone(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 0)
    from tests.campaigns.helpers import add_contacts

    add_contacts(engine, cid, 1, tz="America/New_York")  # the customer lives in New York
    (c,) = claim(engine, cid, 1, "w1", timedelta(minutes=10), now=seoul("2026-03-04T23:00"))
    result = AttemptResult("answered", dialog_outcome="interested", score=80, tier="hot")
    finish_attempt(engine, c.attempt_id, CallReport(result, TURNS, LeadDraft(80, "hot", "A", "x")))
    lead = list_leads(engine)[0]
    # 10:00 in Seoul on Thursday is 20:00 on Wednesday in New York: after its 20:00 close.
    with pytest.raises(InvalidInput, match=r"Wed 2026-03-04 20:00 America/New_York"):
        finish_lead(engine, lead["id"], "callback", callback_at=seoul("2026-03-05T10:00"),
                    now=T0)  # fmt: skip


def test_a_callback_stays_with_the_agent_who_booked_it(db_url: str) -> None:
    engine = leads_of(db_url, 2)
    held = next_lead(engine, "kim", now=T0)
    assert held is not None
    at = T0 + timedelta(hours=1)
    finish_lead(engine, held["id"], "callback", "call after lunch", at, T0, "kim")
    lee = next_lead(engine, "lee", now=at)  # due, but kept for kim: lee gets the other lead
    assert lee is not None and lee["id"] != held["id"]
    finish_lead(engine, lee["id"], "sold", agent_id="lee", now=at)
    assert next_lead(engine, "lee", now=at) is None
    assert [x["id"] for x in list_callbacks(engine, "kim", now=at)] == [held["id"]]
    assert list_callbacks(engine, "lee", now=at) == []
    assert held["id"] not in [x["id"] for x in list_leads(engine, for_agent="lee", now=at)]
    mine = next_lead(engine, "kim", now=at)
    assert mine is not None and mine["id"] == held["id"]
    # Put in the shared queue, anyone may take it.
    finish_lead(engine, held["id"], "callback", None, at + timedelta(hours=1), at, "kim", True)
    shared = next_lead(engine, "lee", now=at + timedelta(hours=1))
    assert shared is not None and shared["id"] == held["id"]


def test_a_callback_kept_for_an_agent_can_be_reassigned(db_url: str) -> None:
    engine = leads_of(db_url, 1)
    held = next_lead(engine, "kim", now=T0)
    assert held is not None
    at = T0 + timedelta(hours=1)
    finish_lead(engine, held["id"], "callback", callback_at=at, now=T0, agent_id="kim")
    moved = assign_lead(engine, held["id"], "lee", now=T0)
    assert (moved["status"], moved["callback_agent_id"]) == ("queued", "lee")
    assert next_lead(engine, "kim", now=at) is None
    assert (next_lead(engine, "lee", now=at) or {}).get("id") == held["id"]


def test_a_number_put_on_do_not_call_is_not_handed_to_an_agent(db_url: str) -> None:
    engine = leads_of(db_url, 2)
    first = list_leads(engine)[0]
    with session(engine) as s:
        add_dnc(s, [first["phone"]], "asked the bank by letter")
    got = next_lead(engine, "kim", now=T0)
    assert got is not None and got["id"] != first["id"]


def test_the_lead_card_has_what_an_agent_needs(db_url: str) -> None:
    engine = leads_of(db_url, 1)
    lead = list_leads(engine)[0]
    card = show_lead(engine, lead["id"])
    assert card["campaign"] == "c1" and card["phone"] == "+821000000000"
    assert card["phone_national"] == "010-0000-0000"
    assert (card["tier"], card["score"], card["summary"]) == ("hot", 90, "lead 0")
    assert card["score_reasons"] == REASONS
    assert [t["text"] for t in card["transcript"]] == [t.text for t in TURNS]
    assert card["recording_path"] == "/rec/0.wav" and card["time_zone"] == SEOUL
