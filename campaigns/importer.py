"""Contact list import: a CSV or XLSX file into a campaign, in one transaction.

`read_table` copes with encodings, separators, header aliases and XLSX. `import_contacts`
validates every row, keeps duplicates, do-not-call numbers and bad rows out, writes each rejected
row with its line number and reason to an errors file, and inserts the rest in batches, one Core
executemany per batch. The campaign's existing numbers and the do-not-call list are loaded once,
so a row costs set lookups, not queries. Nothing is written when the file cannot be read at all,
and the errors file only appears once the import has committed.
"""

from __future__ import annotations

import csv
import json
import os
import queue
import re
import tempfile
import threading
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.db import IMMEDIATE
from campaigns.errors import CampaignError, InvalidInput
from campaigns.models import Campaign, Contact, DncEntry
from campaigns.phones import PhoneNormalizer, phone_time_zone

ProgressFn = Callable[[int, int | None], None]
"""Called with (data rows done, data rows in the file when known) as the import goes."""

BATCH = 5000
_PROGRESS_EVERY = 10_000

# Header aliases, compared after _key(): lower case without spaces, underscores, dashes or dots.
_ALIASES: dict[str, frozenset[str]] = {
    role: frozenset(names.split())
    for role, names in {
        "phone": "phone phonenumber phoneno mobile mobilephone mobileno mobilenumber tel "
        "telephone cell cellphone msisdn 手机 手机号 手机号码 电话 电话号码 联系电话 移动电话 "
        "전화번호 휴대폰 휴대폰번호 휴대전화 핸드폰 연락처 전화",
        "name": "name fullname customername 姓名 名字 客户姓名 客户名称 이름 성명 고객명",
        "customer_id": "customerid custid clientid accountid id 客户号 客户编号 客户id "
        "고객번호 고객id",
        "time_zone": "timezone tz 时区 시간대",
    }.items()
}
_DELIMITERS = (",", ";", "\t", "|")
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_SAVE_AS = "save it from Excel as 'CSV UTF-8' or .xlsx"


@dataclass(frozen=True)
class Columns:
    """Where the known fields are; every other column becomes a contact attribute."""

    phone: int
    name: int | None = None
    customer_id: int | None = None
    time_zone: int | None = None
    attributes: tuple[tuple[int, str], ...] = ()


@dataclass
class Table:
    """A readable file: its header, the column roles, and (line number, cells) per data row."""

    header: list[str]
    columns: Columns
    rows: Iterator[tuple[int, list[str]]]
    total: int | None  # data rows, when known up front (for the progress bar)
    encoding: str
    broken: dict[int, str] = field(default_factory=dict)  # line -> why it could not be read
    has_nul: bool = False  # a NUL somewhere: rows are checked for it (PostgreSQL refuses NUL)

    def close(self) -> None:
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()


def _key(cell: str) -> str:
    return re.sub(r"[\s_.\-]+", "", cell.strip().lstrip("\ufeff").lower())


def map_columns(header: list[str]) -> Columns | None:
    """The column roles of a header row, or None when it has no phone column."""
    found: dict[str, int] = {}
    attributes: list[tuple[int, str]] = []
    labels: set[str] = set()
    for i, cell in enumerate(header):
        role = next((r for r, names in _ALIASES.items() if _key(cell) in names), None)
        if role is not None and role not in found:
            found[role] = i
            continue
        label = cell.strip().lstrip("\ufeff") or f"column_{i + 1}"
        if label in labels:
            label = f"{label}_{i + 1}"
        labels.add(label)
        attributes.append((i, label))
    if "phone" not in found:
        return None
    return Columns(found["phone"], found.get("name"), found.get("customer_id"),
                   found.get("time_zone"), tuple(attributes))  # fmt: skip


def _sniff(first_line: str) -> tuple[str, list[str], Columns | None]:
    """The separator that splits the header into a known layout (else into the most columns)."""
    best: tuple[bool, int, str, list[str], Columns | None] | None = None
    for delim in _DELIMITERS:
        cells = next(csv.reader([first_line], delimiter=delim), [])
        cols = map_columns(cells)
        cand = (cols is not None, len(cells), delim, cells, cols)
        if best is None or cand[:2] > best[:2]:
            best = cand
    assert best is not None
    return best[2], best[3], best[4]


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip() and not line.lower().startswith("sep="):
            return line
    return ""


