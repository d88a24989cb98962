"""Inserting imported contacts a batch at a time, on a thread of its own, by the fastest path
each database offers (docs/import.md, "Speed")."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

# A contact row as the import's checker makes it: the values that differ from row to row.
_VARYING = ("phone", "name", "customer_id", "time_zone", "attributes", "source_line")
Row = tuple[str, str | None, str | None, str, dict[str, str], int]
COMMIT_ROWS = 1000  # rows per statement when the writer commits as it goes (SQLite)
# ... and it commits once its transaction has been open this long: a dialer waits about that
# for the write lock, while a transaction per 1,000 rows wrote every dirty index page again at
# each commit (a million rows: 5,600 rows/s against 55,000, docs/benchmarks-import.md).
COMMIT_AFTER_S = 0.25
YIELD_S = 0.1
# PostgreSQL: False (the default) copies the batches straight into the indexed contact table.
# True stages them: COPY into a temporary table (no index, no WAL), moved into contact by one
# INSERT ... SELECT per STAGE_ROWS rows while the next rows are checked. Staging takes a fifth
# off the import process's CPU, but on a quiet machine it was 11-16% slower on the wall clock in
# three runs of three (bench_import.py --compare, docs/benchmarks.md): the server's index
# maintenance is the limit, not the client, so the straight COPY is the default.
POSTGRES_STAGING = False
STAGE_ROWS = 100_000
STAGE = "outreach_import_stage"


class ContactWriter:
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

    def __init__(self, conn: sa.Connection, table: sa.Table, constants: dict[str, Any],
                 commit_each: bool = False) -> None:  # fmt: skip
        """`commit_each`: commit every batch on `conn` (SQLite: the write lock is held for one
        batch, not the whole import); `committed` counts the rows committed so far."""
        self.conn = conn
        self.commit_each = commit_each
        self.committed = 0
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
        elif plain and d.name == "postgresql" and d.driver == "psycopg" and POSTGRES_STAGING:
            self.mode = "stage"
            self.sql = f"COPY {STAGE} ({', '.join(_VARYING)}) FROM STDIN"
            types = {c.name: c.type.compile(dialect=d) for c in table.columns}
            conn.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {STAGE} ON COMMIT DROP AS SELECT "
                f"{', '.join(_VARYING)} FROM contact WITH NO DATA")  # fmt: skip
            marks = ", ".join(f"CAST(%s AS {types[k]})" for k in constants)
            self.move = (f"INSERT INTO contact ({names}) SELECT {', '.join(_VARYING)}, {marks} "
                         f"FROM {STAGE} ORDER BY source_line")  # fmt: skip
            self.staged = 0
        elif plain and d.name == "postgresql" and d.driver == "psycopg":
            self.mode = "copy"
            self.sql = f"COPY contact ({names}) FROM STDIN"
        self.json: Callable[[Any], Any] = procs["attributes"] or (lambda v: v)
        self.fixed = tuple(p(v) if (p := procs[k]) else v for k, v in constants.items())
        self._json_cache: dict[tuple[tuple[str, str], ...], Any] = {}
        # Room for the batches checked while the server moves staged rows (stage mode).
        depth = 4 if self.mode != "stage" else 4 + 2 * STAGE_ROWS // 5000
        self._queue: queue.Queue[tuple[str, Any, int] | None] = queue.Queue(maxsize=depth)
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

    def submit(self, batch: list[Row]) -> None:
        if not self.commit_each:
            self._submit(batch)
            return
        # Statements of 1,000 rows, so the writer can commit between them on time (a batch of
        # 5,000 held the lock for up to 1.5 s on a loaded machine: bench_import.py --dialer).
        for start in range(0, len(batch), COMMIT_ROWS):
            self._submit(batch[start : start + COMMIT_ROWS])

    def _submit(self, batch: list[Row]) -> None:
        item: tuple[str, Any]
        if self.mode != "core":
            j = self._attrs
            rows = [(p, n, c, z, j(a), line) for p, n, c, z, a, line in batch]
            if self.mode in ("copy", "stage"):
                item = (self.mode, rows)
            else:
                item = ("json", (*self.fixed, json.dumps(rows, ensure_ascii=False)))
        else:
            consts = self.constants
            item = ("core", [{**dict(zip(_VARYING, r, strict=True)), **consts} for r in batch])
        self._queue.put((*item, len(batch)))
        if self._error is not None:
            self.close()

    def _work(self) -> None:
        opened: float | None = None  # when the open transaction's first write began
        pending = 0  # rows written in it
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain, so that submit never blocks on a dead writer
            try:
                opened = opened or time.monotonic()
                self._write(*item)
                pending += item[2]
                if self.commit_each and time.monotonic() - opened >= COMMIT_AFTER_S:
                    self._commit(pending)
                    opened, pending = None, 0
            except BaseException as exc:
                self._error = exc
        if self.commit_each and pending and self._error is None:
            try:
                self._commit(pending)
            except BaseException as exc:
                self._error = exc
        if self.mode == "stage" and self._error is None:
            try:
                self._move()
            except BaseException as exc:
                self._error = exc

    def _commit(self, rows: int) -> None:
        self.conn.commit()
        self.committed += rows
        # Leave the lock free for a moment: SQLite's busy handler polls (up to every 100 ms),
        # so a writer that begins again at once starves a waiting dialer (a test saw 0 claims).
        time.sleep(YIELD_S)

    def _move(self) -> None:
        """The staged rows into the contact table in one statement, in the file's order."""
        if not self.staged:
            return
        raw = self.conn.connection.driver_connection
        assert raw is not None
        try:
            with raw.cursor() as cur:
                cur.execute(self.move, self.fixed)
                cur.execute(f"TRUNCATE {STAGE}")
        except self.conn.dialect.loaded_dbapi.IntegrityError as exc:
            raise sa.exc.IntegrityError(self.move, None, exc) from exc
        self.staged = 0

    def _write(self, kind: str, params: Any, _rows: int = 0) -> None:
        if kind == "json":
            self.conn.exec_driver_sql(self.sql, params)
        elif kind == "stage":
            raw = self.conn.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cur, cur.copy(self.sql) as copy:
                for row in params:
                    copy.write_row(row)
            self.staged += len(params)
            if self.staged >= STAGE_ROWS:
                self._move()
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
