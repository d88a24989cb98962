"""Looking up and removing contacts: by phone, name, customer id and status, in one campaign or
in all of them.

Removing keeps history. A contact that was never dialled has nothing to keep and is deleted (it
can be imported again); one with attempts becomes `removed`: out of the queue for good, its
calls, transcripts and leads still readable. A contact being called right now is refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns.db import write_connection
from campaigns.errors import InvalidInput
from campaigns.models import Attempt, Campaign, Contact

C = Contact.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
A = Attempt.__table__  # type: ignore[attr-defined]
K = Campaign.__table__  # type: ignore[attr-defined]

STATUSES = ("new", "calling", "retry", "done", "dnc", "exhausted", "removed")
COLUMNS = (
    C.c.id, K.c.name.label("campaign"), C.c.phone, C.c.name, C.c.customer_id, C.c.status,
    C.c.attempts, C.c.last_outcome, C.c.next_attempt_at, C.c.hold_reason, C.c.time_zone,
    C.c.attributes, C.c.source_line,
)  # fmt: skip


@dataclass(frozen=True)
class ContactQuery:
    """Criteria that must all hold; `text` matches a phone, a name or a customer id."""

    campaign_id: int | None = None
    text: str | None = None
    text_phone: str | None = None  # `text` read as a phone number (E.164), when it is one
    phone: str | None = None  # E.164
    name: str | None = None  # part of the name, any case
    customer_id: str | None = None  # exact
    status: str | None = None

    def empty(self) -> bool:
        return not any((self.text, self.phone, self.name, self.customer_id, self.status))


def _conditions(q: ContactQuery) -> list[Any]:
    where: list[Any] = []
    if q.campaign_id is not None:
        where.append(C.c.campaign_id == q.campaign_id)
    if q.status is not None:
        if q.status not in STATUSES:
            raise InvalidInput(f"unknown status {q.status!r}: use one of {', '.join(STATUSES)}")
        where.append(C.c.status == q.status)
    if q.phone is not None:
        where.append(C.c.phone == q.phone)
    if q.name:
        where.append(C.c.name.icontains(q.name, autoescape=True))
    if q.customer_id:
        where.append(C.c.customer_id == q.customer_id)
    if q.text:
        text = q.text.strip()
        anyof = [C.c.name.icontains(text, autoescape=True), C.c.customer_id == text]
        digits = re.sub(r"\D", "", text)
        if q.text_phone is not None:
            anyof.append(C.c.phone == q.text_phone)
        elif len(digits) >= 4 and re.fullmatch(r"[\d\s()+\-.]+", text):
            anyof.append(C.c.phone.contains(digits, autoescape=True))  # part of a number
        where.append(sa.or_(*anyof))
    return where


def find_contacts(
    engine: Engine, q: ContactQuery, limit: int = 100, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """Matching contacts in import order (at most `limit`), and how many match in all."""
    if limit < 1:
        raise InvalidInput("--limit must be at least 1")
    where = _conditions(q)
    base = sa.select(*COLUMNS).join(K, K.c.id == C.c.campaign_id).where(*where)
    count = sa.select(sa.func.count()).select_from(C).where(*where)
    with engine.connect() as conn:
        total = int(conn.execute(count).scalar_one())
        rows = conn.execute(base.order_by(C.c.campaign_id, C.c.id).limit(limit).offset(offset))
        return [_out(r) for r in rows.mappings()], total


def _out(row: Any) -> dict[str, Any]:
    out = dict(row)
    out["next_attempt_at"] = out["next_attempt_at"].isoformat() if out["next_attempt_at"] else None
    out["attributes"] = dict(out["attributes"] or {})
    return out


def attempts_of(engine: Engine, contact_id: int) -> list[dict[str, Any]]:
    """A contact's calls, oldest first."""
    q = (sa.select(A.c.id, A.c.started_at, A.c.outcome, A.c.dialog_outcome, A.c.score, A.c.tier)
         .where(A.c.contact_id == contact_id).order_by(A.c.started_at))  # fmt: skip
    with engine.connect() as conn:
        return [{**dict(r), "started_at": r.started_at.isoformat()}
                for r in conn.execute(q).mappings()]  # fmt: skip


@dataclass
class Removal:
    deleted: list[str] = field(default_factory=list)  # never dialled: gone, may be re-imported
    kept: list[str] = field(default_factory=list)  # had calls: status `removed`, history kept
    busy: list[str] = field(default_factory=list)  # being called now: refused, nothing changed

    def as_json(self) -> dict[str, list[str]]:
        return {"deleted": self.deleted, "removed_kept_history": self.kept,
                "refused_in_call": self.busy}  # fmt: skip


def remove_contacts(engine: Engine, campaign_id: int, contact_ids: Sequence[int]) -> Removal:
    """Take contacts out of a campaign for good (see the module's docstring), in one transaction.

    The conditions are part of each statement, so a claim committing meanwhile (PostgreSQL
    re-checks a row it waited for) cannot have its contact removed mid-call."""
    out = Removal()
    idle = C.c.current_attempt_id.is_(None)
    history = sa.exists().where(A.c.contact_id == C.c.id)
    with write_connection(engine) as conn, conn.begin():
        for cid in contact_ids:
            phone = conn.execute(
                sa.select(C.c.phone).where(C.c.id == cid, C.c.campaign_id == campaign_id)
            ).scalar()
            if phone is None:
                continue
            mine = sa.and_(C.c.id == cid, idle)
            if conn.execute(sa.delete(C).where(mine, ~history)).rowcount:
                out.deleted.append(phone)
            elif conn.execute(sa.update(C).where(mine).values(
                    status="removed", queued=False, lease_owner=None)).rowcount:  # fmt: skip
                out.kept.append(phone)
            else:
                out.busy.append(phone)
    return out
