"""Reading the campaign database through its DB-API driver alone (sqlite3, psycopg), without
SQLAlchemy, SQLModel or pydantic: importing those is most of a short command's start-up
(`outreach campaign list`: docs/benchmarks.md, "CLI start-up").

Only what it understands plainly is read here: a `sqlite:///PATH` file that exists or a
`postgresql+psycopg://` URL, a schema at the newest migration, no error on the way. Anything else
returns None and the caller takes the ordinary path (campaigns.db), which migrates, makes a new
home's database, and says in one line what is wrong with a URL, a file or a server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept the URLs people type: postgres:// and postgresql:// mean the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The newest migrations, read from the version files' `revision` / `down_revision` lines
    without importing Alembic (empty when a file does not read as expected: Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        rev = re.search(r"^revision(?:: *\w+)? *= *[\"']([^\"']+)[\"']", text, re.M)
        down = re.search(r"^down_revision(?:: *[\w |]+)? *= *(.+)$", text, re.M)
        if rev is None or down is None:
            return frozenset()
        revisions.add(rev[1])
        parents.update(re.findall(r"[\"']([^\"']+)[\"']", down[1]))
    return frozenset(revisions - parents)


@dataclass(frozen=True)
class CampaignRow:
    """A campaign row with the attribute names and Python values of campaigns.models.Campaign
    (JSON columns decoded, created_at an aware UTC datetime), for printing."""

    id: int
    name: str
    status: str
    script_ref: str
    region: str
    time_zone: str
    windows: dict[str, Any]
    excluded_dates: list[str]
    max_channels: int
    cps: float
    max_attempts: int
    max_per_day: int
    number_max_per_minute: int | None
    number_max_per_hour: int | None
    number_max_per_day: int | None
    retry_delays: dict[str, Any]
    transfer_queue: str | None
    caller_id: str | None
    caller_name: str | None
    asr_model: str | None
    script_path: str | None
    script_version: str | None
    created_at: datetime


_FIELDS = tuple(CampaignRow.__dataclass_fields__)
_JSON = ("windows", "excluded_dates", "retry_delays")


def _connect(url: str) -> tuple[Any, Callable[[Any], datetime], str] | None:
    """An open DB-API connection for `url`, how its driver returns a timestamp, and its
    placeholder; None when the URL is not one read here or the connection fails."""
    url = normalise_url(url)
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        # Queries, escapes and in-memory databases: SQLAlchemy's URL rules, not ours.
        if not path or "?" in path or "%" in path or not Path(path).is_file():
            return None
        import sqlite3

        try:
            conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=rw", uri=True,
                                   timeout=30, isolation_level=None)  # fmt: skip
            conn.execute("BEGIN")  # one snapshot for every read, as a session has
        except sqlite3.Error:
            return None
        return conn, _sqlite_time, "?"
    if url.startswith("postgresql+psycopg://"):
        import psycopg

        try:
            pg = psycopg.connect("postgresql://" + url[len("postgresql+psycopg://") :])
        except (psycopg.Error, ValueError):
            return None
        return pg, _aware, "%s"
    return None


def _sqlite_time(value: Any) -> datetime:
    # SQLAlchemy stores UTC without an offset in SQLite ("2026-12-03 13:22:03.860948").
    return _aware(datetime.fromisoformat(value) if isinstance(value, str) else value)


def _aware(value: datetime) -> datetime:
    if value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def campaigns_with_counts(
    url: str, archived: bool
) -> tuple[list[tuple[CampaignRow, dict[str, int]]], int] | None:
    """The campaigns in id order, each with its contacts counted by status (archived ones only
    when `archived`), and how many archived ones were left out; None when this module cannot
    read `url` (see the module's docstring)."""
    opened = _connect(url)
    if opened is None:
        return None
    conn, as_time, mark = opened
    try:
        found = {r[0] for r in conn.execute("SELECT version_num FROM alembic_version")}
        if not found or found != head_revisions():
            return None  # a migration is due: the ordinary path runs it
        rows = conn.execute(f"SELECT {', '.join(_FIELDS)} FROM campaign ORDER BY id").fetchall()
        out = []
        for row in rows:
            values = dict(zip(_FIELDS, row, strict=True))
            if values["status"] == "archived" and not archived:
                continue
            for key in _JSON:
                if isinstance(values[key], str):
                    values[key] = json.loads(values[key])
            values["created_at"] = as_time(values["created_at"])
            values["cps"] = float(values["cps"])
            counts = conn.execute(f"SELECT status, count(*) FROM contact WHERE campaign_id = "
                                  f"{mark} GROUP BY status", (values["id"],))  # fmt: skip
            out.append((CampaignRow(**values), {s: int(n) for s, n in counts}))
        return out, len(rows) - len(out)
    except Exception:  # any driver error: the ordinary path says what it is
        return None
    finally:
        conn.close()
