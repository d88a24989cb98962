"""The outbox: messages (leads for the webhook) written in the same transaction as what they
describe, then delivered at least once, with retries and exponential backoff."""

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


@dataclass(frozen=True)
class Pending:
    id: int
    kind: str
    payload: dict[str, Any]
    tries: int


def pending(engine: Engine, now: datetime | None = None, limit: int = 50) -> list[Pending]:
    """Messages due for (another) delivery try, oldest first."""
    now = now or utcnow()
    q = (
        sa.select(O.c.id, O.c.kind, O.c.payload, O.c.tries)
        .where(O.c.delivered_at.is_(None), O.c.next_try_at <= now)
        .order_by(O.c.next_try_at, O.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [Pending(r.id, r.kind, dict(r.payload), r.tries) for r in conn.execute(q)]


def delivered(engine: Engine, message_id: int, now: datetime | None = None) -> None:
    with write_connection(engine) as conn, conn.begin():
        conn.execute(sa.update(O).where(O.c.id == message_id).values(delivered_at=now or utcnow()))


def backoff(tries: int) -> timedelta:
    """5 s, 10 s, 20 s, ... capped at 30 minutes."""
    return min(MAX_BACKOFF, timedelta(seconds=5 * 2 ** max(0, tries - 1)))


def failed(engine: Engine, message_id: int, error: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    with write_connection(engine) as conn, conn.begin():
        tries = int(conn.execute(sa.select(O.c.tries).where(O.c.id == message_id)).scalar_one())
        conn.execute(
            sa.update(O)
            .where(O.c.id == message_id)
            .values(tries=tries + 1, last_error=error[:500], next_try_at=now + backoff(tries + 1))
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
