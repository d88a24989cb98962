"""`outreach run` outside the calling hours says why nothing is dialled and when it will start,
instead of "stopped: done; 0 calls"."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from campaigns.policy import DAYS
from tests.orchestrator.helpers import cli


def test_run_outside_hours_prints_when_it_will_start(tmp_path: Path) -> None:
    home = tmp_path / "home"
    seoul = datetime.now(UTC).astimezone(ZoneInfo("Asia/Seoul"))
    tomorrow = (seoul + timedelta(days=1)).weekday()
    # Every day but today (Seoul): whatever the hour, today is closed and tomorrow opens 09:00.
    days = f"{DAYS[tomorrow]}-{DAYS[(tomorrow + 5) % 7]}"
    cli(home, "campaign", "create", "later", "--script", "ko-dormant-deposit", "--days", days)
    (tmp_path / "l.csv").write_text("name,phone\n김민수,010-1234-5678\n", encoding="utf-8")
    cli(home, "contacts", "import", "later", str(tmp_path / "l.csv"), "--json")
    out = " ".join(cli(home, "run", "later", "--telephony", "sim", "--until-done").split())
    weekday = (seoul + timedelta(days=1)).strftime("%a")
    assert ("nothing due now: 1 contact waits for the calling window, next opening "
            f"{weekday} 09:00 Asia/Seoul (in ") in out, out  # fmt: skip
    assert "stopped: done; 0 calls" in out
    summary = cli(home, "run", "later", "--telephony", "sim", "--until-done", "--json")
    assert summary["dialled"] == 0 and summary["queue"]["due"] == 0
    opens = datetime.fromisoformat(summary["queue"]["next_at"]).astimezone(ZoneInfo("Asia/Seoul"))
    assert (opens.date(), opens.hour, opens.minute) == ((seoul + timedelta(days=1)).date(), 9, 0)
    assert json.dumps(summary["queue"]["waiting"][0]["reason"]) == '"window"'
