"""Who may be dialled now, claiming them safely, and recording what happened exactly once.

`claim` is atomic across processes and machines: on PostgreSQL the due rows are locked with
`FOR UPDATE SKIP LOCKED`; on SQLite the transaction takes the write lock first (BEGIN IMMEDIATE).
A claim leases the contact until `lease_until` by moving its `next_attempt_at` there, so a worker
that dies simply lets the lease run out; the next claim marks such attempts `expired`
and reschedules their contacts by the retry rules before it claims anything new.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from campaigns.db import write_connection
from campaigns.errors import AlreadyRecorded, NotFound
from campaigns.leasing import lease_rows
from campaigns.models import Attempt, Campaign, Contact, DncEntry
from campaigns.number_caps import caps_for, hold_capped
from campaigns.policy import (
    CallingPolicy,
    ContactProgress,
    NumberCaps,
    after_attempt,
    open_time_zones,
)
from campaigns.repo import policy_of, utcnow

C = Contact.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
A = Attempt.__table__  # type: ignore[attr-defined]
D = DncEntry.__table__  # type: ignore[attr-defined]
K = Campaign.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Claim:
    """A contact leased to one worker for one attempt."""

    attempt_id: str
    contact_id: int
    campaign_id: int
    phone: str
    name: str | None
    time_zone: str
    attributes: dict[str, Any]
    attempts_before: int
    lease_until: datetime


@dataclass(frozen=True)
class AttemptResult:
    """What an attempt came to. `outcome` is the dial result; `dialog_outcome` the script's end."""

    outcome: str
    amd: str | None = None
    amd_cause: str | None = None  # Asterisk's AMDCAUSE (why AMD decided what it did)
    cause: str | None = None
    dialog_outcome: str | None = None
    callback_at: datetime | None = None
    answered_at: datetime | None = None
    duration_s: float | None = None
    score: int | None = None
    tier: str | None = None
    grade: str | None = None
    score_breakdown: Sequence[Any] = ()
    recording_path: str | None = None


def campaign_row(conn: Connection, campaign_id: int) -> Campaign:
    row = conn.execute(sa.select(K).where(K.c.id == campaign_id)).mappings().first()
    if row is None:
        raise NotFound(f"no campaign with id {campaign_id}")
    return Campaign.model_validate(dict(row))




def queued_time_zones(conn: Connection, campaign_id: int) -> list[str]:
    """Distinct time zones of queued contacts by index seeks (a loose index scan), not a scan."""
    sql = sa.text(
        """
        WITH RECURSIVE tz(z) AS (
          SELECT MIN(time_zone) FROM contact WHERE campaign_id = :c AND queued = :q
          UNION ALL
          SELECT (SELECT MIN(time_zone) FROM contact
                  WHERE campaign_id = :c AND queued = :q AND time_zone > tz.z)
          FROM tz WHERE tz.z IS NOT NULL
        )
        SELECT z FROM tz WHERE z IS NOT NULL
        """
    )
    return [r[0] for r in conn.execute(sql, {"c": campaign_id, "q": True})]


def due_query(campaign_id: int, zone: str, now: datetime, limit: int) -> sa.Select[Any]:
    """Contacts of one time zone that may be dialled at `now`: one index range, read in order.

    One query per open zone (not `time_zone IN (...)`): only then can the database read the
    index in `next_attempt_at` order and stop after `limit` rows instead of sorting them all.
    """
    not_dnc = ~sa.exists().where(D.c.phone == C.c.phone)
    return (
        sa.select(
            C.c.id,
            C.c.phone,
            C.c.name,
            C.c.time_zone,
            C.c.attributes,
            C.c.attempts,
            C.c.next_attempt_at,
        )
        .where(
            C.c.campaign_id == campaign_id,
            C.c.queued == sa.true(),
            C.c.time_zone == zone,
            C.c.next_attempt_at <= now,
            not_dnc,
        )
        .order_by(C.c.next_attempt_at)
        .limit(limit)
    )


def _due_rows(
    conn: Connection, campaign_id: int, zones: Sequence[str], now: datetime, limit: int,
    lock: bool = False,
) -> list[Any]:  # fmt: skip
    """The `limit` longest-waiting due rows over all open zones (locked, for a claim)."""
    rows: list[Any] = []
    for zone in zones:
        q = due_query(campaign_id, zone, now, limit)
        if lock and conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True, of=C)
        rows.extend(conn.execute(q).all())
    rows.sort(key=lambda r: (r.next_attempt_at, r.id))
    return rows[:limit]


