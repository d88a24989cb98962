"""Writing a claim: the leased contacts and their open attempts.

On PostgreSQL at ten million contacts a claim's cost is the pages it touches at random (docs/
benchmarks.md, "Ten million contacts"): one statement leases every contact, then inserts every
attempt, so the attempts' foreign-key checks read contact pages already in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from campaigns.models import Attempt, Contact

A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
C = Contact.__table__  # type: ignore[attr-defined]


_LEASE_PG = sa.text(
    """
    WITH v AS (SELECT * FROM unnest(CAST(:cids AS bigint[]), CAST(:aids AS text[]),
                                    CAST(:phones AS text[])) AS v(cid, aid, phone)),
    leased AS (
      UPDATE contact AS c SET status = 'calling', lease_owner = :w, current_attempt_id = v.aid,
             next_attempt_at = :lu, hold_reason = NULL
      FROM v WHERE c.id = v.cid RETURNING c.id
    )
    INSERT INTO attempt (id, campaign_id, contact_id, phone, worker_id, started_at, lease_until,
                         score_breakdown)
    SELECT v.aid, :c, v.cid, v.phone, :w, :now, :lu, '[]' FROM v JOIN leased ON leased.id = v.cid
    """
).bindparams(sa.bindparam("lu", type_=C.c.next_attempt_at.type),
             sa.bindparam("now", type_=A.c.started_at.type))  # fmt: skip


def lease_rows(
    conn: Connection, campaign_id: int, claims: Sequence[tuple[int, str, str]], worker_id: str,
    now: datetime, lease_until: datetime,
) -> None:  # fmt: skip
    """Write a claim: each (contact id, attempt id, phone) leased, with one open attempt."""
    if conn.dialect.name == "postgresql":
        # One statement for all of them, the constants bound once: the contacts first, so the
        # attempts' foreign-key checks find their pages already in memory.
        conn.execute(_LEASE_PG, {
            "cids": [c[0] for c in claims], "aids": [c[1] for c in claims],
            "phones": [c[2] for c in claims], "w": worker_id, "lu": lease_until, "now": now,
            "c": campaign_id})  # fmt: skip
        return
    conn.execute(
        sa.insert(A),
        [
            {
                "id": aid,
                "campaign_id": campaign_id,
                "contact_id": cid,
                "phone": phone,
                "worker_id": worker_id,
                "started_at": now,
                "lease_until": lease_until,
                "score_breakdown": [],
            }
            for cid, aid, phone in claims
        ],
    )
    conn.execute(
        sa.update(C)
        .where(C.c.id == sa.bindparam("cid"))
        .values(
            status="calling",
            lease_owner=worker_id,
            current_attempt_id=sa.bindparam("aid"),
            next_attempt_at=lease_until,
            hold_reason=None,
        ),
        [{"cid": cid, "aid": aid} for cid, aid, _ in claims],
    )
