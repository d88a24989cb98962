"""Tables at 80 columns (COLUMNS=80, as a plain terminal): no line wider than the terminal, ids,
names and phones whole (never cut with "…" or wrapped), phones in national format, and the
caption naming any column left out."""

from __future__ import annotations

import os
import re
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


def _crm_home(tmp_path: Path, width_name: str) -> Path:
    """A campaign imported from a CRM list (customer number, product, branch), three calls made,
    one of them a lead."""
    from campaigns.calls import CallReport, LeadDraft, finish_attempt
    from campaigns.importer import import_contacts

    home = tmp_path / "home"
    cli(home, "campaign", "create", width_name, "--script", "ko-dormant-deposit")
    src = tmp_path / "crm.csv"
    src.write_text("name,phone,客户号,product,branch\n" + "".join(
        f"고객{i},010-5555-{1000 + i},C{7000 + i},예금,강남지점\n" for i in range(3)),
        encoding="utf-8")  # fmt: skip
    engine = open_database(f"sqlite:///{home / 'outreach.db'}")
    try:
        with session(engine) as s:
            c = get_campaign_by_name(s, width_name)
            import_contacts(s, c, src, now=T0 - timedelta(hours=1))
            cid = c.id or 0
        for i, cl in enumerate(claim(engine, cid, 3, "w1", timedelta(minutes=10), now=T0)):
            lead = LeadDraft(80, "hot", "A", "asked about the rate") if i == 0 else None
            result = AttemptResult("answered", dialog_outcome="interested", score=80, tier="hot")
            finish_attempt(engine, cl.attempt_id, CallReport(result, [], lead), now=T0)
    finally:
        engine.dispose()
    return home


def test_leads_and_calls_show_the_customer_id_and_the_lists_columns(tmp_path: Path) -> None:
    home = _crm_home(tmp_path, "spring")
    leads = narrow(home, "leads", "list")
    assert "C7000" in leads and "010-5555-1000" in leads, leads
    calls = narrow(home, "calls", "list")
    for i in range(3):
        assert f"C{7000 + i}" in calls, calls
    for out in (leads, calls):
        assert not [line for line in out.splitlines() if cell_len(line) > 80], out
    env = {**os.environ, "OUTREACH_HOME": str(home), "COLUMNS": "200"}
    wide = subprocess.run([OUTREACH, "calls", "list"], capture_output=True, text=True, env=env,
                          timeout=60).stdout  # fmt: skip
    assert "branch=강남지점" in wide and "product=예금" in wide, wide
    rows = cli(home, "calls", "list", "--json")
    assert {(r["customer_id"], r["attributes"]["branch"]) for r in rows} == {
        ("C7000", "강남지점"), ("C7001", "강남지점"), ("C7002", "강남지점")}


def test_a_long_campaign_name_still_fits_80_columns_with_customer_ids(tmp_path: Path) -> None:
    home = _crm_home(tmp_path, "spring-dormant-deposit-reactivation-2026")
    for args in (("leads", "list"), ("calls", "list")):
        out = narrow(home, *args)
        assert not [line for line in out.splitlines() if cell_len(line) > 80], (args, out)
        assert "…" not in out


def test_every_listing_says_its_total_and_callbacks_show_the_customers_time(
    tmp_path: Path,
) -> None:
    home = _crm_home(tmp_path, "spring")
    lead = cli(home, "leads", "next", "--agent", "kim", "--json")
    cli(home, "leads", "done", str(lead["id"]), "--result", "callback", "--at",
        "2030-12-09T10:00", "--agent", "kim")  # fmt: skip
    cli(home, "dnc", "add", "010-5555-1002", "--reason", "asked")
    env = {**os.environ, "OUTREACH_HOME": str(home), "COLUMNS": "200"}

    def wide(*args: str) -> str:
        proc = subprocess.run([OUTREACH, *args], capture_output=True, text=True, env=env,
                              timeout=60)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    callbacks = wide("leads", "callbacks")
    assert "Callbacks (1)" in callbacks
    assert "Mon 2030-12-09 10:00 Asia/Seoul" in callbacks, "the customer's time, zone named"
    assert "Recording playbacks (0)" in wide("audit", "list")
    assert "do-not-call audit (1)" in wide("dnc", "audit")
    assert "Users (0)" in wide("users", "list")
    assert "Bundled scripts (3)" in wide("script", "list")
    assert re.search(r"Speech recognition models \(\d+\)", wide("models", "list"))
