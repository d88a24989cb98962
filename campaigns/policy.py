"""Calling policy as pure functions: windows in the contact's local time, retries, daily caps.

Nothing here reads a clock or a database: every function takes `now` (aware UTC) and returns a
decision, so the rules are tested with fixed clocks across time zones and DST changes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaigns.errors import InvalidInput

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WINDOW = "09:00-20:00"
DEFAULT_DAYS = "mon-sat"
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_MAX_PER_DAY = 3
MIN_RETRY = timedelta(minutes=2)  # as VICIdial: never redial a number sooner than this

Column = Literal["outcome", "dialog_outcome"]  # the attempt's column that holds a name


@dataclass(frozen=True)
class OutcomeRule:
    """One name of the outcome vocabulary (docs/reliability.md): the attempt column that holds
    it, the wait before the next try (None: the contact's journey ends, or for `answered` the
    dialog outcome decides), whether a script's end state may name it, and whether it is a
    result of the conversation (reports count it as completed)."""

    column: Column
    retry: timedelta | None
    script: bool = False
    business: bool = False


_H = timedelta(hours=1)
_DIAL: Column = "outcome"
_DIALOG: Column = "dialog_outcome"
# The one list of outcome names: the script checker (through the orchestrator), the retry rules,
# QA search and the reports all read it. A campaign may override any retry delay.
OUTCOMES: dict[str, OutcomeRule] = {
    # How the line went (attempt.outcome).
    "answered": OutcomeRule(_DIAL, None),  # the dialog outcome decides
    "busy": OutcomeRule(_DIAL, timedelta(minutes=30)),
    "no_answer": OutcomeRule(_DIAL, 2 * _H),
    "congestion": OutcomeRule(_DIAL, timedelta(minutes=10)),
    # The carrier's trunk refused (SIP 5xx) or ignored (no reply to the INVITE) the call.
    "trunk_failed": OutcomeRule(_DIAL, timedelta(minutes=10)),
    "machine": OutcomeRule(_DIAL, 4 * _H),
    "failed": OutcomeRule(_DIAL, 24 * _H),
    "unknown": OutcomeRule(_DIAL, _H),
    "expired": OutcomeRule(_DIAL, _H),  # the lease ran out with no report
    "invalid": OutcomeRule(_DIAL, None),  # the contact's data does not fit the script: not dialled
    # How an answered call ended (attempt.dialog_outcome): a script's end state ...
    "interested": OutcomeRule(_DIALOG, None, script=True, business=True),
    "not_interested": OutcomeRule(_DIALOG, None, script=True, business=True),
    "callback": OutcomeRule(_DIALOG, 24 * _H, script=True, business=True),
    "opt_out": OutcomeRule(_DIALOG, None, script=True, business=True),
    "transfer": OutcomeRule(_DIALOG, None, script=True, business=True),
    "no_response": OutcomeRule(_DIALOG, 2 * _H, script=True),
    "wrong_person": OutcomeRule(_DIALOG, None, script=True, business=True),
    "completed": OutcomeRule(_DIALOG, None, script=True, business=True),
    # ... or no end state: the customer hung up mid-dialog, something failed on our side (not
    # the customer's doing), the worker was stopped mid-call.
    "hung_up": OutcomeRule(_DIALOG, 2 * _H),
    "error": OutcomeRule(_DIALOG, _H),
    "interrupted": OutcomeRule(_DIALOG, _H),
    # The worker could not hear the call in real time (overloaded): no decision was taken from
    # it; tried again soon, and not counted against the contact's attempts (only its day's cap).
    "degraded": OutcomeRule(_DIALOG, MIN_RETRY),
}
DEFAULT_RETRY: dict[str, timedelta] = {
    n: r.retry for n, r in OUTCOMES.items() if r.retry is not None
}
# Dialog outcomes that end the contact's journey (anything else with an answer is retried).
FINAL_DIALOG_OUTCOMES = frozenset(
    n for n, r in OUTCOMES.items() if r.column == _DIALOG and r.retry is None
)
BUSINESS_OUTCOMES = frozenset(n for n, r in OUTCOMES.items() if r.business)
SCRIPT_OUTCOMES: tuple[str, ...] = tuple(n for n, r in OUTCOMES.items() if r.script)
DIAL_OUTCOMES: tuple[str, ...] = tuple(n for n, r in OUTCOMES.items() if r.column == _DIAL)

Window = tuple[time, time]


@dataclass(frozen=True)
class CallingPolicy:
    """When a campaign may call, and how it retries. `windows[weekday]` lists local-time ranges."""

    windows: Mapping[int, tuple[Window, ...]]
    excluded_dates: frozenset[date] = frozenset()
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    max_per_day: int = DEFAULT_MAX_PER_DAY
    retry: Mapping[str, timedelta] = field(default_factory=lambda: dict(DEFAULT_RETRY))


def _parse_hhmm(text: str) -> time:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m or int(m[1]) > 24 or int(m[2]) > 59 or (int(m[1]) == 24 and int(m[2]) != 0):
        raise InvalidInput(f"bad time {text!r}: use HH:MM, e.g. 09:00")
    hour, minute = int(m[1]), int(m[2])
    return time.max if hour == 24 else time(hour, minute)


def parse_windows(spec: str) -> tuple[Window, ...]:
    """`09:00-12:00,13:00-20:00` -> sorted, non-overlapping local-time ranges (a lunch break)."""
    out: list[Window] = []
    for part in spec.split(","):
        if "-" not in part:
            raise InvalidInput(f"bad window {part!r}: use START-END, e.g. 09:00-20:00")
        start_s, end_s = part.split("-", 1)
        start, end = _parse_hhmm(start_s), _parse_hhmm(end_s)
        if end <= start:
            raise InvalidInput(f"window {part!r} ends before it starts")
        out.append((start, end))
    out.sort()
    for (_, a_end), (b_start, _) in itertools.pairwise(out):
        if b_start < a_end:
            raise InvalidInput(f"windows overlap in {spec!r}")
    return tuple(out)


def parse_days(spec: str) -> list[int]:
    """`mon-sat`, `mon,wed,fri`, `mon-fri,sun` -> weekday numbers (Monday is 0)."""
    days: set[int] = set()
    for part in spec.lower().replace(" ", "").split(","):
        ends = part.split("-")
        if not all(e in DAYS for e in ends) or len(ends) > 2:
            raise InvalidInput(f"bad days {spec!r}: use e.g. mon-fri or mon,wed,fri")
        a, b = DAYS.index(ends[0]), DAYS.index(ends[-1])
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return sorted(days)


def parse_duration(text: str) -> timedelta:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhd])", text.strip().lower())
    if not m:
        raise InvalidInput(f"bad duration {text!r}: use e.g. 90s, 30m, 2h, 1d")
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[m[2]]
    return timedelta(seconds=float(m[1]) * unit)


def parse_retry(spec: str) -> dict[str, timedelta]:
    """`busy=30m,no_answer=2h` -> overrides of the default retry delays (at least 2 minutes)."""
    out: dict[str, timedelta] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if sep and key in OUTCOMES and key not in DEFAULT_RETRY:
            raise InvalidInput(f"bad retry rule {part!r}: {key} is never retried (it ends the "
                               f"contact's journey); give a delay for {', '.join(DEFAULT_RETRY)}")
        if not sep or key not in DEFAULT_RETRY:
            known = ", ".join(DEFAULT_RETRY)
            raise InvalidInput(
                f"bad retry rule {part!r}: use OUTCOME=DELAY with OUTCOME in {known}"
            )
        delay = parse_duration(value)
        if delay < MIN_RETRY:
            raise InvalidInput(f"retry delay for {key} is {value}: the minimum is 2m")
        out[key] = delay
    return out


def windows_to_json(windows: Mapping[int, Iterable[Window]]) -> dict[str, list[list[str]]]:
    def fmt(t: time) -> str:
        return "24:00" if t == time.max else t.strftime("%H:%M")

    return {DAYS[d]: [[fmt(a), fmt(b)] for a, b in ws] for d, ws in sorted(windows.items())}


def windows_from_json(data: Mapping[str, Iterable[Iterable[str]]]) -> dict[int, tuple[Window, ...]]:
    return {
        DAYS.index(day): tuple((_parse_hhmm(a), _parse_hhmm(b)) for a, b in ranges)
        for day, ranges in data.items()
    }


def make_windows(
    window: str = DEFAULT_WINDOW, days: str = DEFAULT_DAYS
) -> dict[int, tuple[Window, ...]]:
    ranges = parse_windows(window)
    return {d: ranges for d in parse_days(days)}


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {name!r}: use an IANA name like Asia/Seoul") from exc


def is_open(policy: CallingPolicy, now: datetime, tz: str) -> bool:
    """May a contact in time zone `tz` be called at `now`?"""
    local = now.astimezone(zone(tz))
    if local.date() in policy.excluded_dates:
        return False
    t = local.time().replace(tzinfo=None)
    return any(a <= t < b for a, b in policy.windows.get(local.weekday(), ()))


def next_open(
    policy: CallingPolicy, after: datetime, tz: str, horizon_days: int = 31
) -> datetime | None:
    """The first moment at or after `after` when calling is allowed, or None within the horizon."""
    z = zone(tz)
    local = after.astimezone(z)
    for offset in range(horizon_days + 1):
        day = local.date() + timedelta(days=offset)
        if day in policy.excluded_dates:
            continue
        for start, end in policy.windows.get(day.weekday(), ()):
            begin = datetime.combine(day, start, z)
            finish = datetime.combine(day, end, z)
            if local < finish:
                candidate = max(begin, local) if offset == 0 else begin
                # A start inside a DST gap does not exist locally: round-trip through UTC fixes it.
                return candidate.astimezone(UTC)
    return None


@dataclass(frozen=True)
class ContactProgress:
    """What the policy needs to know about a contact's history."""

    attempts: int
    day_attempts: int
    day_key: str | None  # the local date (ISO) that day_attempts counts
    time_zone: str


