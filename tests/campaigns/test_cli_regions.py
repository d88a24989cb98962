"""Regional presets and the night-window guard of `campaign create`, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from orchestrator.cli import app

runner = CliRunner()
OUTREACH = Path(sys.executable).parent / "outreach"


def outreach(db: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", db, *args])
    return result.exit_code, result.output


def test_region_presets_set_hours_days_and_number_caps(db_url: str) -> None:
    code, out = outreach(db_url, "campaign", "create", "cn", "--script", "ko-dormant-deposit",
                         "--region", "CN")  # fmt: skip
    assert code == 0, out
    assert "21:00-09:00" in out and "Asia/Shanghai" in out and "5 a day" in out
    assert "3 an hour" in out and "1 a minute" in out, out
    shown = json.loads(outreach(db_url, "campaign", "show", "cn", "--json")[1])
    assert shown["time_zone"] == "Asia/Shanghai"
    assert shown["windows"]["mon"] == [["09:00", "20:00"]] and "sun" not in shown["windows"]
    caps = [shown[f"number_max_per_{s}"] for s in ("minute", "hour", "day")]
    assert caps == [1, 3, 5]
    code, out = outreach(db_url, "campaign", "create", "us", "--script", "ko-dormant-deposit",
                         "--region", "US", "--window", "10:00-18:00", "--number-max-per-day",
                         "2", "--json")  # fmt: skip
    us = json.loads(out)
    assert us["windows"]["mon"] == [["10:00", "18:00"]], "an explicit window wins"
    assert (us["number_max_per_day"], us["number_max_per_hour"]) == (2, 2)
    assert us["time_zone"] == "America/New_York"


def test_a_window_reaching_into_the_night_needs_allow_night(db_url: str) -> None:
    for window in ("00:00-24:00", "07:00-20:00", "09:00-21:30"):
        proc = subprocess.run(
            [OUTREACH, "--db", db_url, "campaign", "create", "n", "--script",
             "ko-dormant-deposit", "--window", window, "--days", "mon-sun"],
            capture_output=True, text=True, timeout=60, env={**os.environ},
        )  # fmt: skip
        err = proc.stderr
        assert proc.returncode == 2 and "--allow-night" in err and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1 and "night" in err, err
    assert json.loads(outreach(db_url, "campaign", "list", "--json")[1]) == [], "none created"
    code, out = outreach(db_url, "campaign", "create", "n", "--script", "ko-dormant-deposit",
                         "--window", "00:00-24:00", "--days", "mon-sun",
                         "--allow-night")  # fmt: skip
    assert code == 0 and "WARNING" in out and "calls at night" in out, out
    # The usual daytime windows need no flag: 09:00-20:00, and the US's 08:00-21:00.
    for name, window in (("d1", "09:00-20:00"), ("d2", "08:00-21:00")):
        code, out = outreach(db_url, "campaign", "create", name, "--script",
                             "ko-dormant-deposit", "--window", window)  # fmt: skip
        assert code == 0 and "WARNING" not in out, out
