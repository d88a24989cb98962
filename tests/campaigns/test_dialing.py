"""Claims, leases and outcomes on both databases (a SQLite file and the real PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from campaigns.db import session
from campaigns.dialing import (
    AttemptResult,
    claim,
    due_contacts,
    explain_due,
    record_outcome,
    recover_worker,
    release,
    renew,
)
from campaigns.errors import AlreadyRecorded
from campaigns.models import Attempt, DncEntry
from campaigns.repo import contact_counts, set_status
from tests.campaigns.helpers import T0, add_contacts, make_campaign

LEASE = timedelta(minutes=10)


def test_claim_leases_each_contact_once(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 25)
    first = claim(engine, cid, 10, "w1", LEASE, now=T0)
    second = claim(engine, cid, 10, "w2", LEASE, now=T0)
    third = claim(engine, cid, 10, "w3", LEASE, now=T0)
    ids = [c.contact_id for c in first + second + third]
    assert len(first) == 10 and len(second) == 10 and len(third) == 5
    assert len(set(ids)) == 25
    assert claim(engine, cid, 10, "w4", LEASE, now=T0) == []
    with session(engine) as s:
        assert contact_counts(s, cid) == {"calling": 25}


def test_outcome_is_recorded_exactly_once_and_reschedules(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 2, retry="busy=30m")
    a, b = claim(engine, cid, 2, "w1", LEASE, now=T0)
    assert record_outcome(engine, a.attempt_id, AttemptResult("busy"), now=T0) == "retry"
    with pytest.raises(AlreadyRecorded):
        record_outcome(engine, a.attempt_id, AttemptResult("answered"), now=T0)
    record_outcome(
        engine, b.attempt_id, AttemptResult("answered", dialog_outcome="interested"), now=T0
    )
    # The busy contact comes back after 30 minutes, not before; the interested one never.
    assert claim(engine, cid, 5, "w1", LEASE, now=T0 + timedelta(minutes=29)) == []
    again = claim(engine, cid, 5, "w1", LEASE, now=T0 + timedelta(minutes=31))
    assert [c.contact_id for c in again] == [a.contact_id]
    assert again[0].attempts_before == 1


def test_expired_lease_comes_back_with_the_old_attempt_closed(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 1, retry="expired=2m")
    (lost,) = claim(engine, cid, 1, "dead-worker", LEASE, now=T0)
    assert claim(engine, cid, 1, "w2", LEASE, now=T0 + timedelta(minutes=5)) == []
    # After the lease ran out the attempt is closed as expired and the retry rule applies.
    later = T0 + LEASE + timedelta(minutes=3)
    (back,) = claim(engine, cid, 1, "w2", LEASE, now=later)
    assert back.contact_id == lost.contact_id and back.attempts_before == 1
    with session(engine) as s:
        old = s.get(Attempt, lost.attempt_id)
        assert old is not None and old.outcome == "expired"
    # The dead worker's late report is refused rather than counted twice.
    with pytest.raises(AlreadyRecorded):
        record_outcome(engine, lost.attempt_id, AttemptResult("answered"), now=later)


def test_renewed_lease_is_not_reclaimed(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 1)
    (c,) = claim(engine, cid, 1, "w1", LEASE, now=T0)
    renew(engine, [c.attempt_id], T0 + 3 * LEASE)
    assert claim(engine, cid, 1, "w2", LEASE, now=T0 + 2 * LEASE) == []


def test_restarted_worker_closes_its_own_open_attempts(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 3)
    claim(engine, cid, 3, "w1", LEASE, now=T0)
    assert recover_worker(engine, "w1", now=T0 + timedelta(seconds=5)) == 3
    with engine.connect() as conn:
        outcomes = conn.execute(sa.select(Attempt.outcome)).scalars().all()  # type: ignore[call-overload]
    assert outcomes == ["expired"] * 3


def test_release_returns_claims_without_counting_an_attempt(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 2)
    claims = claim(engine, cid, 2, "w1", LEASE, now=T0)
    release(engine, [c.attempt_id for c in claims], now=T0)
    again = claim(engine, cid, 5, "w1", LEASE, now=T0 + timedelta(seconds=1))
    assert len(again) == 2 and all(c.attempts_before == 0 for c in again)


def test_do_not_call_paused_campaign_and_closed_window_are_respected(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 3)
    with session(engine) as s:
        s.add(DncEntry(phone="+821000000001", reason="asked", added_at=T0))
        s.commit()
    due = due_contacts(engine, cid, T0)
    assert {d["phone"] for d in due} == {"+821000000000", "+821000000002"}
    # 21:00 in Seoul: nobody is due.
    assert due_contacts(engine, cid, T0 + timedelta(hours=9)) == []
    with session(engine) as s:
        set_status(s, "c1", "paused")
    assert claim(engine, cid, 3, "w1", LEASE, now=T0) == []


def test_only_open_time_zones_are_claimed(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 2)
    add_contacts(engine, cid, 2, tz="America/New_York", start=100)
    # T0 is 12:00 in Seoul and 22:00 the day before in New York.
    claimed = claim(engine, cid, 10, "w1", LEASE, now=T0)
    assert {c.time_zone for c in claimed} == {"Asia/Seoul"}
    with session(engine) as s:
        assert contact_counts(s, cid) == {"calling": 2, "new": 2}


def test_due_query_uses_the_index(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 50)
    plan = " ".join(explain_due(engine, cid, T0)).lower()
    assert "ix_contact_due" in plan