@dataclass(frozen=True)
class Decision:
    """What happens to a contact after an attempt: its new status and when to try again."""

    status: str  # retry | done | dnc | exhausted
    next_at: datetime | None
    attempts: int
    day_attempts: int
    day_key: str
    reason: str


def retry_key(outcome: str, dialog_outcome: str | None) -> str:
    """The retry rule that applies; an answered call with no usable answer is no_response."""
    if outcome == "answered":
        return dialog_outcome or "no_response"
    return outcome


def after_attempt(
    policy: CallingPolicy,
    progress: ContactProgress,
    outcome: str,
    now: datetime,
    *,
    dialog_outcome: str | None = None,
    callback_at: datetime | None = None,
) -> Decision:
    """Decide the contact's next step after one attempt ended at `now` with `outcome`."""
    today = now.astimezone(zone(progress.time_zone)).date().isoformat()
    day_attempts = progress.day_attempts + 1 if progress.day_key == today else 1
    # Our overload is not the customer's doing: a degraded call leaves the attempts alone.
    attempts = progress.attempts + (dialog_outcome != "degraded")

    def decide(status: str, when: datetime | None, reason: str) -> Decision:
        return Decision(status, when, attempts, day_attempts, today, reason)

    if dialog_outcome == "opt_out":
        return decide("dnc", None, "the customer asked not to be called again")
    if outcome == "invalid":
        return decide("exhausted", None, "the contact's data does not fit the script; not dialled")
    if outcome == "answered" and dialog_outcome in FINAL_DIALOG_OUTCOMES:
        return decide("done", None, f"dialog ended: {dialog_outcome}")
    key = retry_key(outcome, dialog_outcome)
    if key == "callback":
        # The customer asked for it: honoured even past max_attempts (but within windows).
        when = callback_at or now + policy.retry.get("callback", DEFAULT_RETRY["callback"])
    elif attempts >= policy.max_attempts:
        return decide("exhausted", None, f"{attempts} attempts made (max {policy.max_attempts})")
    else:
        when = now + policy.retry.get(key, DEFAULT_RETRY.get(key, DEFAULT_RETRY["unknown"]))
    z = zone(progress.time_zone)
    if day_attempts >= policy.max_per_day and when.astimezone(z).date().isoformat() == today:
        tomorrow = datetime.combine(date.fromisoformat(today) + timedelta(days=1), time(0), z)
        when = tomorrow.astimezone(UTC)
    slot = next_open(policy, when, progress.time_zone)
    if slot is None:
        return decide("exhausted", None, "no calling window in the next 31 days")
    return decide("retry", slot, f"retry after {key}")


