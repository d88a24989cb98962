"""The tele-sales lead queue: hot before warm, higher score first, older first.

`next_lead` is an atomic claim (SKIP LOCKED on PostgreSQL, the write lock on SQLite): two agents
never get the same lead, and an agent holds at most one lead at a time (a unique index on claimed
leads per agent makes that a database rule). A claim is a lease: an agent who disappears loses the
lead back to the queue when the lease lapses (`DEFAULT_LEASE`, setting `lead_lease_minutes`).
A lead the customer wants called back later waits until its time, with the agent who booked it
unless it was put in the shared queue; its time must be inside the campaign's calling hours in
the customer's zone (campaigns/callbacks.py). The lead card is in campaigns/lead_card.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from campaigns.callbacks import check_callback_time
from campaigns.db import write_connection
from campaigns.errors import InvalidInput, NotFound
from campaigns.models import Campaign, Contact, DncEntry, Lead
from campaigns.qa import row_dict as _out
from campaigns.repo import policy_of, utcnow

L = Lead.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
D = DncEntry.__table__  # type: ignore[attr-defined]
C = Contact.__table__  # type: ignore[attr-defined]
K = Campaign.__table__  # type: ignore[attr-defined]
RESULTS = ("sold", "no_sale", "callback", "unreachable")
QUEUE_ORDER = (L.c.priority, L.c.created_at, L.c.id)
DEFAULT_LEASE = timedelta(minutes=30)
# A claim given back (released by the agent or a manager): back in the queue, held by nobody.
UNCLAIMED: dict[str, Any] = {"status": "queued", "agent_id": None, "claimed_at": None,
                             "lease_until": None}  # fmt: skip


# A claim whose lease lapsed: back in the queue for anyone, but `agent_id` keeps naming the agent
# who held it until another agent takes it (that agent may still hear its recording).
LAPSED: dict[str, Any] = {"status": "queued", "claimed_at": None, "lease_until": None}


def release_lapsed(conn: Connection, now: datetime) -> int:
    """Put back in the queue every claim whose lease has lapsed; returns how many.

    Claims made before leases existed (no `lease_until`) lapse `DEFAULT_LEASE` after the claim."""
    lapsed = sa.or_(
        L.c.lease_until <= now,
        sa.and_(L.c.lease_until.is_(None), L.c.claimed_at <= now - DEFAULT_LEASE),
    )
    res = conn.execute(
        sa.update(L)
        .where(L.c.status == "claimed", lapsed)
        .values(**LAPSED)
    )
    return int(res.rowcount or 0)


def _check_agent(agent_id: str) -> str:
    if not agent_id.strip():
        raise InvalidInput("an agent id is needed (--agent)")
    return agent_id.strip()


def lead_row(conn: Connection, lead_id: int) -> dict[str, Any]:
    """One lead as stored (times as ISO text), or NotFound saying where to look."""
    row = conn.execute(sa.select(L).where(L.c.id == lead_id)).mappings().first()
    if row is None:
        raise NotFound(f"no lead {lead_id}; `outreach leads list` shows the queue")
    return _out(row)


def visible_to(agent_id: str) -> sa.ColumnElement[bool]:
    """The leads an agent may see: their own, and waiting ones not kept for another agent."""
    waiting = sa.and_(
        L.c.status == "queued",
        sa.or_(L.c.callback_agent_id.is_(None), L.c.callback_agent_id == agent_id),
    )
    return sa.or_(L.c.agent_id == agent_id, waiting)


def may_hear(agent_id: str) -> sa.ColumnElement[bool]:
    """The leads whose recording an agent may hear: the one they hold, one whose lease lapsed
    while they held it (until another agent takes it), a callback kept for them."""
    return sa.or_(
        sa.and_(L.c.status.in_(["claimed", "queued"]), L.c.agent_id == agent_id),
        sa.and_(L.c.status == "queued", L.c.callback_agent_id == agent_id),
    )


def list_leads(
    engine: Engine,
    campaign_id: int | None = None,
    status: str | None = None,
    limit: int = 500,
    for_agent: str | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Leads in queue order (the order `next_lead` hands them out); lapsed claims shown queued.

    `for_agent` keeps only what that agent may see (`visible_to`). Each lead also has its
    contact's `customer_id` (the CRM's id)."""
    q = sa.select(L, C.c.customer_id).join(C, C.c.id == L.c.contact_id)
    if campaign_id is not None:
        q = q.where(L.c.campaign_id == campaign_id)
    if status:
        q = q.where(L.c.status == status)
    if for_agent is not None:
        q = q.where(visible_to(for_agent))
    with write_connection(engine) as conn, conn.begin():
        release_lapsed(conn, now or utcnow())
        return [_out(r) for r in conn.execute(q.order_by(*QUEUE_ORDER).limit(limit)).mappings()]


def held_lead(engine: Engine, agent_id: str, now: datetime | None = None) -> dict[str, Any] | None:
    """The lead `agent_id` holds now (its lease not lapsed), if any."""
    with write_connection(engine) as conn, conn.begin():
        release_lapsed(conn, now or utcnow())
        row = conn.execute(
            sa.select(L).where(L.c.status == "claimed", L.c.agent_id == agent_id)
        ).mappings().first()
        return _out(row) if row else None