def _decode(data: bytes, path: Path, region: str, encoding: str | None) -> tuple[str, str]:
    """The text of a CSV and the encoding used: BOM, UTF-8, then GB18030 / CP949 by header."""
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {path} as {encoding}: {exc}") from exc
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise InvalidInput(f"{path} starts like {enc} but is not: {exc}") from exc
    head = data[:4096]
    if b"\x00" in head.split(b"\n", 1)[0] or head.count(b"\x00") > 16:
        raise InvalidInput(f"{path} is not a CSV or XLSX file (binary content); {_SAVE_AS}")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Legacy Excel exports: GBK/GB18030 in China, CP949 in Korea. Both decode many of each
    # other's bytes, so the one whose header names a phone column wins; ties go by region.
    legacy = ["cp949", "gb18030"] if region.upper() == "KR" else ["gb18030", "cp949"]
    decoded = []
    for enc in legacy:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _sniff(_first_line(text))[2] is not None:
            return text, enc
        decoded.append((text, enc))
    if decoded:
        return decoded[0]
    raise InvalidInput(
        f"cannot decode {path}: it is not UTF-8, GB18030 or CP949 text; {_SAVE_AS} "
        "(or name the encoding with --encoding)"
    )


def _columns_or_fail(header: list[str], path: Path, optional: bool) -> tuple[Columns, bool]:
    """The columns and whether the first row was a header."""
    cols = map_columns(header)
    if cols is not None:
        return cols, True
    if optional:
        return Columns(0), False
    raise InvalidInput(
        f"{path} has no phone column: its header is {header!r}; name one column phone, mobile, "
        "tel, 手机号, 电话 or 전화번호"
    )


def _lines(text: str) -> Iterator[str]:
    """The text's lines with their endings, sliced lazily: io.StringIO would copy the whole file
    into a buffer four bytes a character."""
    start, end = 0, len(text)
    find = text.find
    newline = "\n" if "\n" in text or "\r" not in text else "\r"  # old Mac Excel: CR only
    while start < end:
        stop = find(newline, start)
        stop = end if stop < 0 else stop + 1
        yield text[start:stop]
        start = stop


def _csv_table(text: str, enc: str, path: Path, header_optional: bool) -> Table:
    hint = text[:6].rstrip("\r\n")
    if hint.lower().startswith("sep=") and len(hint) == 5:
        delim = hint[4]  # Excel's separator hint line, "sep=;"
    else:
        delim = _sniff(_first_line(text))[0]
    reader = csv.reader(_lines(text), delimiter=delim)
    first: list[str] = []
    for first in reader:
        if reader.line_num == 1 and first and first[0].lower().startswith("sep="):
            continue
        if any(c.strip() for c in first):
            break
    if not first:
        raise InvalidInput(f"{path} is empty: it needs a header row and one contact per row")
    cols, had_header = _columns_or_fail(first, path, header_optional)
    header_line = reader.line_num
    broken: dict[int, str] = {}

    def rows() -> Iterator[tuple[int, list[str]]]:
        start = header_line
        if not had_header:
            yield header_line, first
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # the reader goes on with the next line
                line, start = start + 1, reader.line_num
                broken[line] = f"unreadable CSV row: {exc}"
                yield line, []
                continue
            line, start = start + 1, reader.line_num
            if cells and (cells[0].strip() or any(c.strip() for c in cells)):
                yield line, cells

    total = max(text.count("\n") - header_line + (0 if had_header else 1), 0)
    return Table(first if had_header else [], cols, rows(), total, enc, broken, "\x00" in text)


