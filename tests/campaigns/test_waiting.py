"""`campaign due` says how many are due in all and why the others wait, with when the next one
opens in the campaign's zone (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from typer.testing import CliRunner

from campaigns.db import session
from campaigns.dialing import AttemptResult, claim, record_outcome
from campaigns.repo import get_campaign_by_name
from orchestrator.cli import app
from tests.campaigns.helpers import ENGINES, T0, add_contacts

runner = CliRunner()


def outreach(db: str, *args: str) -> str:
    result = runner.invoke(app, ["--db", db, *args], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # the table may wrap: compare words, not lines


def _campaign(db_url: str, n: int) -> int:
    outreach(db_url, "campaign", "create", "c1", "--script", "ko-dormant-deposit",
             "--retry", "busy=30m")  # fmt: skip
    from campaigns.db import open_database

    engine = open_database(db_url)
    ENGINES.append(engine)
    with session(engine) as s:
        cid = get_campaign_by_name(s, "c1").id or 0
    add_contacts(engine, cid, n)
    return cid


def test_nothing_due_outside_hours_says_when_the_window_opens(db_url: str) -> None:
    _campaign(db_url, 3)
    # The contacts are due from Wednesday 11:00 Seoul; Thursday before hours nobody is due.
    out = outreach(db_url, "campaign", "due", "c1", "--at", "2026-03-05T06:48")
    assert "0 of 0" in out
    assert ("nothing due now: 3 contacts wait for the calling window, next opening 09:00 "
            "Asia/Seoul (in 2 h 12 min)") in out  # fmt: skip
    late = outreach(db_url, "campaign", "due", "c1", "--at", "2026-03-07T21:00")  # Saturday
    assert "next opening Mon 09:00 Asia/Seoul (in 1 d 12 h)" in late
    evening = outreach(db_url, "campaign", "due", "c1", "--at", "2026-03-04T20:30")
    assert "next opening Thu 09:00 Asia/Seoul (in 12 h 30 min)" in evening


def test_due_prints_the_total_and_the_retry_wait(db_url: str) -> None:
    from campaigns.db import open_database

    cid = _campaign(db_url, 150)
    engine = open_database(db_url)
    ENGINES.append(engine)
    (c,) = claim(engine, cid, 1, "w1", timedelta(minutes=10), now=T0)
    record_outcome(engine, c.attempt_id, AttemptResult("busy"), now=T0)
    out = outreach(db_url, "campaign", "due", "c1", "--at", T0.isoformat())
    assert "100 of 149" in out and "010-0000-0001" in out, "national format in the table"
    assert "1 contact waits for their retry delay, the first at 12:30 Asia/Seoul (in 30 min)" in out
    assert "nothing due" not in out
    outreach(db_url, "campaign", "pause", "c1")
    paused = outreach(db_url, "campaign", "due", "c1", "--at", T0.isoformat())
    assert "0 of 0" in paused and "150 contacts wait for the campaign to be resumed" in paused
    outreach(db_url, "campaign", "archive", "c1")
    archived = outreach(db_url, "campaign", "due", "c1", "--at", T0.isoformat())
    said = "150 contacts wait: the campaign is archived (`outreach campaign unarchive c1`)"
    assert said in archived
