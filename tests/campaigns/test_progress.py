"""A campaign's progress today (the live display's and the web console's figures) with a fixed
clock, on SQLite and PostgreSQL; and the live display itself at 80 columns."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from rich.cells import cell_len
from rich.console import Console

from campaigns.dialing import AttemptResult, claim, record_outcome
from campaigns.gate import admit
from campaigns.progress import campaign_progress
from orchestrator.cli_live import live_table
from orchestrator.dialer import RunStats
from tests.campaigns.helpers import T0, make_campaign

LEASE = timedelta(minutes=10)


def test_progress_counts_calls_today_rate_eta_and_lines(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 40, retry="busy=30m", max_channels=4)
    # 10 calls finished over the last 10 minutes, 2 in flight, 28 waiting, all due today.
    for i in range(10):
        at = T0 + timedelta(minutes=i)
        (c,) = claim(engine, cid, 1, "w1", LEASE, now=at)
        assert admit(engine, [c], LEASE, now=at).admitted == c
        record_outcome(engine, c.attempt_id, AttemptResult("busy"), now=at + timedelta(seconds=30))
    now = T0 + timedelta(minutes=10)
    for c in claim(engine, cid, 2, "w1", LEASE, now=now):
        assert admit(engine, [c], LEASE, now=now).admitted == c
    p = campaign_progress(engine, cid, now)
    assert (p.done, p.lines_in_use, p.max_lines, p.time_zone) == (10, 2, 4, "Asia/Seoul")
    # Busy ones come back in 30 minutes, still today: 28 waiting + 2 in flight + 10 retries.
    assert p.total == 10 + 28 + 2 + 10 and p.remaining == 40
    # 10 calls ended between 9.5 minutes ago and 30 s ago: 10 per 9.5 minutes.
    assert p.rate_per_min is not None and abs(p.rate_per_min - 10 / 9.5) < 1e-9
    assert p.eta is not None
    assert abs((p.eta - (now + timedelta(minutes=40 / (10 / 9.5)))).total_seconds()) < 1e-3
    # Late in the evening nothing more opens today: only the calls in flight remain.
    evening = T0 + timedelta(hours=8, minutes=30)  # 20:30 Seoul, window closed at 20:00
    late = campaign_progress(engine, cid, evening)
    assert (late.done, late.total, late.rate_per_min) == (10, 12, None)


def test_live_display_names_the_zone_and_fits_80_columns(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 5)
    (c,) = claim(engine, cid, 1, "w1", LEASE, now=T0)
    admit(engine, [c], LEASE, now=T0)
    record_outcome(engine, c.attempt_id, AttemptResult("busy"), now=T0 + timedelta(minutes=1))
    now = T0 + timedelta(minutes=2)
    stats = RunStats("spring-dormant-deposit-reactivation-2026", dialled=1, finished=1,
                     outcomes=Counter(busy=1), not_dialled=Counter(dnc=2),
                     progress=campaign_progress(engine, cid, now))  # fmt: skip
    console = Console(width=80, record=True, color_system="truecolor")
    console.print(live_table(stats, now))
    text = console.export_text(clear=False)
    assert all(cell_len(line) <= 80 for line in text.splitlines())
    flat = " ".join(text.split())
    assert "1 of 6 calls due today (17%)" in flat and "Asia/Seoul" in flat
    assert "12:02 Asia/Seoul" in flat, "the clock is the campaign's, zone named"
    assert "ETA" in flat and "(in " in flat and "1 of 10 in use" not in flat
    assert "0 of 10 in use" in flat and "dnc 2" in flat
    assert "\x1b[" in console.export_text(styles=True), "coloured"