def open_time_zones(policy: CallingPolicy, zones: Iterable[str], now: datetime) -> list[str]:
    """The time zones among `zones` whose calling window is open at `now`."""
    return sorted(z for z in set(zones) if is_open(policy, now, z))


@dataclass(frozen=True)
class NumberCaps:
    """Calls to one number, from every campaign together, in any rolling minute, hour and day
    (None: no cap on that span). The settings give one set, each campaign may add its own;
    `stricter` combines them."""

    per_minute: int | None = None
    per_hour: int | None = None
    per_day: int | None = None

    def spans(self) -> list[tuple[timedelta, int, str]]:
        out = [(timedelta(minutes=1), self.per_minute, "minute"),
               (timedelta(hours=1), self.per_hour, "hour"),
               (timedelta(days=1), self.per_day, "day")]  # fmt: skip
        return [(span, n, name) for span, n, name in out if n is not None]

    def stricter(self, other: NumberCaps) -> NumberCaps:
        def low(a: int | None, b: int | None) -> int | None:
            return b if a is None else a if b is None else min(a, b)

        return NumberCaps(low(self.per_minute, other.per_minute),
                          low(self.per_hour, other.per_hour),
                          low(self.per_day, other.per_day))  # fmt: skip

    @property
    def longest(self) -> timedelta:
        return max((span for span, _n, _name in self.spans()), default=timedelta(0))


