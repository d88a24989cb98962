"""The campaign commands as a campaign manager uses them, JSON shapes included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from campaigns.db import open_database, session
from campaigns.models import DncEntry
from campaigns.repo import get_campaign_by_name
from orchestrator.cli import app
from tests.campaigns.helpers import ENGINES, T0, add_contacts

runner = CliRunner()


def outreach(db: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", db, *args])
    return result.exit_code, result.output


def test_create_list_show_pause_resume(db_url: str) -> None:
    code, out = outreach(
        db_url, "campaign", "create", "spring", "--script", "ko-dormant-deposit",
        "--window", "09:00-12:00,13:00-20:00", "--days", "mon-fri", "--max-channels", "4",
        "--cps", "2", "--retry", "busy=30m", "--json",
    )  # fmt: skip
    assert code == 0, out
    created = json.loads(out)
    assert created["windows"]["mon"] == [["09:00", "12:00"], ["13:00", "20:00"]]
    assert "sat" not in created["windows"]
    assert created["retry_delays_s"]["busy"] == 1800
    code, out = outreach(db_url, "campaign", "list", "--json")
    assert [c["name"] for c in json.loads(out)] == ["spring"]
    assert outreach(db_url, "campaign", "pause", "spring")[0] == 0
    code, out = outreach(db_url, "campaign", "show", "spring", "--json")
    assert json.loads(out)["status"] == "paused"
    assert outreach(db_url, "campaign", "resume", "spring")[0] == 0
    code, out = outreach(db_url, "campaign", "list")
    assert "spring" in out and "active" in out


def test_due_respects_window_dnc_and_pause(db_url: str) -> None:
    assert outreach(db_url, "campaign", "create", "c1", "--script", "ko-dormant-deposit")[0] == 0
    engine = open_database(db_url)
    ENGINES.append(engine)
    with session(engine) as s:
        cid = get_campaign_by_name(s, "c1").id or 0
        s.add(DncEntry(phone="+821000000001", reason="asked", added_at=T0))
        s.commit()
    add_contacts(engine, cid, 3)
    at = T0.isoformat()  # 12:00 in Seoul
    code, out = outreach(db_url, "campaign", "due", "c1", "--at", at, "--json")
    assert code == 0, out
    rows = json.loads(out)
    assert [set(r) for r in rows] == [{"phone", "name", "local_time", "time_zone"}] * 2
    assert {r["phone"] for r in rows} == {"+821000000000", "+821000000002"}
    assert rows[0]["local_time"] == "2026-03-04T12:00:00+09:00"
    # Without an offset the moment is read in the campaign's zone: 22:00 in Seoul is closed.
    code, out = outreach(db_url, "campaign", "due", "c1", "--at", "2026-03-04T22:00", "--json")
    assert json.loads(out) == []
    code, out = outreach(db_url, "campaign", "due", "c1", "--at", at, "--limit", "1", "--json")
    assert len(json.loads(out)) == 1
    outreach(db_url, "campaign", "pause", "c1")
    code, out = outreach(db_url, "campaign", "due", "c1", "--at", at, "--json")
    assert json.loads(out) == []


def test_errors_are_one_clear_line_without_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "outreach"
    env = {**os.environ, "OUTREACH_HOME": str(tmp_path)}
    env.pop("OUTREACH_DEBUG", None)
    for args, expected in [
        (["campaign", "show", "nope"], "no campaign named 'nope'"),
        (["campaign", "create", "x", "--script", "s", "--window", "20:00-09:00"], "ends before"),
        (["campaign", "create", "x", "--script", "s", "--retry", "busy=10s"], "minimum is 2m"),
        (["campaign", "create", "x", "--script", "no-such-script"], "no-such-script"),
        (["--db", "postgresql://nobody@127.0.0.1:1/none", "campaign", "list"], "cannot open"),
    ]:
        proc = subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert expected in proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
