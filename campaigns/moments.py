"""Times typed by people (`--at`, `--since`, a call-back time in the console's form): ISO 8601,
read in a named zone when they carry no offset. The one parser the CLI and the console share."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from campaigns.errors import InvalidInput
from campaigns.policy import zone


def local_moment(text: str, tz: str, bad: str) -> datetime:
    """An ISO 8601 moment, in UTC; one without an offset is read in `tz` (the campaign's or the
    customer's zone). Not ISO 8601: the one line `bad`."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(bad) from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone(tz))).astimezone(UTC)


def parse_when(text: str | None, tz: str, end_of_day: bool = False) -> datetime | None:
    """ISO date or date-time; no offset: read in `tz`. A bare date given as an end (`--until`)
    means the end of that day, so `--since 2026-03-01 --until 2026-03-31` is all of March."""
    if text is None:
        return None
    bad = f"{text!r} is not a date or time: use e.g. 2026-03-04 or 2026-03-04T09:30"
    if len(text.strip()) == 10:
        try:
            day = date.fromisoformat(text.strip()) + timedelta(days=1 if end_of_day else 0)
        except ValueError as exc:
            raise InvalidInput(bad) from exc
        text = datetime.combine(day, datetime.min.time()).isoformat()
    return local_moment(text, tz, bad)
