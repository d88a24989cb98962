"""Opening the database: engine options per backend, migrations to head, sessions.

SQLite runs in WAL mode with a busy timeout so several processes can share one file; PostgreSQL is
used by URL. Schema changes only ever come from the Alembic migrations in campaigns/migrations.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

# Theirs too (reading without SQLAlchemy, campaigns/dbapi.py, uses them): importable from here.
from campaigns.dbapi import MIGRATIONS as MIGRATIONS
from campaigns.dbapi import head_revisions as head_revisions
from campaigns.dbapi import normalise_url as normalise_url
from campaigns.errors import CampaignError

_migrated: set[str] = set()
_migrate_lock = threading.Lock()
IMMEDIATE = "outreach_sqlite_immediate"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # A claim reads then writes: it must hold the write lock from the start, or a concurrent
    # writer makes its snapshot stale (SQLITE_BUSY_SNAPSHOT) and the busy timeout cannot help.
    immediate = conn.get_execution_options().get(IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def write_connection(engine: Engine) -> sa.Connection:
    """A connection whose transactions take the write lock at once on SQLite (no-op elsewhere)."""
    return engine.connect().execution_options(**{IMMEDIATE: True})


SUPPORTED = ("sqlite", "postgresql")
_USE = "use sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE"


def _parse(url: str) -> sa.engine.URL:
    """The URL, refused in one line when outreach cannot use it (never a driver's ImportError)."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise CampaignError(f"cannot read the database URL {url!r} ({exc}); {_USE}") from exc
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() not in SUPPORTED:
        raise CampaignError(f"the database URL {shown} is for {parsed.get_backend_name()}, which "
                            f"outreach does not support; {_USE}")  # fmt: skip
    try:
        parsed.get_dialect().import_dbapi()  # the driver itself, not only its dialect
    except (sa.exc.NoSuchModuleError, ImportError) as exc:
        raise CampaignError(f"cannot use the database URL {shown} ({exc}); {_USE}") from exc
    return parsed


def sqlite_path(url: sa.engine.URL) -> Path | None:
    """The file of a SQLite URL (None: in memory, or not SQLite)."""
    path = url.database
    if url.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return None
    return Path(path)


def create_db_engine(url: str, create: bool = True) -> Engine:
    """An engine for `url`. A SQLite file that is not there is made only when `create` (a new
    home); otherwise it is an error: a mistyped path must not start an empty database."""
    url = normalise_url(url)
    parsed = _parse(url)
    path = sqlite_path(parsed)
    if path is not None and not path.exists():
        if not create:
            raise CampaignError(
                f"there is no database at {path}: check --db / OUTREACH_DATABASE_URL (a "
                "mistyped path would start an empty one); `outreach init` makes a new database"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        # isolation_level=None hands transaction control to us (BEGIN IMMEDIATE in claims).
        engine = sa.create_engine(url, connect_args={"timeout": 30, "isolation_level": None})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling is off; emit BEGIN ourselves for every transaction.
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def at_head(engine: Engine) -> bool:
    """True when the database already records the newest migrations: every command can skip
    loading Alembic and the migration scripts (a third of `outreach campaign list`'s start-up)."""
    heads = head_revisions()
    if not heads:
        return False
    try:
        with engine.connect() as conn:
            found = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()
            return set(found) == heads
    except sa.exc.DBAPIError:  # a new database: no alembic_version table yet
        return False


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_database(url: str, create: bool = True) -> Engine:
    """An engine for `url` with the schema at head. Errors say what to check. A SQLite file
    that is not there is an error unless `create` (see create_db_engine)."""
    engine = create_db_engine(url, create)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        key = str(engine.url)
        with _migrate_lock:
            if key not in _migrated:
                if not at_head(engine):
                    migrate(engine)
                _migrated.add(key)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        raise CampaignError(
            f"cannot open the database {shown}: {exc.orig}. Check OUTREACH_DATABASE_URL / --db "
            "and that the server is running."
        ) from exc
    except sa.exc.DatabaseError as exc:
        engine.dispose()
        path = sqlite_path(engine.url)
        what = f"the file {path} is not a SQLite database or is damaged" if path else shown
        raise CampaignError(
            f"cannot open the database: {what} ({exc.orig}). Check OUTREACH_DATABASE_URL / "
            "--db, or restore the file from a backup."
        ) from exc
    return engine


def session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction takes SQLite's write lock at once (BEGIN IMMEDIATE), for a
    command that reads and then writes while a worker runs: a deferred transaction whose
    snapshot a worker's write made stale is refused at once ("database is locked"), with no
    busy wait. No-op elsewhere."""
    with write_connection(engine) as conn, Session(bind=conn, expire_on_commit=False) as s:
        yield s
