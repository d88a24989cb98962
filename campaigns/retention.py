"""Retention: a call's recording and transcript are deleted once older than N days; the call
itself (attempt row, outcome, score, lead, QA marks) is kept. Every real run is written to the
`retention_audit` table, one row per campaign.

Calls are walked in (started_at, id) order in batches, so a long run shows progress. A batch's
files go first, then its rows in one transaction: a run stopped in between leaves paths to
missing files and transcripts still there, which the next run finishes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns.db import write_connection
from campaigns.models import Attempt, CallSearch, Campaign, RetentionAudit, Turn
from campaigns.repo import utcnow

A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
T = Turn.__table__  # type: ignore[attr-defined]
S = CallSearch.__table__  # type: ignore[attr-defined]
R = RetentionAudit.__table__  # type: ignore[attr-defined]
K = Campaign.__table__  # type: ignore[attr-defined]
BATCH = 500


@dataclass
class Swept:
    """What a retention pass over one campaign did (or, on a dry run, would do)."""

    campaign_id: int
    days: int
    cutoff: datetime
    dry_run: bool
    calls: int = 0  # calls older than the cutoff that still had a recording or a transcript
    recordings: int = 0  # files deleted
    recordings_missing: int = 0  # paths whose file was already gone (cleared)
    bytes: int = 0
    transcripts: int = 0  # calls whose turns were deleted
    turns: int = 0
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "cutoff": self.cutoff.isoformat()}


def _old(campaign_id: int, cutoff: datetime) -> sa.ColumnElement[bool]:
    has_turns = sa.exists().where(T.c.attempt_id == A.c.id)
    has_text = sa.exists().where(S.c.attempt_id == A.c.id)
    return sa.and_(
        A.c.campaign_id == campaign_id,
        A.c.started_at < cutoff,
        sa.or_(A.c.recording_path.is_not(None), has_turns, has_text),
    )


def cutoff_for(days: int, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=days)


def count_old(engine: Engine, campaign_id: int, cutoff: datetime) -> int:
    with engine.connect() as conn:
        q = sa.select(sa.func.count()).where(_old(campaign_id, cutoff))
        return int(conn.execute(q).scalar_one())


def _remove_file(path: str, swept: Swept) -> bool:
    """Delete one recording; True when the call's path may be cleared."""
    p = Path(path)
    if p.suffix.lower() != ".wav":
        swept.errors.append(f"{path}: not a recording (.wav), left in place")
        return False
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        swept.recordings_missing += 1
        return True
    except OSError as exc:
        swept.errors.append(f"{path}: {exc.strerror or exc}")
        return False
    if not swept.dry_run:
        try:
            p.unlink()
        except FileNotFoundError:
            swept.recordings_missing += 1
            return True
        except OSError as exc:
            swept.errors.append(f"{path}: {exc.strerror or exc}")
            return False
    swept.recordings += 1
    swept.bytes += size
    return True


def _batch(
    engine: Engine, swept: Swept, after: tuple[datetime, str] | None
) -> tuple[datetime, str] | None:
    """One batch: returns the last call seen, None when there are no more."""
    q = sa.select(A.c.id, A.c.started_at, A.c.recording_path).where(
        _old(swept.campaign_id, swept.cutoff)
    )
    if after is not None:
        q = q.where(sa.tuple_(A.c.started_at, A.c.id) > sa.tuple_(*after))
    with engine.connect() as conn:
        rows = list(conn.execute(q.order_by(A.c.started_at, A.c.id).limit(BATCH)))
        ids = [r.id for r in rows]
        counts = conn.execute(
            sa.select(T.c.attempt_id, sa.func.count())
            .where(T.c.attempt_id.in_(ids))
            .group_by(T.c.attempt_id)
        )
        turns = {str(r[0]): int(r[1]) for r in counts}
    if not rows:
        return None
    cleared = [r.id for r in rows if r.recording_path and _remove_file(r.recording_path, swept)]
    swept.calls += len(rows)
    swept.transcripts += len(turns)
    swept.turns += sum(turns.values())
    if not swept.dry_run:
        with write_connection(engine) as conn, conn.begin():
            conn.execute(sa.delete(T).where(T.c.attempt_id.in_(ids)))
            conn.execute(sa.delete(S).where(S.c.attempt_id.in_(ids)))
            if cleared:
                conn.execute(sa.update(A).where(A.c.id.in_(cleared)).values(recording_path=None))
    return rows[-1].started_at, rows[-1].id


def sweep(
    engine: Engine,
    campaign_id: int,
    days: int,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    on_batch: Callable[[Swept], None] | None = None,
) -> Swept:
    """Delete (or, with `dry_run`, only measure) the recordings and transcripts of the campaign's
    calls that started more than `days` days before `now`."""
    cutoff = cutoff_for(days, now)
    swept = Swept(campaign_id, days, cutoff, dry_run)
    last: tuple[datetime, str] | None = None
    while True:
        last = _batch(engine, swept, last)
        if last is None:
            return swept
        if on_batch is not None:
            on_batch(swept)


def record_run(engine: Engine, swept: Swept, by: str, at: datetime | None = None) -> None:
    """One audit row for a real pass (a dry run changes nothing and is not recorded)."""
    values = {
        "at": at or utcnow(), "by": by, "campaign_id": swept.campaign_id, "days": swept.days,
        "cutoff": swept.cutoff, "calls": swept.calls, "recordings": swept.recordings,
        "bytes": swept.bytes, "transcripts": swept.transcripts, "turns": swept.turns,
        "errors": len(swept.errors),
    }  # fmt: skip
    with write_connection(engine) as conn, conn.begin():
        conn.execute(sa.insert(R).values(**values))


def audit_rows(engine: Engine, limit: int = 1000) -> list[dict[str, Any]]:
    """The retention runs, newest first, with the campaign's name; times in ISO 8601."""
    q = (
        sa.select(R, K.c.name.label("campaign"))
        .join(K, K.c.id == R.c.campaign_id)
        .order_by(R.c.at.desc(), R.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
    for r in rows:
        r["at"], r["cutoff"] = r["at"].isoformat(), r["cutoff"].isoformat()
    return rows
