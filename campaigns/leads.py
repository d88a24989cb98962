"""The tele-sales lead queue: hot before warm, higher score first, older first.

`next_lead` is an atomic claim (SKIP LOCKED on PostgreSQL, the write lock on SQLite): two agents
never get the same lead. A lead the customer wants called back later waits until its time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns.db import write_connection
from campaigns.errors import InvalidInput, NotFound
from campaigns.models import Lead
from campaigns.qa import row_dict as _out
from campaigns.repo import utcnow

L = Lead.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
RESULTS = ("sold", "no_sale", "callback", "unreachable")
QUEUE_ORDER = (L.c.priority, L.c.created_at, L.c.id)


def list_leads(
    engine: Engine,
    campaign_id: int | None = None,
    status: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Leads in queue order (the order `next_lead` hands them out)."""
    q = sa.select(L)
    if campaign_id is not None:
        q = q.where(L.c.campaign_id == campaign_id)
    if status:
        q = q.where(L.c.status == status)
    with engine.connect() as conn:
        return [_out(r) for r in conn.execute(q.order_by(*QUEUE_ORDER).limit(limit)).mappings()]


def next_lead(
    engine: Engine, agent_id: str, campaign_id: int | None = None, now: datetime | None = None
) -> dict[str, Any] | None:
    """Give the best waiting lead to `agent_id`, or None when the queue is empty."""
    now = now or utcnow()
    if not agent_id.strip():
        raise InvalidInput("an agent id is needed (--agent)")
    q = sa.select(L.c.id).where(
        L.c.status == "queued", sa.or_(L.c.callback_at.is_(None), L.c.callback_at <= now)
    )
    if campaign_id is not None:
        q = q.where(L.c.campaign_id == campaign_id)
    q = q.order_by(*QUEUE_ORDER).limit(1)
    with write_connection(engine) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        lead_id = conn.execute(q).scalar()
        if lead_id is None:
            return None
        conn.execute(
            sa.update(L)
            .where(L.c.id == lead_id)
            .values(status="claimed", agent_id=agent_id, claimed_at=now)
        )
        row = conn.execute(sa.select(L).where(L.c.id == lead_id)).mappings().one()
        return _out(row)


def finish_lead(
    engine: Engine,
    lead_id: int,
    result: str,
    note: str | None = None,
    callback_at: datetime | None = None,
    now: datetime | None = None,
    agent_id: str | None = None,
) -> dict[str, Any]:
    """Record an agent's result. `callback` puts the lead back in the queue at `callback_at`.

    With `agent_id`, a lead another agent holds is refused; an unclaimed one is credited to it.
    A note adds to the notes already on the lead."""
    now = now or utcnow()
    if result not in RESULTS:
        raise InvalidInput(f"unknown result {result!r}: use one of {', '.join(RESULTS)}")
    if result == "callback" and callback_at is None:
        raise InvalidInput("a callback needs --at TIME (when to call the customer back)")
    if result != "callback" and callback_at is not None:
        raise InvalidInput("--at is the time of a callback: use it with --result callback")
    with write_connection(engine) as conn, conn.begin():
        row = conn.execute(sa.select(L).where(L.c.id == lead_id)).mappings().first()
        if row is None:
            raise NotFound(f"no lead {lead_id}; `outreach leads list` shows the queue")
        if row["status"] == "done":
            raise InvalidInput(f"lead {lead_id} is already done ({row['result']})")
        holder = row["agent_id"] if row["status"] == "claimed" else None
        if agent_id and holder and holder != agent_id:
            raise InvalidInput(f"lead {lead_id} is held by agent {holder!r}, not {agent_id!r}")
        if callback_at is not None and callback_at <= now:
            raise InvalidInput("the callback time is in the past: give a later --at")
        notes = "\n".join(n for n in (row["note"], note) if n) or None
        values: dict[str, Any] = {"result": result, "note": notes}
        if agent_id and not holder:
            values["agent_id"] = agent_id
        if result == "callback":
            values |= {"status": "queued", "callback_at": callback_at, "agent_id": None}
        else:
            values |= {"status": "done", "done_at": now}
        conn.execute(sa.update(L).where(L.c.id == lead_id).values(**values))
        return _out(conn.execute(sa.select(L).where(L.c.id == lead_id)).mappings().one())
