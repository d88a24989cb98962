"""When a customer may be called back: inside the campaign's calling hours in the customer's zone.

Pure functions (no clock, no database): an agent's callback time is checked before it is stored,
and a refused time comes with the nearest time that is allowed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from campaigns.errors import InvalidInput
from campaigns.policy import CallingPolicy, is_open, next_open, zone


def local_label(moment: datetime, tz: str) -> str:
    """`Sun 2026-03-08 03:00 Asia/Seoul`: how an agent reads a time in the customer's zone."""
    return moment.astimezone(zone(tz)).strftime("%a %Y-%m-%d %H:%M ") + tz


def last_open_before(policy: CallingPolicy, moment: datetime, tz: str) -> datetime | None:
    """The last whole minute before `moment` when calling was allowed (within 31 days)."""
    z = zone(tz)
    local = moment.astimezone(z)
    for back in range(32):
        day = local.date() - timedelta(days=back)
        if day in policy.excluded_dates:
            continue
        ends = [datetime.combine(day, end, z) for _, end in policy.windows.get(day.weekday(), ())]
        ends = [e for e in ends if e <= local]
        if ends:
            last = max(ends) - timedelta(minutes=1)
            return last.replace(second=0, microsecond=0).astimezone(UTC)
    return None


def nearest_allowed(
    policy: CallingPolicy, moment: datetime, tz: str, now: datetime
) -> datetime | None:
    """The allowed time nearest to `moment` that is still in the future (later wins a tie)."""
    after = next_open(policy, moment, tz)
    before = last_open_before(policy, moment, tz)
    if before is not None and before <= now:
        before = None
    options = [t for t in (after, before) if t is not None]
    return min(options, key=lambda t: (abs(t - moment), t < moment)) if options else None


def check_callback_time(policy: CallingPolicy, moment: datetime, tz: str, now: datetime) -> None:
    """Refuse a callback in the past or outside calling hours, saying what would be allowed."""
    if moment <= now:
        raise InvalidInput("the callback time is in the past: give a later --at")
    if is_open(policy, moment, tz):
        return
    nearest = nearest_allowed(policy, moment, tz, now)
    hint = (
        f"the nearest allowed time is {local_label(nearest, tz)}"
        if nearest
        else "the campaign has no calling hours in the next 31 days"
    )
    raise InvalidInput(
        f"callback at {local_label(moment, tz)} is outside the campaign's calling hours for "
        f"this customer; {hint}"
    )
