"""What an agent sees at the command line: one lead at a time, `leads done` that never closes a
colleague's lead, callbacks refused outside calling hours and kept with their agent, a lead that
comes back when its agent disappears, `leads show/release/assign/callbacks`. Both backends."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from campaigns.calls import CallReport, LeadDraft, TurnRecord, finish_attempt
from campaigns.dialing import AttemptResult, claim
from orchestrator.cli import app, main
from tests.campaigns.helpers import ENGINES, T0, make_campaign

runner = CliRunner()


def ok(db: str, *args: str, env: dict[str, str] | None = None) -> Any:
    result = runner.invoke(app, ["--db", db, *args], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.output) if "--json" in args else result.output


def refused(db: str, *args: str) -> str:
    """Run the command as the `outreach` entry point does; it must fail with one clear line."""
    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["outreach", "--db", db, *args]
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            pytest.raises(SystemExit) as exc,
        ):
            main()
    finally:
        sys.argv = argv
    assert exc.value.code == 2, err.getvalue()
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err.getvalue()
    return lines[0]


@pytest.fixture
def db(db_url: str) -> Iterator[str]:
    """Two leads in campaign c1 (hot 90 first, then hot 80), each with a transcript."""
    engine, cid = make_campaign(db_url, 2)
    turns = [
        TurnRecord("robot", "안녕하세요", 0.0, 1.5),
        TurnRecord("customer", "네 좋아요", 2.0, 2.6, confidence=0.9, intent="yes"),
    ]
    for i, c in enumerate(claim(engine, cid, 2, "w1", timedelta(minutes=10), now=T0)):
        score = 90 - 10 * i
        result = AttemptResult("answered", dialog_outcome="interested", score=score, tier="hot",
                               score_breakdown=[{"points": score, "reason": "said yes"}],
                               recording_path=f"/var/rec/{i}.wav")  # fmt: skip
        report = CallReport(result, turns, LeadDraft(score, "hot", "A", f"wants lead {i}"))
        finish_attempt(engine, c.attempt_id, report, now=T0)
    yield db_url
    while ENGINES:
        ENGINES.pop().dispose()


def test_a_second_next_gives_back_the_held_lead_not_another(db: str) -> None:
    first = ok(db, "leads", "next", "--agent", "kim", "--json")
    second = ok(db, "leads", "next", "--agent", "kim", "--json")
    assert second["id"] == first["id"] and second["already_held"] is True
    assert "you already hold lead" in ok(db, "leads", "next", "--agent", "kim")
    claimed = ok(db, "leads", "list", "--status", "claimed", "--json")
    assert [x["id"] for x in claimed] == [first["id"]]


def test_done_without_agent_does_not_close_another_agents_lead(db: str) -> None:
    lead = ok(db, "leads", "next", "--agent", "kim", "--json")
    line = refused(db, "leads", "done", str(lead["id"]), "--result", "sold")
    assert "held by agent 'kim'" in line and "--agent kim" in line
    assert "held by agent 'kim'" in refused(
        db, "leads", "done", str(lead["id"]), "--result", "sold", "--agent", "lee"
    )
    still = ok(db, "leads", "show", str(lead["id"]), "--json")
    assert (still["status"], still["agent_id"], still["result"]) == ("claimed", "kim", None)


def test_a_callback_at_3am_on_sunday_is_refused_with_the_nearest_allowed_time(db: str) -> None:
    lead = ok(db, "leads", "next", "--agent", "kim", "--json")
    line = refused(db, "leads", "done", str(lead["id"]), "--result", "callback",
                   "--at", "2030-12-08T03:00", "--agent", "kim")  # fmt: skip
    assert "Sun 2030-12-08 03:00 Asia/Seoul is outside the campaign's calling hours" in line
    assert "nearest allowed time is Sat 2030-12-07 19:59 Asia/Seoul" in line
    booked = ok(db, "leads", "done", str(lead["id"]), "--result", "callback",
                "--at", "2030-12-09T10:00", "--agent", "kim")  # fmt: skip
    assert "callback Mon 2030-12-09 10:00 Asia/Seoul, kept for kim" in booked
    mine = ok(db, "leads", "callbacks", "--agent", "kim", "--json")
    assert [(x["id"], x["callback_agent_id"]) for x in mine] == [(lead["id"], "kim")]
    assert ok(db, "leads", "callbacks", "--agent", "lee", "--json") == []
    shared = ok(db, "leads", "next", "--agent", "lee", "--json")
    ok(db, "leads", "done", str(shared["id"]), "--result", "callback", "--at",
       "2030-12-09T11:00", "--agent", "lee", "--shared")  # fmt: skip
    assert ok(db, "leads", "callbacks", "--agent", "lee", "--json") == []
    everyone = ok(db, "leads", "callbacks", "--json")
    assert {x["id"]: x["callback_agent_id"] for x in everyone} == {lead["id"]: "kim",
                                                                  shared["id"]: None}


def test_a_lead_comes_back_when_its_agent_disappears(db: str) -> None:
    # 6 s: long enough that lee's claim comes before kim's lease lapses on a busy machine (at
    # 0.6 s, CI's second claim came after it, and took kim's lead).
    short = {"OUTREACH_LEAD_LEASE_MINUTES": "0.1"}
    lead = ok(db, "leads", "next", "--agent", "kim", "--json", env=short)
    other = ok(db, "leads", "next", "--agent", "lee", "--json", env=short)
    assert other["id"] != lead["id"]
    ok(db, "leads", "done", str(other["id"]), "--result", "sold", "--agent", "lee")
    time.sleep(6.5)  # kim's lease lapses
    back = ok(db, "leads", "next", "--agent", "lee", "--json")
    assert back["id"] == lead["id"] and back["agent_id"] == "lee"


def test_release_assign_and_show(db: str) -> None:
    lead = ok(db, "leads", "next", "--agent", "kim", "--json")
    lid = str(lead["id"])
    assert "held by agent 'kim', not 'lee'" in refused(db, "leads", "release", lid, "--agent",
                                                       "lee")  # fmt: skip
    assert "back in the queue" in ok(db, "leads", "release", lid, "--agent", "kim")
    assert "not held by anyone" in refused(db, "leads", "release", lid)
    assert "now held by park" in ok(db, "leads", "assign", lid, "--agent", "park")
    card = ok(db, "leads", "show", lid, "--json")
    assert card["campaign"] == "c1" and "campaign_id" in card
    assert card["phone_national"] == "010-0000-0000" and card["agent_id"] == "park"
    assert (card["tier"], card["score"]) == ("hot", 90)
    assert card["score_reasons"] == [{"points": 90, "reason": "said yes"}]
    assert [t["text"] for t in card["transcript"]] == ["안녕하세요", "네 좋아요"]
    assert card["recording_path"] == "/var/rec/0.wav"
    text = ok(db, "leads", "show", lid)
    assert "010-0000-0000" in text and "c1" in text and "said yes" in text
    assert "no lead 999" in refused(db, "leads", "show", "999")
