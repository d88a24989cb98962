"""Contact list import: a CSV or XLSX file into a campaign, in one transaction.

`read_table` copes with encodings, separators, header aliases and XLSX. `import_contacts`
validates every row, keeps duplicates, do-not-call numbers, bad rows and rows lacking a value the
script needs out, writes each rejected row with its line number and reason to an errors file, and
inserts the rest in batches (campaigns/contact_writer.py). The campaign's existing numbers and
the do-not-call list are loaded once, so a row costs set lookups, not queries. Nothing is written
when the file cannot be read at all, and the errors file only appears once the import has
committed.
"""

from __future__ import annotations

import csv
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.contact_writer import ContactWriter, Row
from campaigns.db import IMMEDIATE
from campaigns.errors import CampaignError, InvalidInput
from campaigns.models import Campaign, Contact, DncEntry
from campaigns.phones import PhoneNormalizer, phone_time_zone
from campaigns.repo import utcnow
from campaigns.tabular import HeaderSpec, Table, read_table

ProgressFn = Callable[[int, int | None], None]
"""Called with (data rows done, data rows in the file when known) as the import goes."""

BATCH = 5000
_PROGRESS_EVERY = 10_000
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Needs:
    """What the campaign's script needs of every contact: variables without a default."""

    script: str
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportResult:
    rows: int
    imported: int
    duplicates: int
    invalid: int
    dnc: int
    errors_file: str | None
    missing_variables: int = 0  # rows without a value the script needs
    missing: dict[str, int] = field(default_factory=dict)  # variable -> rows lacking it
    columns: dict[str, str] = field(default_factory=dict)  # file header -> field

    def as_json(self) -> dict[str, Any]:
        """Exactly the shape `outreach contacts import --json` prints."""
        return asdict(self)


@lru_cache(maxsize=1024)
def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


