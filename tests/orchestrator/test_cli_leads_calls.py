"""The agent's and the QA reviewer's commands: leads list/next/done, calls list/show/export,
campaign report — with the JSON shapes scripts rely on."""

from __future__ import annotations

import csv
import json
import stat
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from campaigns.calls import CallReport, LeadDraft, TurnRecord, finish_attempt
from campaigns.dialing import AttemptResult, claim
from orchestrator.cli import app
from tests.campaigns.helpers import ENGINES, T0, make_campaign

runner = CliRunner()


def run(db: str, *args: str) -> str:
    result = runner.invoke(app, ["--db", db, *args])
    assert result.exit_code == 0, result.output
    return result.output


def _calls(db: str) -> None:
    engine, cid = make_campaign(db, 3)
    ENGINES.append(engine)
    a, b, c = claim(engine, cid, 3, "w1", timedelta(minutes=10), now=T0)
    turns = [
        TurnRecord("robot", "안녕하세요", 0.0, 1.5, prompt_id="greeting"),
        TurnRecord("customer", "네", 2.0, 2.3, confidence=0.91, intent="yes"),
    ]
    hot = CallReport(AttemptResult("answered", dialog_outcome="transfer", score=90, tier="hot"),
                     turns, LeadDraft(90, "hot", "A", "wants a specialist"))  # fmt: skip
    warm = CallReport(AttemptResult("answered", dialog_outcome="interested", score=60, tier="warm"),
                      turns, LeadDraft(60, "warm", "B", "interested"))  # fmt: skip
    finish_attempt(engine, a.attempt_id, warm, now=T0)
    finish_attempt(engine, b.attempt_id, hot, now=T0 + timedelta(seconds=1))
    finish_attempt(engine, c.attempt_id, CallReport(AttemptResult("busy")), now=T0)


def test_lead_queue_commands(sqlite_url: str) -> None:
    _calls(sqlite_url)
    listed = json.loads(run(sqlite_url, "leads", "list", "--json"))
    assert [x["tier"] for x in listed] == ["hot", "warm"]
    got = json.loads(run(sqlite_url, "leads", "next", "--agent", "kim", "--json"))
    assert got["tier"] == "hot" and got["agent_id"] == "kim" and got["status"] == "claimed"
    second = json.loads(run(sqlite_url, "leads", "next", "--agent", "lee", "--json"))
    assert second["id"] != got["id"]
    assert json.loads(run(sqlite_url, "leads", "next", "--agent", "park", "--json")) is None
    done = json.loads(run(sqlite_url, "leads", "done", str(got["id"]), "--result", "sold",
                          "--note", "opened", "--agent", "kim", "--json"))  # fmt: skip
    assert (done["status"], done["result"], done["note"]) == ("done", "sold", "opened")
    bad = runner.invoke(app, ["--db", sqlite_url, "leads", "done", "999", "--result", "sold"])
    assert bad.exit_code != 0


def test_calls_commands_and_report(sqlite_url: str, tmp_path: Path) -> None:
    _calls(sqlite_url)
    calls = json.loads(run(sqlite_url, "calls", "list", "--json"))
    assert len(calls) == 3
    assert {c["outcome"] for c in calls} == {"answered", "busy"}
    only_yes = json.loads(run(sqlite_url, "calls", "list", "--intent", "yes", "--json"))
    assert len(only_yes) == 2 and all(c["intents"] == ["yes"] for c in only_yes)
    busy = json.loads(run(sqlite_url, "calls", "list", "--outcome", "busy", "--json"))
    assert len(busy) == 1
    one = json.loads(run(sqlite_url, "calls", "show", only_yes[0]["id"][:8], "--json"))
    assert [t["speaker"] for t in one["turns"]] == ["robot", "customer"]
    assert one["turns"][1]["confidence"] == 0.91 and one["lead"] is not None
    assert "Transcript" in run(sqlite_url, "calls", "show", one["id"])
    out = tmp_path / "calls.csv"
    run(sqlite_url, "calls", "export", "c1", "--out", str(out))
    with out.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 5  # two turns for each answered call, one row for the busy one
    assert stat.S_IMODE(out.stat().st_mode) == 0o600, "an export holds customers' numbers"
    jl = tmp_path / "calls.jsonl"
    run(sqlite_url, "calls", "export", "c1", "--out", str(jl))
    assert len(jl.read_text(encoding="utf-8").splitlines()) == 3
    assert stat.S_IMODE(jl.stat().st_mode) == 0o600
    report = json.loads(run(sqlite_url, "campaign", "report", "c1", "--json"))
    assert report["dialled"] == 3 and report["answered"] == 2 and report["leads"] == 2
    assert report["leads_by_tier"] == {"hot": 1, "warm": 1}
    assert "funnel" in run(sqlite_url, "campaign", "report", "c1")


def test_callback_time_without_offset_is_the_campaigns_zone(sqlite_url: str) -> None:
    _calls(sqlite_url)
    lead = json.loads(run(sqlite_url, "leads", "next", "--agent", "kim", "--json"))
    row = json.loads(run(sqlite_url, "leads", "done", str(lead["id"]), "--result", "callback",
                         "--at", "2030-12-02T15:00", "--agent", "kim", "--json"))  # fmt: skip
    assert row["callback_at"].startswith("2030-12-02T06:00")  # 15:00 in Seoul is 06:00 UTC
    # Back in the queue (kept for kim), nobody holds it: whoever closes it gets the credit.
    sold = json.loads(run(sqlite_url, "leads", "done", str(lead["id"]), "--result", "sold",
                          "--agent", "lee", "--json"))  # fmt: skip
    assert (sold["status"], sold["agent_id"]) == ("done", "lee")
