"""Several worker processes hammer `claim` at once: no contact is ever held by two workers, none
is lost. Runs on a SQLite file (shared by the processes) and on the real PostgreSQL."""

from __future__ import annotations

import multiprocessing as mp
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from campaigns.db import open_database
from campaigns.dialing import AttemptResult, claim, record_outcome
from campaigns.models import Attempt, Contact
from tests.campaigns.helpers import T0, make_campaign

CONTACTS = 300
WORKERS = 4


def _worker(url: str, campaign_id: int, name: str, out: Any, start: Any) -> None:
    engine = open_database(url)
    got: list[int] = []
    start.wait(timeout=120)  # every worker is up before anyone claims: they really compete
    try:
        while True:
            batch = claim(engine, campaign_id, 7, name, timedelta(minutes=10), now=T0)
            if not batch:
                break
            for c in batch:
                got.append(c.contact_id)
                outcome = AttemptResult("answered", dialog_outcome="interested")
                record_outcome(engine, c.attempt_id, outcome, now=T0)
            # A real worker spends seconds dialling between claims; without any pause SQLite's
            # (unfair) busy handler can let one process win every lock, which proves nothing.
            time.sleep(0.02)
    finally:
        engine.dispose()
        out.put((name, got))


def test_many_processes_never_share_or_lose_a_contact(db_url: str) -> None:
    engine, cid = make_campaign(db_url, CONTACTS)
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    start = ctx.Barrier(WORKERS)
    procs = [
        ctx.Process(target=_worker, args=(db_url, cid, f"w{i}", out, start)) for i in range(WORKERS)
    ]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=240) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    claimed = [c for got in results.values() for c in got]
    assert len(claimed) == CONTACTS, "every contact claimed"
    assert len(set(claimed)) == CONTACTS, "no contact claimed twice"
    assert sum(1 for got in results.values() if got) >= 2, "the work was actually shared"
    with engine.connect() as conn:
        attempts = conn.execute(sa.select(sa.func.count()).select_from(Attempt)).scalar()
        done = conn.execute(
            sa.select(sa.func.count()).select_from(Contact).where(Contact.status == "done")
        ).scalar()
    assert attempts == CONTACTS and done == CONTACTS
