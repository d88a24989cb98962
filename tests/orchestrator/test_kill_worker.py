"""A worker killed with SIGKILL mid-campaign, then started again: no contact lost, none dialled
twice at once, no lead lost, and every call that was in flight ends with a recorded outcome."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from campaigns.db import open_database
from campaigns.models import Attempt, Contact, Lead
from tests.orchestrator.helpers import EXPECTED, cli, persona_list

OUTREACH = str(Path(sys.executable).parent / "outreach")


def _open_attempts(db: str) -> int:
    engine = open_database(db)
    try:
        with engine.connect() as conn:
            q = sa.select(sa.func.count()).select_from(Attempt).where(Attempt.outcome.is_(None))  # type: ignore[union-attr]
            return int(conn.execute(q).scalar() or 0)
    finally:
        engine.dispose()


def test_sigkill_then_restart_loses_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = f"sqlite:///{home / 'outreach.db'}"
    cli(home, "campaign", "create", "k", "--script", "ko-dormant-deposit", "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun", "--max-channels", "11",
        "--cps", "20")  # fmt: skip
    cli(home, "contacts", "import", "k", str(persona_list(tmp_path / "l.csv", {})), "--json")
    env = {**os.environ, "OUTREACH_HOME": str(home), "OUTREACH_WORKER_ID": "w1"}
    first = subprocess.Popen(
        [OUTREACH, "run", "k", "--telephony", "sim", "--until-done", "--json"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while _open_attempts(db) < 5 and time.monotonic() < deadline:
        assert first.poll() is None, "the first worker ended before it was killed"
        time.sleep(0.5)
    time.sleep(3)  # some calls are mid-conversation now
    in_flight = _open_attempts(db)
    assert in_flight >= 5
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)

    second = subprocess.run(
        [OUTREACH, "run", "k", "--telephony", "sim", "--until-done", "--speed", "4", "--json"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert '"recovered_from_previous_run": ' + str(in_flight) in second.stdout

    engine = open_database(db)
    with engine.connect() as conn:
        attempts = conn.execute(sa.select(Attempt)).all()
        contacts = conn.execute(sa.select(Contact)).all()
        leads = conn.execute(sa.select(Lead)).all()
    engine.dispose()
    assert all(a.outcome is not None for a in attempts), "every call has a recorded outcome"
    assert sum(a.outcome == "expired" for a in attempts) == in_flight
    assert len(contacts) == len(EXPECTED) and all(c.status != "calling" for c in contacts)
    # Never two open attempts for one contact at the same time.
    by_contact: dict[int, list[tuple[datetime, datetime]]] = {}
    for a in attempts:
        by_contact.setdefault(a.contact_id, []).append((a.started_at, a.ended_at))
    for spans in by_contact.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start
    # Every contact the killed run had in flight was called again and finished this time.
    assert {a.contact_id for a in attempts} == {c.id for c in contacts}
    lead_attempts = {lead.attempt_id for lead in leads}
    warm = {a.id for a in attempts if a.tier in ("hot", "warm") and a.dialog_outcome != "opt_out"}
    assert warm <= lead_attempts, "no lead lost"
