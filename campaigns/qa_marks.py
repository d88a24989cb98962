"""QA marks: a reviewer's pass/fail verdict on a call, with tags and a comment.

Marks are kept as history (who marked what, when); a call's *current* mark is its latest. Tags
are stored as `,tag1,tag2,` so "calls tagged X" is a LIKE on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from campaigns.db import write_connection
from campaigns.errors import InvalidInput
from campaigns.models import Attempt, QaMark
from campaigns.qa import require_call, row_dict
from campaigns.repo import utcnow

A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
M = QaMark.__table__  # type: ignore[attr-defined]
VERDICTS = ("pass", "fail")
MAX_TAG = 40


def clean_tags(tags: Sequence[str]) -> list[str]:
    """Tags as typed (`--tag misheard --tag "too fast"`), trimmed, lower-cased, no duplicates."""
    out: list[str] = []
    for raw in tags:
        tag = raw.strip().lower()
        if not tag or "," in tag or len(tag) > MAX_TAG:
            raise InvalidInput(f"bad tag {raw!r}: a tag is 1-{MAX_TAG} characters without ','")
        if tag not in out:
            out.append(tag)
    return out


def _shape(row: Any) -> dict[str, Any]:
    d = row_dict(row)
    d["tags"] = [t for t in str(d.pop("tags") or "").split(",") if t]
    return d


def mark_call(
    engine: Engine,
    attempt_id: str,
    reviewer: str,
    verdict: str,
    tags: Sequence[str] = (),
    comment: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Store a reviewer's mark on a call; it becomes the call's current mark. Returns it
    (keys: id, attempt_id, reviewer, verdict, tags (list), comment, created_at)."""
    if verdict not in VERDICTS:
        raise InvalidInput(f"unknown QA verdict {verdict!r}: use one of {', '.join(VERDICTS)}")
    if not reviewer.strip():
        raise InvalidInput("a QA mark needs the reviewer's name (--reviewer)")
    clean = clean_tags(tags)
    values = {
        "attempt_id": attempt_id,
        "reviewer": reviewer.strip(),
        "verdict": verdict,
        "tags": "," + ",".join(clean) + "," if clean else "",
        "comment": (comment or "").strip() or None,
        "created_at": now or utcnow(),
    }
    with write_connection(engine) as conn, conn.begin():
        require_call(conn, attempt_id)
        mark_id = conn.execute(sa.insert(M).values(**values).returning(M.c.id)).scalar_one()
        return _shape(conn.execute(sa.select(M).where(M.c.id == mark_id)).mappings().one())


def marks_of(engine: Engine, attempt_id: str) -> list[dict[str, Any]]:
    """Every mark on a call, newest (current) first."""
    q = sa.select(M).where(M.c.attempt_id == attempt_id).order_by(M.c.id.desc())
    with engine.connect() as conn:
        return [_shape(r) for r in conn.execute(q).mappings()]


def latest_mark_ids() -> sa.Select[Any]:
    """The id of each call's current mark (a subquery for filters)."""
    return sa.select(sa.func.max(M.c.id)).group_by(M.c.attempt_id)


def current_marks(conn: Connection, attempt_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The current mark of each of these calls that has one."""
    if not attempt_ids:
        return {}
    latest = (
        sa.select(sa.func.max(M.c.id)).where(M.c.attempt_id.in_(attempt_ids))
        .group_by(M.c.attempt_id)
    )  # fmt: skip
    rows = conn.execute(sa.select(M).where(M.c.id.in_(latest))).mappings()
    return {r["attempt_id"]: _shape(r) for r in rows}
