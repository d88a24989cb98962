"""The outbox: messages (leads for the webhook) written in the same transaction as what they
describe, then delivered at least once, with retries and exponential backoff. Each message is
claimed with a lease, so two workers never deliver the same one at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns.db import write_connection
from campaigns.models import OutboxMessage
from campaigns.repo import utcnow

O = OutboxMessage.__table__  # type: ignore[attr-defined]  # noqa: E741  # untyped in sqlmodel
MAX_BACKOFF = timedelta(minutes=30)
# How long a claimed message is held by its worker: longer than a batch of posts can take.
LEASE = timedelta(minutes=3)


@dataclass(frozen=True)
class Pending:
    id: int
    kind: str
    payload: dict[str, Any]
    tries: int


def pending(engine: Engine, now: datetime | None = None, limit: int = 50) -> list[Pending]:
    """Messages due for (another) try, oldest first, without claiming them (to look at the
    queue; delivery takes its messages with `claim`)."""
    now = now or utcnow()
    q = (
        sa.select(O.c.id, O.c.kind, O.c.payload, O.c.tries)
        .where(O.c.delivered_at.is_(None), O.c.next_try_at <= now)
        .order_by(O.c.next_try_at, O.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [Pending(r.id, r.kind, dict(r.payload), r.tries) for r in conn.execute(q)]


def claim(
    engine: Engine, now: datetime | None = None, limit: int = 10, lease: timedelta = LEASE
) -> list[Pending]:
    """Take up to `limit` due messages for delivery, oldest first, so no other worker takes them
    within `lease` (their next_try_at is pushed past it: a worker that dies mid-delivery leaves
    them to be retried when the lease ends). PostgreSQL skips rows another worker is taking
    (FOR UPDATE SKIP LOCKED); on SQLite the write lock is held from BEGIN and the update is
    conditional, so a row is only ever taken by one worker at a time."""
    now = now or utcnow()
    due = sa.and_(O.c.delivered_at.is_(None), O.c.next_try_at <= now)
    q = sa.select(O.c.id).where(due).order_by(O.c.next_try_at, O.c.id).limit(limit)
    with write_connection(engine) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        ids = [r.id for r in conn.execute(q)]
        if not ids:
            return []
        taken = conn.execute(
            sa.update(O)
            .where(O.c.id.in_(ids), due)
            .values(next_try_at=now + lease)
            .returning(O.c.id, O.c.kind, O.c.payload, O.c.tries)
        )
        rows = sorted(taken, key=lambda r: ids.index(r.id))
    return [Pending(r.id, r.kind, dict(r.payload), r.tries) for r in rows]


def delivered(engine: Engine, message_id: int, now: datetime | None = None) -> None:
    """Mark a message delivered (the first delivery's time is kept if a late duplicate reports)."""
    with write_connection(engine) as conn, conn.begin():
        conn.execute(
            sa.update(O)
            .where(O.c.id == message_id, O.c.delivered_at.is_(None))
            .values(delivered_at=now or utcnow())
        )


def backoff(tries: int) -> timedelta:
    """5 s, 10 s, 20 s, ... capped at 30 minutes (however many tries: 2**44 s overflowed)."""
    return min(MAX_BACKOFF, timedelta(seconds=5 * 2 ** min(20, max(0, tries - 1))))


def failed(engine: Engine, message_id: int, error: str, now: datetime | None = None) -> None:
    """Count a failed try (in SQL: two workers failing at once both count) and schedule the
    next one after the backoff for the new count."""
    now = now or utcnow()
    with write_connection(engine) as conn, conn.begin():
        tries = conn.execute(
            sa.update(O)
            .where(O.c.id == message_id, O.c.delivered_at.is_(None))
            .values(tries=O.c.tries + 1, last_error=error[:500])
            .returning(O.c.tries)
        ).scalar_one_or_none()
        if tries is not None:
            conn.execute(
                sa.update(O)
                .where(O.c.id == message_id)
                .values(next_try_at=now + backoff(int(tries)))
            )


def stats(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        waiting = conn.execute(
            sa.select(sa.func.count()).where(O.c.delivered_at.is_(None))
        ).scalar()
        done = conn.execute(
            sa.select(sa.func.count()).where(O.c.delivered_at.is_not(None))
        ).scalar()
    return {"waiting": int(waiting or 0), "delivered": int(done or 0)}
