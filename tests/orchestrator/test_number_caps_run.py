"""One customer on three campaigns' lists, three real `outreach run` workers at once on
PostgreSQL: the number is called at most once a minute (OUTREACH_NUMBER_MAX_PER_MINUTE=1),
whichever campaign gets it, although each campaign alone would call it straight away."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from campaigns.db import open_database
from campaigns.models import Attempt
from tests.orchestrator.helpers import cli

OUTREACH = str(Path(sys.executable).parent / "outreach")


def _dialled(db: str) -> list[tuple[int, object]]:
    engine = open_database(db)
    try:
        with engine.connect() as conn:
            q = sa.select(Attempt.campaign_id, Attempt.dialled_at).where(  # type: ignore[call-overload]
                Attempt.dialled_at.is_not(None)  # type: ignore[union-attr]
            ).order_by(Attempt.dialled_at)
            return [(r[0], r[1]) for r in conn.execute(q)]
    finally:
        engine.dispose()


def test_three_workers_on_three_campaigns_call_one_number_once_a_minute(
    tmp_path: Path, pg_url: str
) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "OUTREACH_HOME": str(home), "OUTREACH_DATABASE_URL": pg_url,
           "OUTREACH_NUMBER_MAX_PER_MINUTE": "1"}  # fmt: skip
    (tmp_path / "l.csv").write_text("name,phone,persona\n김민수,010-1234-5678,line_busy\n",
                                    encoding="utf-8")  # fmt: skip
    for name in ("a", "b", "c"):
        cli(home, "--db", pg_url, "campaign", "create", name, "--script", "ko-dormant-deposit",
            "--window", "00:00-24:00", "--days", "mon-sun", "--allow-night",
            "--retry", "busy=2m", "--max-attempts", "10", "--max-per-day", "10")  # fmt: skip
        cli(home, "--db", pg_url, "contacts", "import", name, str(tmp_path / "l.csv"), "--json")
    workers = [
        subprocess.Popen([OUTREACH, "run", name, "--telephony", "sim"],
                         env={**env, "OUTREACH_WORKER_ID": f"w-{name}"},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for name in ("a", "b", "c")
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not _dialled(pg_url) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _dialled(pg_url), "the number was called"
        time.sleep(80)  # a minute and a bit after the first call, every worker still polling
    finally:
        for w in workers:
            w.send_signal(signal.SIGINT)
        for w in workers:
            w.wait(timeout=120)
    calls = _dialled(pg_url)
    gaps = [b[1] - a[1] for a, b in itertools.pairwise(calls)]  # type: ignore[operator]
    assert len(calls) >= 2, calls
    assert all(g >= timedelta(minutes=1) for g in gaps), calls
    assert len({cid for cid, _at in calls}) >= 2, "another campaign's worker made the second call"
