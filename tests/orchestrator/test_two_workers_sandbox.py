"""Two `outreach run` processes on one PostgreSQL campaign, through the sandbox Asterisk: they
share the work (both dial), nobody is dialled twice at once, and their totals add up to what the
database holds. The simulated customers are served by their own process (`outreach asterisk
sandbox customers`): the customers' address is one global of the sandbox's dialplan."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa

from campaigns.db import open_database
from campaigns.models import Attempt
from tests.orchestrator.helpers import cli
from tests.sandbox import running_sandbox

OUTREACH = str(Path(sys.executable).parent / "outreach")
CONTACTS = 8


def test_two_workers_share_one_postgres_campaign_through_the_sandbox(
    tmp_path: Path, pg_url: str
) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "OUTREACH_HOME": str(home), "OUTREACH_DATABASE_URL": pg_url,
           "OUTREACH_AMI_SECRET": running_sandbox().secret(), "OUTREACH_RING_TIMEOUT_S": "8",
           "OUTREACH_ASTERISK_SIMULATED_CUSTOMERS": "false"}  # fmt: skip
    cli(home, "--db", pg_url, "campaign", "create", "two", "--script", "ko-dormant-deposit",
        "--window", "00:00-24:00", "--allow-night", "--days", "mon-sun", "--max-channels", "4",
        "--cps", "4")  # fmt: skip
    rows = ["name,phone,persona"] + [f"고객{i},010-5555-{3000 + i},interested"
                                     for i in range(CONTACTS)]  # fmt: skip
    (tmp_path / "l.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli(home, "--db", pg_url, "contacts", "import", "two", str(tmp_path / "l.csv"), "--json")
    sides = tmp_path / "customers.json"  # the customer side of every call, kept on exit
    customers = subprocess.Popen([OUTREACH, "asterisk", "sandbox", "customers", "two",
                                  "--records", str(sides)], env=env,
                                 stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert customers.stderr is not None
        assert "serving" in customers.stderr.readline(), "the customers' server started"
        workers = [
            subprocess.Popen([OUTREACH, "run", "two", "--telephony", "asterisk", "--until-done",
                              "--json"], env={**env, "OUTREACH_WORKER_ID": f"w{i}"},
                             stdout=subprocess.PIPE, text=True)
            for i in (1, 2)
        ]  # fmt: skip
        summaries = [json.loads(w.communicate(timeout=300)[0]) for w in workers]
        assert [w.returncode for w in workers] == [0, 0]
    finally:
        customers.send_signal(signal.SIGINT)
        customers.wait(timeout=60)
        if customers.stderr is not None:
            customers.stderr.close()
    engine = open_database(pg_url)
    with engine.connect() as conn:
        attempts = conn.execute(sa.select(
            Attempt.contact_id, Attempt.worker_id, Attempt.dialled_at, Attempt.ended_at,  # type: ignore[call-overload]
            Attempt.dialog_outcome)).all()  # fmt: skip
    engine.dispose()
    by_worker = defaultdict(list)
    for a in attempts:
        by_worker[a.worker_id].append(a)
    # Both dialled, and each one's own count is what the database says it did.
    assert {w: len(v) for w, v in by_worker.items()} == {
        "w1": summaries[0]["dialled"], "w2": summaries[1]["dialled"]}, summaries
    assert summaries[0]["dialled"] > 0 and summaries[1]["dialled"] > 0, summaries
    # The totals add up: every contact called exactly once, every call finished and right.
    assert sum(s["finished"] for s in summaries) == len(attempts) == CONTACTS
    assert len({a.contact_id for a in attempts}) == CONTACTS, "nobody was dialled twice"
    # Right, or (a worker on a loaded machine) degraded and retried later: never a wrong one.
    outcomes = [a.dialog_outcome for a in attempts]
    assert set(outcomes) <= {"transfer", "degraded"}, outcomes
    assert all(a.dialled_at is not None and a.ended_at is not None for a in attempts)
    # The customers' server kept each call's side: one record per call, by the dialled number,
    # with the prompts the customer heard and what it said.
    records = json.loads(sides.read_text(encoding="utf-8"))
    assert len(records) == CONTACTS, sorted(records)
    assert sum(len(calls) for calls in records.values()) == len(attempts)
    assert all(c["heard"] and c["said"] for calls in records.values() for c in calls), records
