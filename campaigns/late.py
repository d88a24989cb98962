"""A call's report that arrives after its lease ran out (docs/reliability.md).

A claim that finds an attempt's lease run out closes it as `expired` and reschedules its
contact; if that call was in fact still going on (a long call, a slow hopper, a worker cut off from
the database for a while), its report comes in afterwards. It is put on the same attempt: the
real outcome, transcript, recording and lead replace `expired`, the cause says it came late, and
the attempt counts once. The contact follows the real outcome unless it has been claimed again
since (then the newer attempt decides; an opt-out still lists the number at once).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from campaigns.dialing import A, AttemptResult, C, attempt_values, campaign_row, reschedule
from campaigns.policy import ContactProgress
from campaigns.repo import policy_of


def record_late(conn: Connection, attempt_id: str, result: AttemptResult, now: datetime) -> bool:
    """Inside the caller's transaction: store `result` on an attempt a claim expired. False
    when the attempt has any other outcome (then this is a second report of one call)."""
    att = conn.execute(sa.select(A).where(A.c.id == attempt_id)).first()
    if att is None or att.outcome != "expired":
        return False
    note = f"stored after its lease ran out at {att.ended_at:%Y-%m-%d %H:%M:%S} UTC"
    late = replace(result, cause=f"{note}; {result.cause}" if result.cause else note)
    done = conn.execute(
        sa.update(A)
        .where(A.c.id == attempt_id, A.c.outcome == "expired")
        .values(**attempt_values(late, now))
    )
    if done.rowcount != 1:
        return False
    contact = conn.execute(sa.select(C).where(C.c.id == att.contact_id)).one()
    newer = conn.execute(
        sa.select(A.c.id)
        .where(A.c.contact_id == att.contact_id, A.c.started_at > att.started_at)
        .limit(1)
    ).first()
    if newer is None and contact.current_attempt_id is None:
        # Nobody has called them since: the real outcome decides what comes next, and the
        # attempt the expiry already counted is not counted a second time.
        progress = ContactProgress(max(0, contact.attempts - 1), max(0, contact.day_attempts - 1),
                                   contact.day_key, contact.time_zone)  # fmt: skip
        policy = policy_of(campaign_row(conn, att.campaign_id))
        reschedule(conn, policy, contact, progress, result, now)
    return True
