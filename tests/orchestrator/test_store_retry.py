"""A database that refuses the end-of-call write for a moment (a restart, a lost connection, a
locked table) does not lose the call (issue 12): the worker tries the store again and the
transcript, recording and lead are there afterwards. The refusal is real: the transcript table is
renamed away while the call ends, and put back a few seconds later."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from campaigns.db import open_database
from tests.orchestrator.helpers import cli, one_customer_campaign

OUTREACH = str(Path(sys.executable).parent / "outreach")


def _rename(db: str, old: str, new: str) -> None:
    engine = open_database(db)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'ALTER TABLE "{old}" RENAME TO "{new}"'))
    finally:
        engine.dispose()


def _attempts(db: str) -> int:
    engine = open_database(db)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM attempt")).scalar_one())
    finally:
        engine.dispose()


def test_a_call_ending_while_the_database_refuses_writes_is_stored_afterwards(
    tmp_path: Path, db_url: str
) -> None:
    home = tmp_path / "home"
    env = one_customer_campaign(home, db_url, tmp_path, "store-retry")
    worker = subprocess.Popen(
        [OUTREACH, "run", "f", "--telephony", "sim", "--speed", "4", "--until-done", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while _attempts(db_url) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        _rename(db_url, "turn", "turn_away")  # the call is on: its transcript cannot be written
        recordings = home / "recordings"
        while not list(recordings.glob("*.wav")) and time.monotonic() < deadline:
            time.sleep(0.2)  # the recording is saved just before the call is stored
        assert list(recordings.glob("*.wav")), "the call ended"
        time.sleep(2.5)  # the first tries to store it fail
        _rename(db_url, "turn_away", "turn")
        out, err = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    (call,) = cli(home, "--db", db_url, "calls", "list", "--campaign", "f", "--json")
    shown = cli(home, "--db", db_url, "calls", "show", call["id"], "--json")
    assert (call["outcome"], call["dialog_outcome"]) == ("answered", "transfer"), shown
    assert [t for t in shown["turns"] if t["speaker"] == "customer"], "what was said is kept"
    assert shown["recording_path"] and Path(shown["recording_path"]).exists()
    assert len(cli(home, "--db", db_url, "leads", "list", "--json")) == 1, "the lead is kept"
    assert json.loads(out)["finished"] == 1


def test_a_call_the_database_refuses_for_longer_is_kept_and_stored_by_the_next_run(
    tmp_path: Path, db_url: str
) -> None:
    home = tmp_path / "home"
    env = one_customer_campaign(home, db_url, tmp_path, "store-keep", store_retry_s="1")
    run = [OUTREACH, "run", "f", "--telephony", "sim", "--speed", "4", "--until-done", "--json"]
    worker = subprocess.Popen(run, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while _attempts(db_url) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        _rename(db_url, "turn", "turn_away")  # down for longer than the worker tries
        _, err = worker.communicate(timeout=180)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
        _rename(db_url, "turn_away", "turn")
    assert worker.returncode == 0, err
    (kept,) = list((home / "unsaved").glob("*.json"))
    assert kept.stat().st_mode & 0o077 == 0, "what the customer said is readable by its owner only"
    again = subprocess.run(run, env=env, capture_output=True, text=True, timeout=180)
    assert again.returncode == 0, again.stderr
    assert not list((home / "unsaved").glob("*.json")), "stored, so no longer kept"
    (call,) = cli(home, "--db", db_url, "calls", "list", "--campaign", "f", "--json")
    shown = cli(home, "--db", db_url, "calls", "show", call["id"], "--json")
    assert call["id"] == kept.stem
    assert (call["outcome"], call["dialog_outcome"]) == ("answered", "transfer"), shown
    assert [t for t in shown["turns"] if t["speaker"] == "customer"], "what was said is kept"
    assert len(cli(home, "--db", db_url, "leads", "list", "--json")) == 1, "the lead is kept"
