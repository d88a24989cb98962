"""`campaign report`'s counts on PostgreSQL, read from campaign_tally instead of ten million rows.

The triggers of migration 0013 write each change of a count as a row of campaign_tally in the
statement that makes the change; a figure is the sum of its rows. Reading merges a campaign's
rows into one per figure once they pass COMPACT_AT (a statement that deletes the rows it read
and inserts their sums, so changes committed meanwhile are neither lost nor counted twice).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

COMPACT_AT = 2_000  # rows of one campaign's tally before they are merged

_READ = sa.text(
    "SELECT kind, key, sum(n), count(*) FROM campaign_tally WHERE campaign_id = :c"
    " GROUP BY kind, key"
)
_COMPACT = sa.text(
    """
    WITH gone AS (DELETE FROM campaign_tally WHERE campaign_id = :c RETURNING kind, key, n)
    INSERT INTO campaign_tally (campaign_id, kind, key, n)
    SELECT :c, kind, key, sum(n) FROM gone GROUP BY kind, key HAVING sum(n) <> 0
    """
)


def used(conn: Connection) -> bool:
    """Whether this database keeps the tally (PostgreSQL; SQLite counts the rows)."""
    return conn.dialect.name == "postgresql"


def read(conn: Connection, campaign_id: int) -> tuple[dict[str, dict[str, int]], int]:
    """{kind: {key: count}} without the zero counts, and how many rows held them."""
    figures: dict[str, dict[str, int]] = {}
    rows = 0
    for kind, key, n, count in conn.execute(_READ, {"c": campaign_id}):
        rows += int(count)
        if int(n) != 0:
            figures.setdefault(str(kind), {})[str(key)] = int(n)
    return figures, rows


def compact(engine: Engine, campaign_id: int) -> None:
    """Merge a campaign's tally rows into one per figure."""
    with engine.begin() as conn:
        conn.execute(_COMPACT, {"c": campaign_id})


def figures(engine: Engine, conn: Connection, campaign_id: int) -> dict[str, Any]:
    """The counts campaigns.qa.funnel reports, from the tally: contacts by status, contacts per
    funnel flag, attempts by outcome (None: in flight) and dialog outcome, intents heard."""
    got, rows = read(conn, campaign_id)
    if rows > COMPACT_AT:
        compact(engine, campaign_id)
    outcomes = got.get("outcome", {})
    return {
        "contacts": got.get("status", {}),
        "flags": got.get("contact", {}),
        "outcomes": {(k or None): v for k, v in outcomes.items()},
        "dialogs": got.get("dialog", {}),
        "intents": got.get("intent", {}),
    }
