"""The do-not-call list: numbers (E.164) that no campaign may ever dial again.

Adding a number also stops every contact already imported with it, in every campaign (status
"dnc", no longer queued), so the list takes effect at once; the dialer checks the list again
when it claims contacts. Adding is idempotent: a number already listed keeps its first reason.

Every change is kept in the audit trail (`dnc_audit`: who, when, why, from where): each number
listed, and each number removed with `remove_dnc` (a mistaken entry), which also puts the
contacts it had stopped back on the queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, select

from campaigns.errors import InvalidInput
from campaigns.models import Contact, DncAudit, DncEntry
from campaigns.phones import PhoneNormalizer
from campaigns.repo import utcnow
from campaigns.tabular import read_table

_CHUNK = 500  # numbers per IN (...) list: well under every backend's parameter limit
# A contact in one of these states would still be dialled; done/exhausted ones are left as
# they were (their history stays readable) but are taken off the queue all the same.
_STOPPABLE = ("new", "retry", "calling")


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def add_dnc(
    session: Session,
    phones_e164: Iterable[str],
    reason: str,
    source: str | None = None,
    *,
    by: str | None = None,
    now: datetime | None = None,
) -> int:
    """List the numbers (already E.164) and stop their contacts; commit. Returns how many were new.

    `source` says where the entry came from: "cli", "import", or "call:<attempt id>"; `by` who
    did it (kept in the audit trail).
    """
    phones = sorted({p for p in phones_e164 if p})
    if not reason.strip():
        raise InvalidInput("a do-not-call entry needs a reason")
    for p in phones:
        if not (p.startswith("+") and p[1:].isdigit()):
            raise InvalidInput(f"{p!r} is not an E.164 number (normalise it first)")
    added = add_dnc_rows(session.connection(), phones, reason, source, now or utcnow(), by=by)
    session.commit()
    return added


def add_dnc_rows(
    conn: sa.Connection, phones: list[str], reason: str, source: str | None, now: datetime,
    by: str | None = None,
) -> int:
    """Inside the caller's transaction: list the numbers and stop their contacts (no commit).
    The call session uses this to store an opt-out together with the rest of the call."""
    dnc: sa.Table = DncEntry.__table__  # type: ignore[attr-defined]  # sqlmodel sets it
    contacts: sa.Table = Contact.__table__  # type: ignore[attr-defined]
    audit: sa.Table = DncAudit.__table__  # type: ignore[attr-defined]
    added = 0
    for chunk in _chunks(phones):
        listed = set(conn.execute(sa.select(dnc.c.phone).where(dnc.c.phone.in_(chunk))).scalars())
        new = [p for p in chunk if p not in listed]
        if new:
            # ON CONFLICT DO NOTHING: a concurrent writer listing the same number is not an error.
            insert = _insert_ignore(conn, dnc)
            rows = [{"phone": p, "reason": reason, "source": source, "added_at": now} for p in new]
            # RETURNING (PostgreSQL and SQLite both) names the rows that went in: only those are
            # audited, not a number a concurrent writer listed first.
            listed_now = sorted(set(conn.execute(insert.returning(dnc.c.phone), rows).scalars()))
            if listed_now:
                conn.execute(sa.insert(audit), [
                    {"phone": p, "action": "add", "reason": reason, "source": source, "by": by,
                     "at": now} for p in listed_now])
            added += len(new)
        conn.execute(
            sa.update(contacts)
            .where(contacts.c.phone.in_(chunk), contacts.c.status.in_(_STOPPABLE))
            .values(status="dnc", queued=False)
        )
        conn.execute(
            sa.update(contacts)
            .where(contacts.c.phone.in_(chunk), contacts.c.queued.is_(True))
            .values(queued=False)
        )
    return added


def _insert_ignore(conn: sa.Connection, table: sa.Table) -> sa.Insert:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=["phone"])
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=["phone"])
    return sa.insert(table)


@dataclass(frozen=True)
class DncImportResult:
    rows: int
    added: int
    already_listed: int
    invalid: int
    invalid_rows: list[tuple[int, str]] = field(default_factory=list)  # (line, what was there)


def import_dnc_file(
    session: Session,
    path: Path,
    *,
    region: str = "KR",
    reason: str = "do-not-call list import",
    source: str = "import",
    encoding: str | None = None,
    by: str | None = None,
    now: datetime | None = None,
) -> DncImportResult:
    """List every valid number of a CSV/XLSX file (a phone column, or numbers in column one).

    Rows that are not valid numbers are counted and returned, never listed; the valid ones are
    added in one transaction.
    """
    phones = PhoneNormalizer(region)
    table = read_table(path, region=phones.region, encoding=encoding, header_optional=True)
    valid: list[str] = []
    invalid: list[tuple[int, str]] = []
    rows = 0
    try:
        for line, cells in table.rows:
            rows += 1
            raw = cells[table.columns.phone].strip() if table.columns.phone < len(cells) else ""
            e164 = phones.e164(raw) if raw else None
            if e164 is None:
                invalid.append((line, raw))
            else:
                valid.append(e164)
    finally:
        table.close()
    added = add_dnc(session, valid, reason, source, by=by, now=now)
    return DncImportResult(rows, added, len(set(valid)) - added, len(invalid), invalid)


def list_dnc(session: Session) -> list[DncEntry]:
    """Every listed number, oldest first."""
    q = select(DncEntry).order_by(col(DncEntry.added_at), col(DncEntry.phone))
    return list(session.exec(q))


def is_blocked(session: Session, phone: str) -> DncEntry | None:
    """The entry listing this E.164 number, or None when it may be called."""
    return session.get(DncEntry, phone)


def remove_dnc(session: Session, phone_e164: str, reason: str, by: str,
               now: datetime | None = None) -> DncEntry:
    """Take a mistaken entry off the list, kept in the audit trail; commit. The contacts the entry
    had stopped go back on the queue (new, or retry when they were called before); the dial gate
    still applies every other rule. Returns the entry as it was."""
    if not reason.strip():
        raise InvalidInput("say why the number comes off the list (--reason)")
    if not by.strip():
        raise InvalidInput("say who takes the number off the list (--by)")
    entry = session.get(DncEntry, phone_e164)
    if entry is None:
        raise InvalidInput(f"{phone_e164} is not on the do-not-call list; nothing was removed")
    when = now or utcnow()
    removed = DncEntry(phone=entry.phone, reason=entry.reason, source=entry.source,
                       added_at=entry.added_at)
    session.delete(entry)
    session.add(DncAudit(phone=phone_e164, action="remove", reason=reason.strip(), source="cli",
                         by=by.strip(), at=when))
    contacts: sa.Table = Contact.__table__  # type: ignore[attr-defined]
    stopped = (contacts.c.phone == phone_e164) & (contacts.c.status == "dnc")
    session.connection().execute(
        sa.update(contacts).where(stopped).values(
            status=sa.case((contacts.c.attempts > 0, "retry"), else_="new"),
            # The dial gate's "dnc" hold came from this entry; any other hold is long past.
            queued=True, next_attempt_at=when, hold_reason=None))
    session.commit()
    return removed


def dnc_audit(session: Session, phone_e164: str | None = None) -> list[DncAudit]:
    """The audit trail, oldest first (one number's when `phone_e164` is given)."""
    q = select(DncAudit).order_by(col(DncAudit.at), col(DncAudit.id))
    if phone_e164 is not None:
        q = q.where(DncAudit.phone == phone_e164)
    return list(session.exec(q))
