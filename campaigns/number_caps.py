"""Per-number contact policy across campaigns: how often one number may be called, whatever the
campaign, and holding back the numbers that may not be called yet.

The counts are of attempts the dial gate let out (`attempt.dialled_at`), in every campaign, so a
customer on three lists is called no more often than on one. Used at claim time (capped numbers
are not claimed) and again by the dial gate just before the Originate (campaigns/gate.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from campaigns.models import Attempt, Campaign, Contact
from campaigns.policy import NumberCaps, number_free_at

A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
C = Contact.__table__  # type: ignore[attr-defined]
IN_CALL = "a call to this number is in progress"
IN_CALL_RECHECK = timedelta(seconds=30)  # a call's end is not known in advance: look again soon


def campaign_caps(campaign: Campaign) -> NumberCaps:
    return NumberCaps(campaign.number_max_per_minute, campaign.number_max_per_hour,
                      campaign.number_max_per_day)  # fmt: skip


def caps_for(campaign: Campaign, caps: NumberCaps | None) -> NumberCaps:
    """The limits a number is held to in this campaign: the settings' and the campaign's own,
    the stricter of each."""
    return (caps or NumberCaps()).stricter(campaign_caps(campaign))


def hold_kind(reason: str) -> str:
    """The short kind of a `held_until` reason, for counting (`hold_reason`, a refusal's kind)."""
    return "in call" if reason == IN_CALL else "number cap"


def lock_numbers(conn: Connection, phones: Iterable[str]) -> None:
    """On PostgreSQL, serialise the checks of one number across workers and campaigns until the
    transaction ends (SQLite's BEGIN IMMEDIATE already serialises every writer)."""
    if conn.dialect.name != "postgresql":
        return
    # One order everywhere (sorted), so two workers never wait on each other in a circle.
    sql = sa.text(
        "SELECT count(pg_advisory_xact_lock(hashtextextended(p, 7)))"
        " FROM (SELECT DISTINCT unnest(CAST(:ps AS text[])) AS p ORDER BY 1) AS numbers"
    )
    conn.execute(sql, {"ps": sorted(set(phones))})


def dialled_times(
    conn: Connection, phones: Sequence[str], caps: NumberCaps, now: datetime,
    exclude_attempt: str | None = None,
) -> tuple[dict[str, list[datetime]], set[str]]:  # fmt: skip
    """For each number: when it was dialled within the longest capped span; and the numbers
    with a call in progress right now (dialled, no outcome yet)."""
    since = now - max(caps.longest, timedelta(days=1))
    q = sa.select(A.c.phone, A.c.dialled_at, A.c.outcome).where(
        A.c.phone.in_(list(phones)), A.c.dialled_at.is_not(None), A.c.dialled_at > since
    )
    if exclude_attempt is not None:
        q = q.where(A.c.id != exclude_attempt)
    times: dict[str, list[datetime]] = defaultdict(list)
    live: set[str] = set()
    for phone, at, outcome in conn.execute(q):
        times[phone].append(at)
        if outcome is None:
            live.add(phone)
    return times, live


def held_until(
    phone: str, caps: NumberCaps, times: dict[str, list[datetime]], live: set[str],
    now: datetime,
) -> tuple[datetime, str] | None:  # fmt: skip
    """When this number may be called again and why, or None when it may be called now."""
    if phone in live:
        return now + IN_CALL_RECHECK, IN_CALL
    return number_free_at(caps, times.get(phone, ()), now)


def hold_capped(conn: Connection, caps: NumberCaps, rows: list[Any], now: datetime) -> list[Any]:
    """Inside a claim: the due rows whose number may be called now; the others are moved to
    the moment their cap frees them (marked `number cap`) and not claimed."""
    if not rows:
        return rows
    # No per-number lock here: this only spares claims that would be refused; the dial gate
    # checks again under the lock just before the call.
    times, live = dialled_times(conn, [r.phone for r in rows], caps, now)
    keep: list[Any] = []
    for r in rows:
        held = held_until(r.phone, caps, times, live, now)
        if held is None:
            keep.append(r)
            continue
        conn.execute(sa.update(C).where(C.c.id == r.id)
                     .values(next_attempt_at=held[0], hold_reason=hold_kind(held[1])))  # fmt: skip
    return keep
