"""The end of a call, stored together in one transaction: outcome, transcript, lead, webhook
message and do-not-call entry. Also what QA reads back: call lists, one call, exports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from campaigns.call_text import store_search_row
from campaigns.db import write_connection
from campaigns.dialing import AttemptResult, close_attempt
from campaigns.dnc import add_dnc_rows
from campaigns.errors import AlreadyRecorded, NotFound
from campaigns.late import record_late
from campaigns.models import Attempt, Contact, Lead, OutboxMessage, Turn
from campaigns.repo import utcnow

A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
T = Turn.__table__  # type: ignore[attr-defined]
L = Lead.__table__  # type: ignore[attr-defined]
C = Contact.__table__  # type: ignore[attr-defined]
O = OutboxMessage.__table__  # type: ignore[attr-defined]  # noqa: E741

OPT_OUT_REASON = "asked not to be called again, during the call"
TIER_RANK = {"hot": 0, "warm": 1, "cold": 2, "do-not-call": 3}


@dataclass(frozen=True)
class TurnRecord:
    speaker: str  # robot | customer | system
    text: str
    start_s: float
    end_s: float
    confidence: float | None = None
    intent: str | None = None
    prompt_id: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class LeadDraft:
    score: int
    tier: str
    grade: str | None
    summary: str
    transferred: bool = False
    callback_at: datetime | None = None


@dataclass(frozen=True)
class CallReport:
    """Everything a finished call leaves behind."""

    result: AttemptResult
    turns: Sequence[TurnRecord] = ()
    lead: LeadDraft | None = None
    opt_out: bool = False
    webhook: bool = False  # also queue the lead for the webhook (outbox)
    extra: dict[str, Any] = field(default_factory=dict)
    script_version: str | None = None  # the campaign's script version the call ran


def lead_priority(tier: str, score: int) -> int:
    return TIER_RANK.get(tier, 9) * 1000 + (100 - max(0, min(100, score)))


def finish_attempt(
    engine: Engine, attempt_id: str, report: CallReport, now: datetime | None = None
) -> int | None:
    """Store a finished call. Returns the new lead's id, if one was made. A report that comes
    after a claim expired its attempt is stored on that attempt; a second report of one call
    raises AlreadyRecorded and stores nothing."""
    now = now or utcnow()
    with write_connection(engine) as conn, conn.begin():
        att = conn.execute(sa.select(A).where(A.c.id == attempt_id)).first()
        if att is None:
            raise NotFound(f"no attempt {attempt_id}")
        if report.opt_out:
            add_dnc_rows(conn, [att.phone], OPT_OUT_REASON, f"call:{attempt_id}", now)
        try:
            close_attempt(conn, attempt_id, report.result, now)
        except AlreadyRecorded:
            # A call that outlived its lease keeps what it left behind (campaigns/late.py).
            if not record_late(conn, attempt_id, report.result, now):
                raise
        if report.script_version is not None:
            conn.execute(sa.update(A).where(A.c.id == attempt_id)
                         .values(script_version=report.script_version))  # fmt: skip
        if report.turns:
            conn.execute(
                sa.insert(T),
                [
                    {"attempt_id": attempt_id, "seq": i, **t.__dict__}
                    for i, t in enumerate(report.turns)
                ],
            )
            # QA's search row goes with the turns: any path that stores turns must do both.
            store_search_row(conn, attempt_id, report.turns)
        if report.lead is None:
            return None
        return _insert_lead(conn, att, report, now)


def _insert_lead(conn: Connection, att: Any, report: CallReport, now: datetime) -> int:
    lead = report.lead
    assert lead is not None
    contact = conn.execute(
        sa.select(C.c.name, C.c.customer_id, C.c.attributes).where(C.c.id == att.contact_id)
    ).one()
    name, customer_id = contact.name, contact.customer_id
    attributes = dict(contact.attributes or {})
    values = {
        "campaign_id": att.campaign_id,
        "contact_id": att.contact_id,
        "attempt_id": att.id,
        "phone": att.phone,
        "name": name,
        "score": lead.score,
        "tier": lead.tier,
        "grade": lead.grade,
        "priority": lead_priority(lead.tier, lead.score),
        "summary": lead.summary,
        "status": "transferred" if lead.transferred else "queued",
        "callback_at": lead.callback_at,
        "created_at": now,
    }
    lead_id = int(conn.execute(sa.insert(L).values(**values).returning(L.c.id)).scalar_one())
    if report.webhook:
        payload = {
            "lead_id": lead_id,
            "attempt_id": att.id,
            "campaign_id": att.campaign_id,
            "phone": att.phone,
            "name": name,
            "customer_id": customer_id,  # the CRM matches the lead by its own id
            "attributes": attributes,
            "score": lead.score,
            "tier": lead.tier,
            "grade": lead.grade,
            "summary": lead.summary,
            "transferred": lead.transferred,
            "created_at": now.isoformat(),
        }
        conn.execute(
            sa.insert(O).values(kind="lead", payload=payload, created_at=now, next_try_at=now)
        )
    return lead_id
