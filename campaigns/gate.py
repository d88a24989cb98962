"""The one "may I dial this now" gate, asked just before every Originate.

A claim can wait in the dialer's hopper for a while; meanwhile its number may have been put on
the do-not-call list, the campaign paused or archived, the calling window closed, the contact's
caps reached, or its number called from another campaign. `admit` checks all of it again in one
write transaction (per number serialised across workers), gives back every claim that may not be
dialled without counting an attempt (rescheduled to when it may), and lets the first one that
may go, marking it dialled and renewing its lease for the call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from campaigns.db import write_connection
from campaigns.dialing import Claim, campaign_row
from campaigns.models import Attempt, Contact, DncEntry
from campaigns.number_caps import caps_for, dialled_times, held_until, hold_kind, lock_numbers
from campaigns.policy import CallingPolicy, NumberCaps, is_open, next_open, zone
from campaigns.repo import policy_of

log = logging.getLogger(__name__)
A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
C = Contact.__table__  # type: ignore[attr-defined]
D = DncEntry.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Refusal:
    """A claim the gate would not dial: why (`kind` is short, for counting) and until when."""

    claim: Claim
    kind: str  # dnc | paused | window | daily cap | attempts | number cap | in call | lease
    reason: str
    until: datetime | None = None


@dataclass(frozen=True)
class GateResult:
    admitted: Claim | None
    refused: list[Refusal]

    @property
    def used(self) -> int:
        """How many claims from the front of the list were decided."""
        return len(self.refused) + (self.admitted is not None)


def admit(
    engine: Engine, claims: Sequence[Claim], lease: timedelta, caps: NumberCaps | None = None,
    now: datetime | None = None,
) -> GateResult:  # fmt: skip
    """Check `claims` in order (one campaign's); refuse and give back each that may not be
    dialled now; admit the first that may. Nothing after the admitted one is looked at."""
    now = now or datetime.now(UTC)
    refused: list[Refusal] = []
    if not claims:
        return GateResult(None, refused)
    with write_connection(engine) as conn, conn.begin():
        campaign = campaign_row(conn, claims[0].campaign_id)
        policy = policy_of(campaign)
        limits = caps_for(campaign, caps)
        for c in claims:
            refusal = _check(conn, campaign.status, policy, limits, c, now)
            if refusal is None:
                _let_go(conn, c, now, lease)
                return GateResult(c, refused)
            _give_back(conn, refusal, now)
            refused.append(refusal)
    return GateResult(None, refused)


def _check(
    conn: Connection, status: str, policy: CallingPolicy, caps: NumberCaps, c: Claim,
    now: datetime,
) -> Refusal | None:  # fmt: skip
    att = conn.execute(sa.select(A.c.outcome, A.c.lease_until).where(A.c.id == c.attempt_id))
    row = att.first()
    contact = conn.execute(sa.select(C).where(C.c.id == c.contact_id)).first()
    if row is None or row.outcome is not None or contact is None \
            or contact.current_attempt_id != c.attempt_id or row.lease_until <= now:  # fmt: skip
        return Refusal(c, "lease", "the claim's lease ran out before it was dialled")
    if status != "active":
        return Refusal(c, "paused", f"the campaign is {status}")
    if conn.execute(sa.select(D.c.phone).where(D.c.phone == c.phone)).first() is not None:
        return Refusal(c, "dnc", "the number is on the do-not-call list")
    if not is_open(policy, now, c.time_zone):
        return Refusal(c, "window", "outside the calling window",
                       next_open(policy, now, c.time_zone))  # fmt: skip
    return _caps(conn, policy, caps, c, contact, now)


def _caps(
    conn: Connection, policy: CallingPolicy, caps: NumberCaps, c: Claim, contact: Any,
    now: datetime,
) -> Refusal | None:  # fmt: skip
    tz = zone(c.time_zone)
    today = now.astimezone(tz).date()
    if contact.attempts >= policy.max_attempts and contact.last_outcome != "callback":
        return Refusal(c, "attempts", f"{contact.attempts} attempts made (max "
                       f"{policy.max_attempts})")  # fmt: skip
    if contact.day_key == today.isoformat() and contact.day_attempts >= policy.max_per_day:
        tomorrow = datetime.combine(today + timedelta(days=1), time(0), tz).astimezone(UTC)
        said = f"{contact.day_attempts} attempts today (max {policy.max_per_day})"
        return Refusal(c, "daily cap", said, next_open(policy, tomorrow, c.time_zone))
    lock_numbers(conn, [c.phone])
    times, live = dialled_times(conn, [c.phone], caps, now, exclude_attempt=c.attempt_id)
    held = held_until(c.phone, caps, times, live, now)
    if held is None:
        return None
    return Refusal(c, hold_kind(held[1]), held[1], next_open(policy, held[0], c.time_zone))


def _let_go(conn: Connection, c: Claim, now: datetime, lease: timedelta) -> None:
    """Mark the attempt dialled and give the call a full lease from now."""
    until = now + lease
    conn.execute(sa.update(A).where(A.c.id == c.attempt_id)
                 .values(dialled_at=now, lease_until=until))  # fmt: skip
    conn.execute(sa.update(C).where(C.c.id == c.contact_id)
                 .values(next_attempt_at=until, hold_reason=None))  # fmt: skip


def _give_back(conn: Connection, r: Refusal, now: datetime) -> None:
    """Undo the claim (no attempt counted) and reschedule the contact as the refusal says."""
    c = r.claim
    conn.execute(sa.delete(A).where(A.c.id == c.attempt_id, A.c.outcome.is_(None)))
    # Only a contact still held by this claim is touched (a lease taken over is not ours).
    mine = sa.and_(C.c.id == c.contact_id, C.c.current_attempt_id == c.attempt_id)
    free = {"lease_owner": None, "current_attempt_id": None}
    if r.kind == "dnc":
        values: dict[str, Any] = {"status": "dnc", "queued": False, "hold_reason": "dnc"}
    elif r.kind == "attempts" or (r.until is None and r.kind not in ("paused", "lease")):
        values = {"status": "exhausted", "queued": False, "hold_reason": r.kind}
    else:
        values = {
            "status": sa.case((C.c.status == "dnc", "dnc"), (C.c.attempts == 0, "new"),
                              else_="retry"),
            "next_attempt_at": r.until or now,
            "hold_reason": None if r.kind in ("paused", "lease") else r.kind,
        }  # fmt: skip
    conn.execute(sa.update(C).where(mine).values(**free, **values))
    log.info("claim %s not dialled: %s", c.attempt_id, r.reason)


