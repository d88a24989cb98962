"""Why nobody (or only some) is due: the queued contacts of a campaign grouped by what they wait
for (the calling window, a retry delay, a cap, a call in progress) and when the next one opens.

`campaign due` and `outreach run` print this so that an empty table or a run that dials nobody
says why and when calling starts. Pure reads, one grouped query plus the policy's clock maths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns.dialing import campaign_row
from campaigns.models import Contact
from campaigns.policy import is_open, next_open
from campaigns.repo import policy_of

C = Contact.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
# What each hold means to a campaign manager, for the sentences `campaign due` prints.
REASONS = {
    "window": "wait for the calling window",
    "retry": "wait for their retry delay",
    "daily cap": "reached today's attempts (max per day)",
    "number cap": "are held by the per-number caps",
    "in call": "have a call to their number in progress elsewhere",
    "calling": "are being called now",
    "paused": "wait for the campaign to be resumed",
}


@dataclass(frozen=True)
class WaitGroup:
    reason: str  # a key of REASONS
    contacts: int
    next_at: datetime | None  # when the first of them may be called (None: not known)


@dataclass(frozen=True)
class Waiting:
    status: str  # the campaign's
    due: int  # may be dialled now
    groups: list[WaitGroup]
    finished: dict[str, int] = field(default_factory=dict)  # done / exhausted / dnc counts

    @property
    def next_at(self) -> datetime | None:
        """The next moment a contact opens, when none is due now."""
        times = [g.next_at for g in self.groups if g.next_at is not None and g.reason != "calling"]
        return min(times) if times else None


def _aware(at: datetime | str) -> datetime:
    """A MIN over a CASE loses the column's type on SQLite: the text comes back, read as UTC."""
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def waiting(engine: Engine, campaign_id: int, now: datetime) -> Waiting:
    """The campaign's queue at `now`: how many are due, who waits for what, until when."""
    with engine.connect() as conn:
        campaign = campaign_row(conn, campaign_id)
        due_now = sa.func.sum(sa.case((C.c.next_attempt_at <= now, 1), else_=0))
        later = sa.func.min(sa.case((C.c.next_attempt_at > now, C.c.next_attempt_at)))
        rows = conn.execute(
            sa.select(C.c.time_zone, C.c.hold_reason, C.c.status, due_now, sa.func.count(),
                      later.label("later"))
            .where(C.c.campaign_id == campaign_id, C.c.queued == sa.true())
            .group_by(C.c.time_zone, C.c.hold_reason, C.c.status)
        ).all()  # fmt: skip
        done = conn.execute(
            sa.select(C.c.status, sa.func.count())
            .where(C.c.campaign_id == campaign_id, C.c.queued == sa.false())
            .group_by(C.c.status)
        ).all()
    policy = policy_of(campaign)
    groups: dict[str, list[Any]] = {}
    due = 0

    def add(reason: str, n: int, at: datetime | None) -> None:
        g = groups.setdefault(reason, [0, None])
        g[0] += n
        if at is not None and (g[1] is None or at < g[1]):
            g[1] = at

    for tz, hold, status, n_due, n, first in rows:
        n_due = int(n_due or 0)
        if status == "calling":
            add("calling", n, None)
            continue
        if campaign.status != "active":
            add("paused", n, None)
            continue
        if n_due and is_open(policy, now, tz):
            due += n_due
        elif n_due:
            add("window", n_due, next_open(policy, now, tz))
        if n > n_due:
            at = next_open(policy, _aware(first), tz)
            add(hold if hold in REASONS else "retry", n - n_due, at)
    return Waiting(
        campaign.status, due,
        [WaitGroup(r, n, at) for r, (n, at) in sorted(groups.items(), key=lambda kv: -kv[1][0])],
        {str(s): int(n) for s, n in done},
    )  # fmt: skip
