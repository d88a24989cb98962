"""Tables at 80 columns (COLUMNS=80, as a plain terminal): no line wider than the terminal, ids,
names and phones whole (never cut with "…" or wrapped), phones in national format, and the
caption naming any column left out."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from rich.cells import cell_len

from campaigns.db import open_database, session
from campaigns.dialing import AttemptResult, claim, record_outcome
from campaigns.repo import get_campaign_by_name
from tests.campaigns.helpers import T0, add_contacts
from tests.orchestrator.helpers import cli

OUTREACH = str(Path(sys.executable).parent / "outreach")


def narrow(home: Path, *args: str) -> str:
    env = {**os.environ, "OUTREACH_HOME": str(home), "COLUMNS": "80"}
    proc = subprocess.run([OUTREACH, *args], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_listings_fit_80_columns_with_ids_and_phones_whole(tmp_path: Path) -> None:
    home = tmp_path / "home"
    name = "spring-dormant-deposit-reactivation-2026"
    cli(home, "campaign", "create", name, "--script", "ko-dormant-deposit", "--retry", "busy=30m")
    engine = open_database(f"sqlite:///{home / 'outreach.db'}")
    try:
        with session(engine) as s:
            cid = get_campaign_by_name(s, name).id or 0
        add_contacts(engine, cid, 5)
        for c in claim(engine, cid, 3, "w1", timedelta(minutes=10), now=T0):
            record_outcome(engine, c.attempt_id, AttemptResult("busy"), now=T0)
    finally:
        engine.dispose()
    cli(home, "dnc", "add", "010-0000-0004", "--reason", "asked not to be called again, twice")
    calls = cli(home, "calls", "list", "--json")
    outputs = {
        "campaign list": narrow(home, "campaign", "list"),
        "campaign due": narrow(home, "campaign", "due", name, "--at", T0.isoformat()),
        "calls list": narrow(home, "calls", "list"),
        "dnc list": narrow(home, "dnc", "list"),
    }
    for what, out in outputs.items():
        wide = [line for line in out.splitlines() if cell_len(line) > 80]
        assert not wide, (what, wide)
        assert "…" not in out, (what, out)
    assert name in outputs["campaign list"], "the campaign's name is whole"
    assert "010-0000-0004" in outputs["dnc list"] and "+8210" not in outputs["dnc list"]
    assert "(1 numbers)" in outputs["dnc list"] and "Campaigns (1)" in outputs["campaign list"]
    for call in calls:
        assert call["id"][:8] in outputs["calls list"]
        assert call["phone"].startswith("+82"), "JSON keeps E.164"
    assert "010-0000-000" in outputs["calls list"]
    assert "not shown at this width" in outputs["calls list"], "what was left out is said"
    assert "--json has all" in outputs["calls list"]
    assert "010-0000-0003" in outputs["campaign due"] and "1 of 1" in outputs["campaign due"]
