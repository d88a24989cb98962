"""The playback audit log: every time someone listens to a call's recording, who and when.

The web console calls `record_playback` before it serves a recording; auditors read the log with
`outreach audit list`. Rows are only ever added.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns.db import write_connection
from campaigns.errors import InvalidInput
from campaigns.models import Attempt, PlaybackAudit
from campaigns.qa import require_call, row_dict
from campaigns.repo import utcnow

A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
P = PlaybackAudit.__table__  # type: ignore[attr-defined]


def record_playback(engine: Engine, user: str, call_id: str, at: datetime | None = None) -> int:
    """Log that `user` played the recording of call `call_id` at `at`; returns the entry's id."""
    if not user.strip():
        raise InvalidInput("a playback is logged with the user who listened")
    with write_connection(engine) as conn, conn.begin():
        require_call(conn, call_id)
        values = {"user": user.strip(), "attempt_id": call_id, "at": at or utcnow()}
        return int(conn.execute(sa.insert(P).values(**values).returning(P.c.id)).scalar_one())


def list_playbacks(
    engine: Engine,
    call_id: str | None = None,
    user: str | None = None,
    since: datetime | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Playbacks, newest first (keys: id, user, call_id, phone, at)."""
    q = sa.select(P.c.id, P.c.user, P.c.attempt_id.label("call_id"), A.c.phone, P.c.at).join(
        A, A.c.id == P.c.attempt_id
    )
    if call_id is not None:
        q = q.where(P.c.attempt_id == call_id)
    if user is not None:
        q = q.where(P.c.user == user)
    if since is not None:
        q = q.where(P.c.at >= since)
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(P.c.at.desc(), P.c.id.desc()).limit(limit)).mappings()
        return [row_dict(r) for r in rows]