class _Rejects:
    """The errors file, written to a temporary file and moved into place after the commit."""

    def __init__(self, target: Path, header: list[str]) -> None:
        self.target = target
        self.count = 0
        fd, tmp = tempfile.mkstemp(prefix=".import-errors-", suffix=".csv", dir=target.parent)
        self._tmp = Path(tmp)
        # UTF-8 with BOM so that Excel shows Korean and Chinese names correctly.
        self._fh: IO[str] = os.fdopen(fd, "w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._fh)
        self._writer.writerow(["line", "reason", *header])

    def add(self, line: int, reason: str, cells: list[str]) -> None:
        self.count += 1
        self._writer.writerow([line, reason, *cells])

    def publish(self) -> None:
        self._fh.close()
        os.replace(self._tmp, self.target)

    def discard(self) -> None:
        self._fh.close()
        self._tmp.unlink(missing_ok=True)


@dataclass
class _Committed:
    """Contacts committed so far (SQLite commits each batch; PostgreSQL only at the end)."""

    rows: int = 0


@dataclass
class _Counts:
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    invalid: int = 0
    dnc: int = 0
    missing_variables: int = 0
    missing: dict[str, int] = field(default_factory=dict)




class _RowChecker:
    """Decides, for one row, the contact to insert or why it is rejected (the hot loop)."""

    def __init__(self, table: Table, region: str, default_zone: str, needs: Needs | None,
                 existing: set[str], blocked: set[str]) -> None:  # fmt: skip
        cols = table.columns
        self.broken = table.broken
        self.has_nul = table.has_nul
        self.width = len(table.header) or 1
        self.phone, self.name, self.cid, self.zone = (
            cols.phone, cols.name, cols.customer_id, cols.time_zone)  # fmt: skip
        self.attributes = cols.attributes
        self.default_zone = default_zone
        self.phones = PhoneNormalizer(region)
        self.existing = existing
        self.blocked = blocked
        self.seen: dict[str, int] = {}
        self.needs = needs
        self.required = needs.required if needs is not None else ()
        self.missing: dict[str, int] = {}

    def check(self, line: int, cells: list[str]) -> tuple[str, str] | Row:
        """The row to insert, or (counter name, reason)."""
        n = len(cells)
        if not n:
            return "invalid", self.broken.get(line, "empty row")
        if self.has_nul and any("\x00" in c for c in cells):
            return "invalid", "contains a NUL character: the file is damaged here"
        if n > self.width and any(c.strip() for c in cells[self.width :]):
            return "invalid", f"{n} values but the header has {self.width} columns"
        raw = cells[self.phone].strip() if self.phone < n else ""
        if not raw:
            return "invalid", "no phone number"
        phone = self.phones.e164(raw)
        if phone is None:
            return "invalid", f"not a valid phone number for region {self.phones.region}"
        zone = _cell(cells, self.zone)
        if zone and not _zone_ok(zone):
            return "invalid", f"unknown time zone {zone!r} (use an IANA name like Asia/Seoul)"
        if phone in self.blocked:
            return "dnc", f"{phone} is on the do-not-call list"
        if phone in self.existing:
            return "duplicates", f"{phone} is already in the campaign"
        first = self.seen.get(phone)
        if first is not None:
            return "duplicates", f"{phone} repeats line {first}"
        attrs = {key: v for i, key in self.attributes if i < n and (v := cells[i].strip())}
        name = _cell(cells, self.name)
        if self.required:
            lacking = [v for v in self.required if not (name if v == "name" else attrs.get(v))]
            if lacking:
                return "missing_variables", self._lacking(lacking)
        self.seen[phone] = line
        return (phone, name or None, _cell(cells, self.cid) or None,
                zone or phone_time_zone(phone) or self.default_zone, attrs, line)  # fmt: skip

    def _lacking(self, lacking: list[str]) -> str:
        for v in lacking:
            self.missing[v] = self.missing.get(v, 0) + 1
        assert self.needs is not None
        return (f"no {', '.join(lacking)}, which the script {self.needs.script} needs: fill the "
                f"column, or map one to it with --map COLUMN={lacking[0]}")  # fmt: skip


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def _unwritable(target: Path, source: Path) -> str | None:
    """Why the errors file cannot go to `target`, checked before anything is imported."""
    if not target.parent.is_dir():
        return "its folder does not exist"
    if target.is_dir():
        return "it is a folder"
    if target.exists() and target.resolve() == source.resolve():
        return "it is the file being imported"
    return None


def default_errors_path(path: Path) -> Path:
    """Where rejected rows go when no --errors is given: beside the input file."""
    return path.with_name(path.stem + ".errors.csv")


def import_contacts(
    session: Session,
    campaign: Campaign,
    path: Path,
    *,
    region: str | None = None,
    errors_path: Path | None = None,
    encoding: str | None = None,
    progress: ProgressFn | None = None,
    now: datetime | None = None,
    spec: HeaderSpec | None = None,
    needs: Needs | None = None,
) -> ImportResult:
    """Import `path` into `campaign` in one transaction of its own, and commit it.

    The session's open transaction, if any, is committed first. `region` is the default region
    for numbers written without a country code (the campaign's when None). Rejected rows go to
    `errors_path` (default FILE.errors.csv beside the input, written only when some row was
    rejected; always written when given). On any error nothing is written at all.
    `spec` maps the file's columns to fields; a row without a value for one of `needs.required`
    is rejected (the call could not be made).
    """
    now = now or utcnow()
    campaign_id, name, zone = campaign.id, campaign.name, campaign.time_zone
    region = region or campaign.region
    table = read_table(path, region=region, encoding=encoding, spec=spec or HeaderSpec())
    target = errors_path or default_errors_path(path)
    problem = _unwritable(target, path)
    if problem:
        table.close()
        raise InvalidInput(f"cannot write the errors file {target}: {problem}")
    rejects = _Rejects(target, table.header)
    committed = _Committed()
    try:
        session.commit()  # our transaction must start with the write lock (see _run)
        checker_args = (region, zone, needs)
        counts = _run(session, campaign_id, table, checker_args, now, rejects, progress, committed)
        session.commit()
    except BaseException as exc:
        session.rollback()
        _stopped(exc, name, committed.rows, rejects)
        raise
    finally:
        table.close()
    written = rejects.count > 0 or errors_path is not None
    rejects.publish() if written else rejects.discard()
    return ImportResult(counts.rows, counts.imported, counts.duplicates, counts.invalid,
                        counts.dnc, str(target) if written else None, counts.missing_variables,
                        counts.missing, table.columns.described())  # fmt: skip


def _stopped(exc: BaseException, name: str, committed: int, rejects: _Rejects) -> None:
    """An import that failed: say what stayed in. On SQLite the batches committed before the
    failure stay (checked, accepted rows), and so do their rejected rows in the errors file."""
    if committed and rejects.count:
        rejects.publish()
    else:
        rejects.discard()
    again = (f"{committed} contacts of this file were imported before it stopped: run it again "
             "to import the rest (those already in count as duplicates)" if committed
             else "nothing was imported from this file: run it again")  # fmt: skip
    if isinstance(exc, sa.exc.IntegrityError):
        raise CampaignError(f"another import into campaign {name!r} ran at the same time and "
                            f"added some of the same numbers; {again}") from exc  # fmt: skip
    if committed:
        log.warning("the import into campaign %s stopped (%s); %s", name,
                    type(exc).__name__, again)  # fmt: skip


def _run(session: Session, campaign_id: int | None, table: Table,
         checker_args: tuple[str, str, Needs | None], now: datetime, rejects: _Rejects,
         progress: ProgressFn | None, committed: _Committed) -> _Counts:  # fmt: skip
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return _write_all(conn, campaign_id, table, checker_args, now, rejects, progress,
                          committed, commit_each=False)  # fmt: skip
    # SQLite has one writer at a time: the import commits every batch on a connection of its
    # own, so a dialer's claim or finish waits for one batch (tens of ms), not the whole file.
    bind = session.get_bind()
    own = (bind if isinstance(bind, sa.Engine) else bind.engine).connect()
    try:
        own.exec_driver_sql("PRAGMA cache_size=-131072")
        return _write_all(own, campaign_id, table, checker_args, now, rejects, progress,
                          committed, commit_each=True)  # fmt: skip
    finally:
        own.close()


def _write_all(conn: sa.Connection, campaign_id: int | None, table: Table,
               checker_args: tuple[str, str, Needs | None], now: datetime, rejects: _Rejects,
               progress: ProgressFn | None, committed: _Committed,
               commit_each: bool) -> _Counts:  # fmt: skip
    contacts: sa.Table = Contact.__table__  # type: ignore[attr-defined]  # sqlmodel sets it
    dnc: sa.Table = DncEntry.__table__  # type: ignore[attr-defined]
    existing = set(conn.execute(
        sa.select(contacts.c.phone).where(contacts.c.campaign_id == campaign_id)
    ).scalars())  # fmt: skip
    blocked = set(conn.execute(sa.select(dnc.c.phone)).scalars())
    if commit_each:
        # The reads ran in a plain read transaction (no write lock); each batch from here on
        # takes the write lock at its BEGIN, so a dialer's commit cannot make it stale.
        conn.commit()
        conn.execution_options(**{IMMEDIATE: True})
    checker = _RowChecker(table, *checker_args, existing=existing, blocked=blocked)
    writer = ContactWriter(conn, contacts, {
        "campaign_id": campaign_id, "status": "new", "queued": True, "attempts": 0,
        "day_attempts": 0, "next_attempt_at": now, "created_at": now,
    }, commit_each=commit_each)  # fmt: skip
    try:
        counts = _check_all(table, checker, writer, rejects, progress)
    finally:
        try:
            writer.close()
        finally:
            committed.rows = writer.committed
    return counts


def _check_all(table: Table, checker: _RowChecker, writer: ContactWriter, rejects: _Rejects,
               progress: ProgressFn | None) -> _Counts:  # fmt: skip
    counts = _Counts()
    batch: list[Row] = []
    for line, cells in table.rows:
        counts.rows += 1
        got = checker.check(line, cells)
        if len(got) == 2:
            verdict, reason = got
            setattr(counts, verdict, getattr(counts, verdict) + 1)
            rejects.add(line, reason, cells)
        else:
            batch.append(got)
            if len(batch) >= BATCH:
                writer.submit(batch)
                counts.imported += len(batch)
                batch = []
        if progress is not None and counts.rows % _PROGRESS_EVERY == 0:
            progress(counts.rows, table.total)
    if batch:
        writer.submit(batch)
        counts.imported += len(batch)
    if progress is not None:
        progress(counts.rows, counts.rows)
    counts.missing = dict(checker.missing)
    return counts