def number_free_at(
    caps: NumberCaps, dialled: Iterable[datetime], now: datetime
) -> tuple[datetime, str] | None:
    """When one more call to a number becomes allowed, given when it was dialled before (any
    campaign), and which cap holds it; None when it may be called at `now`."""
    times = sorted(dialled)
    held: tuple[datetime, str] | None = None
    for span, limit, name in caps.spans():
        recent = [t for t in times if t > now - span]
        if len(recent) >= limit:
            # The call that has to age out of the window before the count drops below the cap.
            free = recent[len(recent) - limit] + span
            if held is None or free > held[0]:
                held = (free, f"{limit} calls per {name} to one number")
    return held


NIGHT = (time(21, 0), time(8, 0))  # the strictest of the rules in docs/operations.md


def night_hours(windows: Mapping[int, Iterable[Window]]) -> str | None:
    """The first calling range that reaches into the night (21:00-08:00 local), as text, or
    None. Korea forbids such calls without consent, China's rules ban them, the US TCPA's
    hours end at 21:00 and begin at 08:00."""
    for day, ranges in sorted(windows.items()):
        for start, end in ranges:
            if start < NIGHT[1] or end > NIGHT[0]:
                shown = "24:00" if end == time.max else end.strftime("%H:%M")
                return f"{DAYS[day]} {start.strftime('%H:%M')}-{shown}"
    return None
