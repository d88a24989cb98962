"""A call longer than the claim's lease keeps its contact (issue 12): the worker renews the lease
of every call in progress, so another worker claiming from the same campaign meanwhile neither
expires the live call's attempt nor takes its contact to dial it again."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from campaigns.db import open_database
from campaigns.dialing import Claim, claim, release
from tests.orchestrator.helpers import one_customer_campaign

OUTREACH = str(Path(sys.executable).parent / "outreach")
LEASE = timedelta(seconds=12)


def test_a_call_longer_than_its_lease_is_not_claimed_by_another_worker(
    tmp_path: Path, db_url: str
) -> None:
    home = tmp_path / "home"
    env = one_customer_campaign(home, db_url, tmp_path, "long-call", claim_lease_minutes="0.2")
    engine = open_database(db_url)
    taken: list[Claim] = []
    worker = subprocess.Popen(
        [OUTREACH, "run", "f", "--telephony", "sim", "--until-done", "--json"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        with engine.connect() as conn:
            cid = int(conn.execute(sa.text("SELECT id FROM campaign")).scalar_one())
        deadline = time.monotonic() + 180
        dialled = sa.text("SELECT count(*) FROM attempt WHERE dialled_at IS NOT NULL")
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if conn.execute(dialled).scalar_one():
                    break
            time.sleep(0.2)
        # A second worker claims from the same campaign every second while the call goes on.
        while worker.poll() is None and time.monotonic() < deadline:
            got = claim(engine, cid, 5, "other-worker", LEASE)
            taken += got
            release(engine, [c.attempt_id for c in got])
            time.sleep(1.0)
        _, err = worker.communicate(timeout=60)
        with engine.connect() as conn:
            attempts = conn.execute(
                sa.text("SELECT outcome, dialog_outcome, cause, duration_s FROM attempt")
            ).all()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
        engine.dispose()
    assert worker.returncode == 0, err
    ((outcome, dialog, cause, duration_s),) = attempts
    assert duration_s > LEASE.total_seconds(), "the call outlasted the lease"
    assert taken == [], "the other worker took the live call's contact"
    assert (outcome, dialog) == ("answered", "transfer") and "lease" not in (cause or "")
