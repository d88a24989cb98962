"""The database gone for a few seconds in the middle of a run (a PostgreSQL restart, a lost
connection) does not stop the worker (issue 12): the claim, the dial gate and the status watch
try again, and the campaign finishes. The outage is real: the campaign table is renamed away
on a SQLite home and put back 3 s later (PostgreSQL's own restart is injected by
tests/orchestrator/test_fault_injection.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from campaigns.db import open_database
from tests.orchestrator.helpers import cli

OUTREACH = str(Path(sys.executable).parent / "outreach")


def _sql(db: str, text: str) -> int:
    engine = open_database(db)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(text))
            return int(result.scalar_one()) if result.returns_rows else 0
    finally:
        engine.dispose()


def test_a_run_outlives_a_database_outage_and_finishes_its_campaign(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = f"sqlite:///{home / 'outreach.db'}"
    cli(home, "campaign", "create", "o", "--script", "ko-dormant-deposit", "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun", "--max-channels", "1")  # fmt: skip
    rows = ["name,phone,persona"] + [f"고객{i},010-6667-{1000 + i},not_interested"
                                     for i in range(3)]  # fmt: skip
    (tmp_path / "l.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli(home, "contacts", "import", "o", str(tmp_path / "l.csv"), "--json")
    env = {**os.environ, "OUTREACH_HOME": str(home), "OUTREACH_WORKER_ID": "outage"}
    worker = subprocess.Popen(
        [OUTREACH, "run", "o", "--telephony", "sim", "--speed", "4", "--until-done", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while _sql(db, "SELECT count(*) FROM attempt") == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        _sql(db, "ALTER TABLE campaign RENAME TO campaign_away")  # the database is "gone"
        time.sleep(3)
        _sql(db, "ALTER TABLE campaign_away RENAME TO campaign")
        out, err = worker.communicate(timeout=180)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    assert "trying again" in err or "next second" in err, "the outage was noticed"
    calls = cli(home, "calls", "list", "--campaign", "o", "--json")
    assert len({c["phone"] for c in calls}) == 3 and all(c["outcome"] for c in calls), calls
    assert json.loads(out)["finished"] == len(calls)
