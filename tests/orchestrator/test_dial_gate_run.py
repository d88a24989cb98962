"""A running worker asks the dial gate before every call: numbers put on the do-not-call list
with `dnc add` while their claims wait in the hopper are never dialled (a real `outreach run`
process on simulated customers, the listing from another terminal)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from campaigns.db import open_database
from campaigns.models import Attempt, Contact, DncEntry
from tests.orchestrator.helpers import cli

OUTREACH = str(Path(sys.executable).parent / "outreach")


def _count_attempts(db: str) -> int:
    engine = open_database(db)
    try:
        with engine.connect() as conn:
            return len(conn.execute(sa.select(Attempt.id)).all())  # type: ignore[call-overload]
    finally:
        engine.dispose()


def test_numbers_listed_while_their_claims_wait_are_never_dialled(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = f"sqlite:///{home / 'outreach.db'}"
    # Three lines, one new call every 5 s: two claims wait in the hopper after the first dial.
    cli(home, "campaign", "create", "g", "--script", "ko-dormant-deposit", "--window",
        "00:00-24:00", "--days", "mon-sun", "--allow-night", "--max-channels", "3",
        "--cps", "0.2", "--retry", "busy=30m")  # fmt: skip
    phones = [f"010-7777-{1000 + i}" for i in range(6)]
    rows = ["name,phone,persona"] + [f"고객{i},{p},line_busy" for i, p in enumerate(phones)]
    (tmp_path / "l.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli(home, "contacts", "import", "g", str(tmp_path / "l.csv"), "--json")
    env = {**os.environ, "OUTREACH_HOME": str(home), "OUTREACH_WORKER_ID": "gate"}
    worker = subprocess.Popen(
        [OUTREACH, "run", "g", "--telephony", "sim", "--until-done", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while _count_attempts(db) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _count_attempts(db) >= 3, "the worker claimed its first contacts"
        cli(home, "dnc", "add", *phones, "--reason", "asked by the bank")
        out, _ = worker.communicate(timeout=180)
    finally:
        worker.kill() if worker.poll() is None else None
    assert worker.returncode == 0
    summary = json.loads(out)
    engine = open_database(db)
    try:
        with engine.connect() as conn:
            listed_at = min(conn.execute(sa.select(DncEntry.added_at)).scalars())  # type: ignore[call-overload]
            calls = conn.execute(sa.select(Attempt.outcome, Attempt.dialled_at)).all()  # type: ignore[call-overload]
            statuses = set(conn.execute(sa.select(Contact.status)).scalars())  # type: ignore[call-overload]
    finally:
        engine.dispose()
    assert len(calls) <= 1, f"only a call placed before the listing, not {calls}"
    assert all(at is not None and at < listed_at for _o, at in calls)
    assert summary["dialled"] == len(calls) and summary["not_dialled"].get("dnc", 0) >= 2
    assert statuses == {"dnc"}