def due_contacts(
    engine: Engine, campaign_id: int, now: datetime, limit: int = 100
) -> list[dict[str, Any]]:
    """Contacts that may be dialled at `now`: window open locally, not DNC, attempts left, due."""
    with engine.connect() as conn:
        campaign = campaign_row(conn, campaign_id)
        zones = open_time_zones(policy_of(campaign), queued_time_zones(conn, campaign_id), now)
        if not zones:
            return []
        return [dict(r._mapping) for r in _due_rows(conn, campaign_id, zones, now, limit)]


def explain_due(engine: Engine, campaign_id: int, now: datetime) -> list[str]:
    """The database's plan for the due query, to show it uses the index."""
    with engine.connect() as conn:
        zones = queued_time_zones(conn, campaign_id) or ["UTC"]
        q = due_query(campaign_id, zones[0], now, 100)
        compiled = q.compile(conn, compile_kwargs={"literal_binds": True})
        prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
        rows = conn.exec_driver_sql(prefix + str(compiled)).all()
        return [str(r[-1]) for r in rows]


def _progress(row: Any) -> ContactProgress:
    return ContactProgress(row.attempts, row.day_attempts, row.day_key, row.time_zone)


def _apply(
    conn: Connection,
    policy: CallingPolicy,
    attempt_id: str,
    result: AttemptResult,
    now: datetime,
) -> str:
    """Close the attempt (exactly once) and reschedule its contact. Returns the contact's status."""
    att = conn.execute(sa.select(A).where(A.c.id == attempt_id)).first()
    if att is None:
        raise NotFound(f"no attempt {attempt_id}")
    closed = conn.execute(
        sa.update(A)
        .where(A.c.id == attempt_id, A.c.outcome.is_(None))
        .values(**attempt_values(result, now))
    )
    if closed.rowcount != 1:
        raise AlreadyRecorded(f"attempt {attempt_id} already has an outcome ({att.outcome})")
    contact = conn.execute(sa.select(C).where(C.c.id == att.contact_id)).first()
    assert contact is not None  # foreign key
    if contact.current_attempt_id != attempt_id:
        return str(contact.status)  # the lease had passed to a newer attempt: leave it alone
    return reschedule(conn, policy, contact, _progress(contact), result, now)


def attempt_values(result: AttemptResult, now: datetime) -> dict[str, Any]:
    """The attempt's columns for `result`, ended at `now`."""
    return {
        "outcome": result.outcome,
        "ended_at": now,
        "amd": result.amd,
        "amd_cause": result.amd_cause,
        "cause": result.cause,
        "dialog_outcome": result.dialog_outcome,
        "answered_at": result.answered_at,
        "duration_s": result.duration_s,
        "score": result.score,
        "tier": result.tier,
        "grade": result.grade,
        "score_breakdown": list(result.score_breakdown),
        "recording_path": result.recording_path,
        # Never dialled (the script could not speak to the contact): not a call to count.
        "dialled_at": None if result.outcome == "invalid" else A.c.dialled_at,
    }


def reschedule(
    conn: Connection, policy: CallingPolicy, contact: Any, progress: ContactProgress,
    result: AttemptResult, now: datetime,
) -> str:  # fmt: skip
    """The contact's next step after `result` (from `progress`); its status."""
    d = after_attempt(
        policy,
        progress,
        result.outcome,
        now,
        dialog_outcome=result.dialog_outcome,
        callback_at=result.callback_at,
    )
    queued = d.status == "retry"
    conn.execute(
        sa.update(C)
        .where(C.c.id == contact.id)
        .values(
            status=d.status if contact.status != "dnc" else "dnc",
            queued=queued and contact.status != "dnc",
            attempts=d.attempts,
            day_attempts=d.day_attempts,
            day_key=d.day_key,
            next_attempt_at=d.next_at or now,
            lease_owner=None,
            current_attempt_id=None,
            last_outcome=result.dialog_outcome or result.outcome,
            hold_reason=None,
        )
    )
    return d.status


def close_attempt(conn: Connection, attempt_id: str, result: AttemptResult, now: datetime) -> str:
    """Inside a write transaction: record the outcome once and reschedule the contact."""
    campaign_id = conn.execute(sa.select(A.c.campaign_id).where(A.c.id == attempt_id)).scalar()
    if campaign_id is None:
        raise NotFound(f"no attempt {attempt_id}")
    return _apply(conn, policy_of(campaign_row(conn, campaign_id)), attempt_id, result, now)


def record_outcome(
    engine: Engine, attempt_id: str, result: AttemptResult, now: datetime | None = None
) -> str:
    """Record an attempt's outcome exactly once (AlreadyRecorded on a second try) and reschedule."""
    with write_connection(engine) as conn, conn.begin():
        return close_attempt(conn, attempt_id, result, now or utcnow())


