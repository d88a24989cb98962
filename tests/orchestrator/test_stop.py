"""Stopping a running campaign: `campaign pause` from another terminal, or Ctrl-C. Calls in
progress finish and are stored; nothing is left claimed; the worker exits by itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaigns.db import open_database
from campaigns.models import Attempt, Contact
from tests.orchestrator.helpers import cli

OUTREACH = str(Path(sys.executable).parent / "outreach")


def _rows(db: str) -> tuple[list[sa.Row[tuple[str | None]]], list[str]]:
    engine = open_database(db)
    try:
        with engine.connect() as conn:
            attempts = conn.execute(sa.select(Attempt.outcome)).all()  # type: ignore[call-overload]
            statuses = conn.execute(sa.select(Contact.status)).scalars().all()  # type: ignore[call-overload]
    finally:
        engine.dispose()
    return attempts, list(statuses)


def _calls_in_progress(db: str) -> int:
    """Calls dialled and not yet ended. A claim waiting for its greeting to be rendered has an
    open attempt too, but a pause gives it back undialled (and deletes it): it is not a call."""
    engine = open_database(db)
    try:
        with engine.connect() as conn:
            q = sa.select(sa.func.count()).where(
                Attempt.dialled_at.is_not(None), Attempt.outcome.is_(None)  # type: ignore[union-attr]
            )
            return int(conn.execute(q).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("how", ["pause", "ctrl-c"])
def test_stop_lets_calls_finish_and_leaves_nothing_claimed(tmp_path: Path, how: str) -> None:
    home = tmp_path / "home"
    db = f"sqlite:///{home / 'outreach.db'}"
    cli(home, "campaign", "create", "s", "--script", "ko-dormant-deposit", "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun", "--max-channels", "3",
        "--cps", "1")  # fmt: skip
    rows = ["name,phone,persona"] + [f"고객{i},010-7777-{1000 + i},interested" for i in range(12)]
    (tmp_path / "l.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli(home, "contacts", "import", "s", str(tmp_path / "l.csv"), "--json")
    env = {**os.environ, "OUTREACH_HOME": str(home), "OUTREACH_WORKER_ID": f"stop-{how}"}
    worker = subprocess.Popen(
        [OUTREACH, "run", "s", "--telephony", "sim", "--speed", "3", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while (live := _calls_in_progress(db)) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        if live < 2:
            pytest.fail(f"the worker had {live} calls in progress after 120 s; expected 2")
        if how == "pause":  # while the worker writes its calls: it waits for the write lock
            cli(home, "campaign", "pause", "s")
        else:
            worker.send_signal(signal.SIGINT)
        out, _ = worker.communicate(timeout=180)
    finally:  # a failure above must not leave the worker running into the next test
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0
    summary = json.loads(out)
    assert summary["stopped_by"] == ("paused" if how == "pause" else "interrupted")
    attempts, statuses = _rows(db)
    assert attempts and all(o is not None for (o,) in attempts), "every call stored"
    assert "calling" not in statuses, "nothing left claimed"
    assert summary["finished"] == len(attempts) < 12, "it stopped before the list was done"
    assert {o for (o,) in attempts} == {"answered"}, "calls in progress were finished, not cut"


def test_a_paused_campaign_dials_nobody_and_says_so(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli(home, "campaign", "create", "p", "--script", "ko-dormant-deposit", "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun")  # fmt: skip
    (tmp_path / "l.csv").write_text("name,phone\n김민수,010-1234-5678\n", encoding="utf-8")
    cli(home, "contacts", "import", "p", str(tmp_path / "l.csv"), "--json")
    cli(home, "campaign", "pause", "p")
    summary = cli(home, "run", "p", "--until-done", "--json")
    assert (summary["stopped_by"], summary["dialled"]) == ("paused", 0)
    assert "campaign resume p" in cli(home, "run", "p", "--until-done")
    assert cli(home, "campaign", "show", "p", "--json")["contacts"] == {"total": 1, "new": 1}
