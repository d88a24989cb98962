"""Calling windows, retry delays and daily caps, with fixed clocks across time zones and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.errors import InvalidInput
from campaigns.policy import (
    CallingPolicy,
    ContactProgress,
    after_attempt,
    is_open,
    make_windows,
    next_open,
    open_time_zones,
    parse_days,
    parse_retry,
    parse_windows,
)

SEOUL = "Asia/Seoul"
NY = "America/New_York"


def policy(window: str = "09:00-20:00", days: str = "mon-sat", **kw: object) -> CallingPolicy:
    return CallingPolicy(windows=make_windows(window, days), **kw)  # type: ignore[arg-type]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_window_is_in_the_contacts_local_time() -> None:
    p = policy()
    # 2026-03-04 (Wed) 00:30 UTC is 09:30 in Seoul but 19:30 the day before in New York.
    now = utc(2026, 3, 4, 0, 30)
    assert is_open(p, now, SEOUL)
    assert is_open(p, now, NY)
    # 11:30 UTC: 20:30 in Seoul (closed), 06:30 in New York (closed).
    assert not is_open(p, utc(2026, 3, 4, 11, 30), SEOUL)
    assert not is_open(p, utc(2026, 3, 4, 11, 30), NY)
    assert open_time_zones(p, [SEOUL, NY, SEOUL], utc(2026, 3, 4, 14, 0)) == [NY]


def test_lunch_break_sunday_and_excluded_dates() -> None:
    p = policy("09:00-12:00,13:00-20:00", excluded_dates=frozenset({date(2026, 3, 5)}))
    assert is_open(p, utc(2026, 3, 4, 2, 59), SEOUL)  # 11:59 Seoul
    assert not is_open(p, utc(2026, 3, 4, 3, 30), SEOUL)  # 12:30 lunch
    assert is_open(p, utc(2026, 3, 4, 4, 0), SEOUL)  # 13:00
    assert not is_open(p, utc(2026, 3, 5, 1, 0), SEOUL)  # excluded date
    assert not is_open(p, utc(2026, 3, 8, 1, 0), SEOUL)  # Sunday
    # After the lunch starts, the next slot is 13:00 Seoul; on the excluded day, the day after.
    assert next_open(p, utc(2026, 3, 4, 3, 10), SEOUL) == utc(2026, 3, 4, 4, 0)
    assert next_open(p, utc(2026, 3, 4, 11, 0), SEOUL) == utc(2026, 3, 6, 0, 0)


def test_next_open_across_us_dst_start() -> None:
    p = policy("09:00-20:00", "mon-sun")
    # 2026-03-08 is the US spring-forward day: 09:00 EDT is 13:00 UTC (the day before: 14:00 UTC).
    assert next_open(p, utc(2026, 3, 7, 2, 0), NY) == utc(2026, 3, 7, 14, 0)
    assert next_open(p, utc(2026, 3, 8, 2, 0), NY) == utc(2026, 3, 8, 13, 0)
    # The window closes at 20:00 local, which is 00:00 UTC after the change.
    assert is_open(p, utc(2026, 3, 8, 23, 59), NY)
    assert not is_open(p, utc(2026, 3, 9, 0, 0), NY)


def test_window_starting_inside_a_dst_gap() -> None:
    p = policy("02:30-04:00", "mon-sun")
    # 02:30 does not exist in New York on 2026-03-08; the slot is the first real instant.
    slot = next_open(p, utc(2026, 3, 8, 5, 0), NY)
    assert slot is not None
    assert slot == utc(2026, 3, 8, 7, 30)  # 03:30 EDT: the window's first existing minute
    assert is_open(p, slot, NY)


def test_parsers_reject_bad_input_with_clear_messages() -> None:
    with pytest.raises(InvalidInput, match="HH:MM"):
        parse_windows("9-20")
    with pytest.raises(InvalidInput, match="ends before"):
        parse_windows("20:00-09:00")
    with pytest.raises(InvalidInput, match="overlap"):
        parse_windows("09:00-13:00,12:00-14:00")
    with pytest.raises(InvalidInput, match="mon-fri"):
        parse_days("weekdays")
    with pytest.raises(InvalidInput, match="minimum is 2m"):
        parse_retry("busy=30s")
    with pytest.raises(InvalidInput, match="OUTCOME=DELAY"):
        parse_retry("sometimes=1h")
    assert parse_days("fri-mon") == [0, 4, 5, 6]
    assert parse_retry("busy=30m,no_answer=2h") == {
        "busy": timedelta(minutes=30),
        "no_answer": timedelta(hours=2),
    }


def fresh(tz: str = SEOUL) -> ContactProgress:
    return ContactProgress(0, 0, None, tz)


def test_retry_delay_per_outcome_lands_inside_the_window() -> None:
    p = policy(retry={"busy": timedelta(minutes=30), "no_answer": timedelta(hours=2)})
    now = utc(2026, 3, 4, 1, 0)  # 10:00 Seoul
    busy = after_attempt(p, fresh(), "busy", now)
    assert (busy.status, busy.next_at) == ("retry", now + timedelta(minutes=30))
    late = utc(2026, 3, 4, 10, 30)  # 19:30 Seoul: +2h is 21:30, closed -> 09:00 next day
    na = after_attempt(p, fresh(), "no_answer", late)
    assert na.next_at == utc(2026, 3, 5, 0, 0)


def test_final_outcomes_opt_out_and_exhaustion() -> None:
    p = policy(max_attempts=2)
    now = utc(2026, 3, 4, 1, 0)
    assert after_attempt(p, fresh(), "answered", now, dialog_outcome="interested").status == "done"
    assert after_attempt(p, fresh(), "answered", now, dialog_outcome="opt_out").status == "dnc"
    second = after_attempt(p, ContactProgress(1, 1, "2026-03-04", SEOUL), "busy", now)
    assert second.status == "exhausted" and second.attempts == 2


def test_daily_cap_pushes_to_the_next_local_day() -> None:
    p = policy(max_per_day=2, max_attempts=10, retry={"busy": timedelta(minutes=30)})
    now = utc(2026, 3, 4, 1, 0)
    first = after_attempt(p, fresh(), "busy", now)
    assert first.day_attempts == 1 and first.next_at == now + timedelta(minutes=30)
    progress = ContactProgress(first.attempts, first.day_attempts, first.day_key, SEOUL)
    second = after_attempt(p, progress, "busy", now + timedelta(minutes=30))
    assert second.day_attempts == 2
    assert second.next_at == utc(2026, 3, 5, 0, 0)  # 09:00 Seoul tomorrow


def test_callback_is_honoured_past_max_attempts() -> None:
    p = policy(max_attempts=1)
    now = utc(2026, 3, 4, 1, 0)
    asked = utc(2026, 3, 6, 6, 0)  # Friday 15:00 Seoul
    d = after_attempt(p, fresh(), "answered", now, dialog_outcome="callback", callback_at=asked)
    assert (d.status, d.next_at) == ("retry", asked)


@given(
    st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from([SEOUL, NY, "Asia/Shanghai", "Europe/London", "Australia/Lord_Howe"]),
    st.sampled_from(["busy", "no_answer", "failed", "machine", "unknown"]),
    st.integers(0, 2),
)
def test_every_retry_is_in_a_window_and_never_sooner_than_two_minutes(
    now: datetime, tz: str, outcome: str, attempts: int
) -> None:
    p = policy("09:00-12:00,13:00-20:00", max_attempts=10)
    d = after_attempt(p, ContactProgress(attempts, 0, None, tz), outcome, now)
    assert d.status == "retry" and d.next_at is not None
    assert d.next_at - now >= timedelta(minutes=2)
    assert is_open(p, d.next_at, tz)