def _expire(conn: Connection, policy: CallingPolicy, where: Any, now: datetime) -> int:
    """Close the open attempts matching `where` as expired. Another worker expiring the same
    leases at the same moment holds their rows: they are skipped here (it closes them), and one
    closed meanwhile by its own late report is left alone, so the loser of the race goes on."""
    q = sa.select(A.c.id, A.c.lease_until).where(A.c.outcome.is_(None), where)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    count = 0
    for attempt_id, lease_until in conn.execute(q).all():
        try:
            # The attempt ended, as far as anyone can know, when its lease ran out.
            _apply(conn, policy, attempt_id, AttemptResult("expired"), min(now, lease_until))
        except AlreadyRecorded:
            continue
        count += 1
    return count


def claim(
    engine: Engine,
    campaign_id: int,
    n: int,
    worker_id: str,
    lease: timedelta,
    now: datetime | None = None,
    caps: NumberCaps | None = None,
) -> list[Claim]:
    """Atomically lease up to `n` due contacts of an active campaign to `worker_id`; numbers
    over the per-number caps (`caps` and the campaign's, across campaigns) are held back."""
    now = now or utcnow()
    lease_until = now + lease
    with write_connection(engine) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            # Not flushed at commit: a claim lost in a crash only means nobody was leased. The
            # dial gate's own commit, before any call, flushes the log with this claim in it.
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        campaign = campaign_row(conn, campaign_id)
        if campaign.status != "active":
            return []
        policy = policy_of(campaign)
        _expire(conn, policy, sa.and_(A.c.campaign_id == campaign_id, A.c.lease_until < now), now)
        zones = open_time_zones(policy, queued_time_zones(conn, campaign_id), now)
        if not zones or n <= 0:
            return []
        rows = _due_rows(conn, campaign_id, zones, now, n, lock=True)
        rows = hold_capped(conn, caps_for(campaign, caps), rows, now)
        claims = [
            Claim(
                attempt_id=str(uuid.uuid4()),
                contact_id=r.id,
                campaign_id=campaign_id,
                phone=r.phone,
                name=r.name,
                time_zone=r.time_zone,
                attributes=dict(r.attributes or {}),
                attempts_before=r.attempts,
                lease_until=lease_until,
            )
            for r in rows
        ]
        if not claims:
            return []
        lease_rows(conn, campaign_id, [(c.contact_id, c.attempt_id, c.phone) for c in claims],
                   worker_id, now, lease_until)  # fmt: skip
        return claims


def renew(engine: Engine, attempt_ids: Sequence[str], lease_until: datetime) -> int:
    """Extend the leases of calls still in progress (a long call must not be reclaimed)."""
    if not attempt_ids:
        return 0
    with write_connection(engine) as conn, conn.begin():
        conn.execute(
            sa.update(A)
            .where(A.c.id.in_(list(attempt_ids)), A.c.outcome.is_(None))
            .values(lease_until=lease_until)
        )
        res = conn.execute(
            sa.update(C)
            .where(C.c.current_attempt_id.in_(list(attempt_ids)))
            .values(next_attempt_at=lease_until)
        )
        return int(res.rowcount)


def recover_worker(engine: Engine, worker_id: str, now: datetime | None = None) -> int:
    """At a worker's start: its attempts still open belong to a dead process; expire them now."""
    now = now or utcnow()
    count = 0
    with write_connection(engine) as conn, conn.begin():
        campaign_ids = {
            r[0]
            for r in conn.execute(
                sa.select(A.c.campaign_id).where(A.c.worker_id == worker_id, A.c.outcome.is_(None))
            )
        }
        for cid in campaign_ids:
            policy = policy_of(campaign_row(conn, cid))
            where = sa.and_(A.c.campaign_id == cid, A.c.worker_id == worker_id)
            count += _expire(conn, policy, where, now)
    return count


def release(engine: Engine, attempt_ids: Sequence[str], now: datetime | None = None) -> None:
    """Give back claims that were never dialled (e.g. a pause): no attempt is counted."""
    if not attempt_ids:
        return
    now = now or utcnow()
    with write_connection(engine) as conn, conn.begin():
        conn.execute(
            sa.update(C)
            .where(C.c.current_attempt_id.in_(list(attempt_ids)))
            .values(
                status=sa.case(
                    (C.c.status == "dnc", "dnc"), (C.c.attempts == 0, "new"), else_="retry"
                ),
                lease_owner=None,
                current_attempt_id=None,
                next_attempt_at=now,
                hold_reason=None,
            )
        )
        conn.execute(sa.delete(A).where(A.c.id.in_(list(attempt_ids)), A.c.outcome.is_(None)))
