"""A campaign's progress today, for the live display of `run` and the web console: calls made
of those due today, the rate, when the rest should be done, lines in use.

`campaign_progress` reads the database (every worker's calls count) and takes `now`, so it is
tested with a fixed clock. "Today" is the campaign's local day (its `time_zone`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns.dialing import campaign_row
from campaigns.models import Attempt, Contact
from campaigns.policy import next_open, zone
from campaigns.repo import policy_of

A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
C = Contact.__table__  # type: ignore[attr-defined]
RATE_SPAN = timedelta(minutes=15)  # the rate is of calls finished in the last 15 minutes


@dataclass(frozen=True)
class Progress:
    done: int  # calls finished today (the campaign's local day), by every worker
    total: int  # done + contacts still to call today (in flight included)
    rate_per_min: float | None  # calls finished per minute, the last 15 minutes at most
    eta: datetime | None  # when the rest of today's calls should be done, at that rate
    lines_in_use: int  # calls dialled and not finished, every worker
    max_lines: int  # the campaign's channel limit (per worker)
    day: date
    time_zone: str

    @property
    def remaining(self) -> int:
        return self.total - self.done

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    def as_json(self) -> dict[str, object]:
        return {
            "done": self.done, "total": self.total, "remaining": self.remaining,
            "rate_per_min": None if self.rate_per_min is None else round(self.rate_per_min, 2),
            "eta": self.eta.isoformat(timespec="seconds") if self.eta else None,
            "lines_in_use": self.lines_in_use, "max_lines": self.max_lines,
            "day": self.day.isoformat(), "time_zone": self.time_zone,
        }  # fmt: skip


def campaign_progress(engine: Engine, campaign_id: int, now: datetime) -> Progress:
    """Where the campaign stands today. A contact counts as due today when it is queued with a
    `next_attempt_at` before local midnight and its zone's window opens again before then."""
    with engine.connect() as conn:
        campaign = campaign_row(conn, campaign_id)
        tz = zone(campaign.time_zone)
        day = now.astimezone(tz).date()
        start = datetime.combine(day, time(0), tz)
        end = start + timedelta(days=1)
        mine = A.c.campaign_id == campaign_id
        done = conn.execute(sa.select(sa.func.count()).where(
            mine, A.c.dialled_at.is_not(None), A.c.ended_at >= start)).scalar_one()  # fmt: skip
        recent = [r[0] for r in conn.execute(sa.select(A.c.ended_at).where(
            mine, A.c.dialled_at.is_not(None), A.c.ended_at > now - RATE_SPAN))]  # fmt: skip
        live = conn.execute(sa.select(sa.func.count()).where(
            mine, A.c.dialled_at.is_not(None), A.c.outcome.is_(None))).scalar_one()  # fmt: skip
        zones = conn.execute(
            sa.select(C.c.time_zone, sa.func.count())
            .where(C.c.campaign_id == campaign_id, C.c.queued == sa.true(),
                   C.c.status != "calling", C.c.next_attempt_at < end)
            .group_by(C.c.time_zone)
        ).all()  # fmt: skip
    policy = policy_of(campaign)
    left = 0
    for contact_zone, n in zones:
        opens = next_open(policy, now, contact_zone, horizon_days=1)
        left += n if opens is not None and opens < end else 0
    left += live
    # Over the last 15 minutes, or since the first of those calls ended when that is sooner (a
    # run two minutes old is not diluted over 15), but never less than a minute.
    span = min(RATE_SPAN, max(timedelta(minutes=1), now - min(recent))) if recent else RATE_SPAN
    rate = len(recent) / (span.total_seconds() / 60) if recent else None
    eta = now + timedelta(minutes=left / rate) if rate and left else None
    return Progress(int(done), int(done) + left, rate, eta, int(live), campaign.max_channels,
                    day, campaign.time_zone)  # fmt: skip