def _renew(conn: Connection, lead_id: int, now: datetime, lease: timedelta) -> dict[str, Any]:
    conn.execute(sa.update(L).where(L.c.id == lead_id).values(lease_until=now + lease))
    return lead_row(conn, lead_id)


def _take(
    conn: Connection, lead_id: int, agent_id: str, now: datetime, lease: timedelta
) -> dict[str, Any]:
    """Make the lead `agent_id`'s claim, its lease running from `now`."""
    conn.execute(
        sa.update(L)
        .where(L.c.id == lead_id)
        .values(status="claimed", agent_id=agent_id, claimed_at=now, lease_until=now + lease)
    )
    return lead_row(conn, lead_id)


def next_lead(
    engine: Engine,
    agent_id: str,
    campaign_id: int | None = None,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> dict[str, Any] | None:
    """Give the best waiting lead to `agent_id`, or None when the queue is empty.

    One lead at a time: an agent who already holds one gets that same lead back (its lease
    renewed) with `already_held: True`, never a second one. The agent's own due callbacks come
    first; numbers on the do-not-call list are never handed out."""
    now = now or utcnow()
    agent_id = _check_agent(agent_id)
    for _ in range(2):  # a concurrent claim by the same agent loses on the unique index: retry
        try:
            return _claim_next(engine, agent_id, campaign_id, now, lease)
        except sa.exc.IntegrityError:
            continue
    raise InvalidInput(f"agent {agent_id!r} is taking leads from two places at once; try again")


def _claim_next(
    engine: Engine, agent_id: str, campaign_id: int | None, now: datetime, lease: timedelta
) -> dict[str, Any] | None:
    mine_first = sa.case((L.c.callback_agent_id == agent_id, 0), else_=1)
    q = sa.select(L.c.id).where(
        L.c.status == "queued",
        sa.or_(L.c.callback_at.is_(None), L.c.callback_at <= now),
        sa.or_(L.c.callback_agent_id.is_(None), L.c.callback_agent_id == agent_id),
        ~sa.exists().where(D.c.phone == L.c.phone),
    )
    if campaign_id is not None:
        q = q.where(L.c.campaign_id == campaign_id)
    q = q.order_by(mine_first, *QUEUE_ORDER).limit(1)
    with write_connection(engine) as conn, conn.begin():
        release_lapsed(conn, now)
        held = conn.execute(
            sa.select(L.c.id).where(L.c.status == "claimed", L.c.agent_id == agent_id)
        ).scalar()
        if held is not None:
            return _renew(conn, held, now, lease) | {"already_held": True}
        if conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        lead_id = conn.execute(q).scalar()
        if lead_id is None:
            return None
        return _take(conn, lead_id, agent_id, now, lease) | {"already_held": False}


def renew_lead(
    engine: Engine,
    lead_id: int,
    agent_id: str,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> dict[str, Any]:
    """Keep holding a lead (the agent is still working on it): its lease restarts from `now`."""
    now = now or utcnow()
    with write_connection(engine) as conn, conn.begin():
        release_lapsed(conn, now)
        row = lead_row(conn, lead_id)
        if row["status"] != "claimed" or row["agent_id"] != agent_id:
            raise InvalidInput(
                f"lead {lead_id} is not held by {agent_id!r} (its lease may have lapsed); "
                "take it again with `outreach leads next`"
            )
        return _renew(conn, lead_id, now, lease)


def release_lead(
    engine: Engine, lead_id: int, agent_id: str | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Give a held lead back to the queue. With `agent_id`, only that agent's own claim.

    Without it (a manager's action) whoever holds it loses it: releasing records no result, so
    nothing of another agent's work is lost."""
    now = now or utcnow()
    with write_connection(engine) as conn, conn.begin():
        release_lapsed(conn, now)
        row = lead_row(conn, lead_id)
        if row["status"] != "claimed":
            raise InvalidInput(f"lead {lead_id} is not held by anyone (it is {row['status']})")
        if agent_id is not None and row["agent_id"] != agent_id:
            raise InvalidInput(
                f"lead {lead_id} is held by agent {row['agent_id']!r}, not {agent_id!r}"
            )
        conn.execute(
            sa.update(L)
            .where(L.c.id == lead_id)
            .values(**UNCLAIMED)
        )
        return lead_row(conn, lead_id)


def assign_lead(
    engine: Engine,
    lead_id: int,
    agent_id: str,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> dict[str, Any]:
    """A manager gives a lead to `agent_id`. A callback not yet due stays waiting, kept for that
    agent; any other open lead becomes that agent's claim (refused if they already hold one)."""
    now = now or utcnow()
    agent_id = _check_agent(agent_id)
    with write_connection(engine) as conn, conn.begin():
        release_lapsed(conn, now)
        row = lead_row(conn, lead_id)
        if row["status"] not in ("queued", "claimed"):
            raise InvalidInput(f"lead {lead_id} is {row['status']}: only open leads are assigned")
        due = conn.execute(sa.select(L.c.callback_at).where(L.c.id == lead_id)).scalar()
        if row["status"] == "queued" and due is not None and due > now:
            conn.execute(sa.update(L).where(L.c.id == lead_id).values(callback_agent_id=agent_id))
            return lead_row(conn, lead_id)
        held = conn.execute(
            sa.select(L.c.id).where(
                L.c.status == "claimed", L.c.agent_id == agent_id, L.c.id != lead_id
            )
        ).scalar()
        if held is not None:
            raise InvalidInput(
                f"agent {agent_id!r} already holds lead {held}: one lead at a time; "
                f"release it first (`outreach leads release {held}`)"
            )
        return _take(conn, lead_id, agent_id, now, lease)


def _check_result(result: str, callback_at: datetime | None) -> None:
    if result not in RESULTS:
        raise InvalidInput(f"unknown result {result!r}: use one of {', '.join(RESULTS)}")
    if result == "callback" and callback_at is None:
        raise InvalidInput("a callback needs --at TIME (when to call the customer back)")
    if result != "callback" and callback_at is not None:
        raise InvalidInput("--at is the time of a callback: use it with --result callback")


def customer_zone(conn: Connection, lead_id: int) -> str:
    """The customer's time zone (the contact's), in which callback times are read and checked."""
    tz = conn.execute(
        sa.select(C.c.time_zone).join(L, L.c.contact_id == C.c.id).where(L.c.id == lead_id)
    ).scalar()
    if tz is None:
        raise NotFound(f"no lead {lead_id}; `outreach leads list` shows the queue")
    return str(tz)


def customer_zones(engine: Engine, lead_ids: list[int]) -> dict[int, str]:
    """Each lead's customer's time zone (for showing their callback times)."""
    if not lead_ids:
        return {}
    q = sa.select(L.c.id, C.c.time_zone).join(C, C.c.id == L.c.contact_id)
    with engine.connect() as conn:
        return {int(i): str(tz) for i, tz in conn.execute(q.where(L.c.id.in_(lead_ids)))}


def _check_callback(conn: Connection, lead_id: int, at: datetime, now: datetime) -> None:
    row = conn.execute(
        sa.select(K).join(L, L.c.campaign_id == K.c.id).where(L.c.id == lead_id)
    ).mappings().one()
    check_callback_time(policy_of(Campaign(**row)), at, customer_zone(conn, lead_id), now)


def finish_lead(
    engine: Engine,
    lead_id: int,
    result: str,
    note: str | None = None,
    callback_at: datetime | None = None,
    now: datetime | None = None,
    agent_id: str | None = None,
    shared: bool = False,
) -> dict[str, Any]:
    """Record an agent's result. `callback` puts the lead back in the queue at `callback_at`.

    A lead another agent holds is refused, also without `agent_id` (a manager releases it
    first); an unclaimed one is credited to `agent_id`. A callback must fall inside the
    campaign's calling hours in the customer's zone; it stays with the agent who booked it
    unless `shared` (or booked with no agent). A note adds to the notes already on the lead."""
    now = now or utcnow()
    _check_result(result, callback_at)
    with write_connection(engine) as conn, conn.begin():
        release_lapsed(conn, now)
        row = lead_row(conn, lead_id)
        if row["status"] == "done":
            raise InvalidInput(f"lead {lead_id} is already done ({row['result']})")
        holder = row["agent_id"] if row["status"] == "claimed" else None
        if holder and holder != agent_id:
            raise InvalidInput(
                f"lead {lead_id} is held by agent {holder!r}: give --agent {holder}, "
                f"or release it first (`outreach leads release {lead_id}`)"
            )
        if callback_at is not None:
            _check_callback(conn, lead_id, callback_at, now)
        notes = "\n".join(n for n in (row["note"], note) if n) or None
        values: dict[str, Any] = {"result": result, "note": notes, "lease_until": None}
        if agent_id and not holder:
            values["agent_id"] = agent_id
        if result == "callback":
            keeper = None if shared else (agent_id or holder)
            values |= {"status": "queued", "callback_at": callback_at, "agent_id": None,
                       "claimed_at": None, "callback_agent_id": keeper}  # fmt: skip
        else:
            values |= {"status": "done", "done_at": now}
        conn.execute(sa.update(L).where(L.c.id == lead_id).values(**values))
        return lead_row(conn, lead_id)


def list_callbacks(
    engine: Engine,
    agent_id: str | None = None,
    campaign_id: int | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Callbacks still to make, soonest first. With `agent_id`: the ones kept for that agent
    (and any they hold now); without: every callback, with whom it is kept."""
    q = sa.select(L).where(
        L.c.result == "callback", L.c.status.in_(["queued", "claimed"])
    )
    if agent_id is not None:
        q = q.where(sa.or_(L.c.callback_agent_id == agent_id, L.c.agent_id == agent_id))
    if campaign_id is not None:
        q = q.where(L.c.campaign_id == campaign_id)
    with write_connection(engine) as conn, conn.begin():
        release_lapsed(conn, now or utcnow())
        rows = conn.execute(q.order_by(L.c.callback_at, L.c.id)).mappings()
        return [_out(r) for r in rows]