def _xl_str(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone typed into a number cell
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _xlsx_table(path: Path, header_optional: bool) -> Table:
    import openpyxl  # only when a workbook comes: it is slow to import
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it cannot read
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput(f"{path} is not a readable XLSX workbook ({exc}); {_SAVE_AS}") from exc
    ws = wb.worksheets[0]
    numbered = enumerate(([_xl_str(v) for v in r] for r in ws.iter_rows(values_only=True)), 1)
    header_line, first = next(((n, r) for n, r in numbered if any(c.strip() for c in r)), (0, []))
    if not first:
        wb.close()
        raise InvalidInput(f"{path} has no rows: it needs a header row and one contact per row")
    cols, had_header = _columns_or_fail(first, path, header_optional)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            if not had_header:
                yield header_line, first
            for n, cells in numbered:
                if any(c.strip() for c in cells):
                    yield n, cells
        finally:
            wb.close()

    total = (ws.max_row - header_line) if ws.max_row else None
    return Table(first if had_header else [], cols, rows(), total, "xlsx")


def read_table(path: Path, *, region: str = "KR", encoding: str | None = None,
               header_optional: bool = False) -> Table:  # fmt: skip
    """Open a contact file. Without `header_optional`, a file with no phone column is an error;
    with it (do-not-call lists) the first column is taken as the phone and row 1 is data."""
    if not path.is_file():
        raise InvalidInput(f"{path} does not exist or is not a file")
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(_XLSX_MAGIC):
        return _xlsx_table(path, header_optional)
    if head.startswith(_XLS_MAGIC):
        raise InvalidInput(f"{path} is an old binary .xls workbook; {_SAVE_AS}")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise InvalidInput(f"{path} is named like a workbook but is not one; {_SAVE_AS}")
    text, enc = _decode(path.read_bytes(), path, region, encoding)
    return _csv_table(text, enc, path, header_optional)


@dataclass(frozen=True)
class ImportResult:
    rows: int
    imported: int
    duplicates: int
    invalid: int
    dnc: int
    errors_file: str | None

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
class _Counts:
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    invalid: int = 0
    dnc: int = 0


# A contact row as the checker makes it: the values that differ from row to row.
_VARYING = ("phone", "name", "customer_id", "time_zone", "attributes", "source_line")
_Row = tuple[str, str | None, str | None, str, dict[str, str], int]


class _RowChecker:
    """Decides, for one row, the contact to insert or why it is rejected (the hot loop)."""

    def __init__(self, table: Table, region: str, default_zone: str,
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

    def check(self, line: int, cells: list[str]) -> tuple[str, str] | _Row:
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
        self.seen[phone] = line
        attrs = {key: v for i, key in self.attributes if i < n and (v := cells[i].strip())}
        return (phone, _cell(cells, self.name) or None, _cell(cells, self.cid) or None,
                zone or phone_time_zone(phone) or self.default_zone, attrs, line)  # fmt: skip


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


class _Writer:
    """Inserts contacts a batch at a time on a thread of its own.

    The database drivers release the GIL while SQLite or PostgreSQL work, so the next batch is
    checked on the calling thread meanwhile and both cores are busy. On SQLite a batch is one
    `INSERT ... SELECT ... FROM json_each(?)` over the batch as a JSON array: one call that runs
    entirely without the GIL (executemany takes it back for every row, and the two threads then
    wait on each other), and no SQLAlchemy per-row parameter processing, which cost more than
    the insert itself (docs/benchmarks-import.md). On PostgreSQL (psycopg) it is COPY. The
    values are still made by the columns' own SQLAlchemy bind processors. Anywhere else it is
    Core executemany.
    """

    def __init__(self, conn: sa.Connection, table: sa.Table, constants: dict[str, Any]) -> None:
        self.conn = conn
        self.insert = table.insert()
        self.constants = constants
        d = conn.dialect
        procs = {c.name: c.type.dialect_impl(d).bind_processor(d) for c in table.columns}
        plain = all(procs[k] is None for k in _VARYING if k != "attributes")
        names = ", ".join([*_VARYING, *constants])
        self.mode = "core"
        if plain and d.name == "sqlite" and d.paramstyle == "qmark":
            self.mode = "json"
            picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(_VARYING)))
            marks = ", ".join("?" * len(constants))
            self.sql = f"INSERT INTO contact ({names}) SELECT {picks}, {marks} FROM json_each(?)"
        elif plain and d.name == "postgresql" and d.driver == "psycopg":
            self.mode = "copy"
            self.sql = f"COPY contact ({names}) FROM STDIN"
        self.json: Callable[[Any], Any] = procs["attributes"] or (lambda v: v)
        self.fixed = tuple(p(v) if (p := procs[k]) else v for k, v in constants.items())
        self._json_cache: dict[tuple[tuple[str, str], ...], Any] = {}
        self._queue: queue.Queue[tuple[str, Any] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="contact-import", daemon=True)
        self._thread.start()

    def _attrs(self, attrs: dict[str, str]) -> Any:
        # Lists repeat a few attribute combinations (persona, segment): serialise each once.
        key = tuple(attrs.items())
        got = self._json_cache.get(key)
        if got is None:
            if len(self._json_cache) > 10_000:
                self._json_cache.clear()
            got = self._json_cache[key] = self.json(attrs)
        return got

    def submit(self, batch: list[_Row]) -> None:
        item: tuple[str, Any]
        if self.mode != "core":
            j = self._attrs
            rows = [(p, n, c, z, j(a), line) for p, n, c, z, a, line in batch]
            if self.mode == "copy":
                item = ("copy", rows)
            else:
                item = ("json", (*self.fixed, json.dumps(rows, ensure_ascii=False)))
        else:
            consts = self.constants
            item = ("core", [{**dict(zip(_VARYING, r, strict=True)), **consts} for r in batch])
        self._queue.put(item)
        if self._error is not None:
            self.close()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain, so that submit never blocks on a dead writer
            try:
                self._write(*item)
            except BaseException as exc:
                self._error = exc

    def _write(self, kind: str, params: Any) -> None:
        if kind == "json":
            self.conn.exec_driver_sql(self.sql, params)
        elif kind == "copy":
            raw = self.conn.connection.driver_connection
            assert raw is not None
            try:
                with raw.cursor() as cur, cur.copy(self.sql) as copy:
                    fixed = self.fixed
                    for row in params:
                        copy.write_row((*row, *fixed))
            except self.conn.dialect.loaded_dbapi.IntegrityError as exc:
                raise sa.exc.IntegrityError(self.sql, None, exc) from exc
        else:
            self.conn.execute(self.insert, params)

    def close(self) -> None:
        """Wait for the last batch; raise what the writer raised, if anything."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error


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
) -> ImportResult:
    """Import `path` into `campaign` in one transaction of its own, and commit it.

    The session's open transaction, if any, is committed first. `region` is the default region
    for numbers written without a country code (the campaign's when None). Rejected rows go to
    `errors_path` (default FILE.errors.csv beside the input, written only when some row was
    rejected; always written when given). On any error nothing is written at all.
    """
    now = now or datetime.now(UTC)
    campaign_id, name, zone = campaign.id, campaign.name, campaign.time_zone
    region = region or campaign.region
    table = read_table(path, region=region, encoding=encoding)
    target = errors_path or default_errors_path(path)
    problem = _unwritable(target, path)
    if problem:
        table.close()
        raise InvalidInput(f"cannot write the errors file {target}: {problem}")
    rejects = _Rejects(target, table.header)
    try:
        session.commit()  # our transaction must start with the write lock (see _run)
        checker_args = (region, zone)
        counts = _run(session, campaign_id, table, checker_args, now, rejects, progress)
        session.commit()
    except sa.exc.IntegrityError as exc:
        session.rollback()
        rejects.discard()
        raise CampaignError(
            f"another import into campaign {name!r} ran at the same time and added some of the "
            "same numbers; nothing was imported from this file: run it again"
        ) from exc
    except BaseException:
        session.rollback()
        rejects.discard()
        raise
    finally:
        table.close()
    written = rejects.count > 0 or errors_path is not None
    rejects.publish() if written else rejects.discard()
    return ImportResult(counts.rows, counts.imported, counts.duplicates, counts.invalid,
                        counts.dnc, str(target) if written else None)  # fmt: skip


def _run(session: Session, campaign_id: int | None, table: Table, checker_args: tuple[str, str],
         now: datetime, rejects: _Rejects, progress: ProgressFn | None) -> _Counts:  # fmt: skip
    # IMMEDIATE: on SQLite take the write lock before reading, so a dialer committing meanwhile
    # cannot make our snapshot stale halfway through (no effect on PostgreSQL).
    conn = session.connection(execution_options={IMMEDIATE: True})
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size=-131072")
    contacts: sa.Table = Contact.__table__  # type: ignore[attr-defined]  # sqlmodel sets it
    dnc: sa.Table = DncEntry.__table__  # type: ignore[attr-defined]
    existing = set(conn.execute(
        sa.select(contacts.c.phone).where(contacts.c.campaign_id == campaign_id)
    ).scalars())  # fmt: skip
    blocked = set(conn.execute(sa.select(dnc.c.phone)).scalars())
    checker = _RowChecker(table, *checker_args, existing=existing, blocked=blocked)
    writer = _Writer(conn, contacts, {
        "campaign_id": campaign_id, "status": "new", "queued": True, "attempts": 0,
        "day_attempts": 0, "next_attempt_at": now, "created_at": now,
    })  # fmt: skip
    try:
        counts = _check_all(table, checker, writer, rejects, progress)
    finally:
        writer.close()
    return counts


def _check_all(table: Table, checker: _RowChecker, writer: _Writer, rejects: _Rejects,
               progress: ProgressFn | None) -> _Counts:  # fmt: skip
    counts = _Counts()
    batch: list[_Row] = []
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
    return counts
