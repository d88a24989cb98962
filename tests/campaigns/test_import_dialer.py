"""A large list import does not stall a running dialer: while 120,000 rows go into one
campaign, another process keeps claiming and finishing calls of a second campaign, without a
`database is locked` error. On SQLite the import used to hold the write lock for the whole file,
so no claim got through until it ended. The longest wait is a benchmark figure
(bench/bench_import.py --dialer), not an assertion."""

from __future__ import annotations

import csv
import multiprocessing as mp
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from campaigns.db import open_database, session
from campaigns.dialing import AttemptResult, claim, record_outcome
from campaigns.importer import import_contacts
from campaigns.repo import CampaignSpec, create_campaign, get_campaign
from tests.campaigns.helpers import T0, make_campaign

ROWS = 120_000


def _dialer(url: str, campaign_id: int, stop: Any, ready: Any, out: Any) -> None:
    """Claim one contact, finish its call, pause as a dialer does; record when each claim ended."""
    engine = open_database(url)
    ended: list[float] = []
    waits: list[float] = []
    error = None
    ready.set()
    try:
        while not stop.is_set():
            began = time.time()
            got = claim(engine, campaign_id, 1, "dialer", timedelta(minutes=10), now=T0)
            for c in got:
                record_outcome(engine, c.attempt_id, AttemptResult("no_answer"), now=T0)
            ended.append(time.time())
            waits.append(ended[-1] - began)
            time.sleep(0.02)
    except Exception as exc:  # reported to the test, which fails with it
        error = f"{type(exc).__name__}: {exc}"
    finally:
        engine.dispose()
        out.put((ended, waits, error))


def test_a_large_import_lets_a_running_dialer_claim(db_url: str, tmp_path: Path) -> None:
    engine, dialled = make_campaign(db_url, 3000, name="dialling")
    with session(engine) as s:
        target = create_campaign(s, CampaignSpec(name="new list", script_ref="x"))
    src = tmp_path / "big.csv"
    with src.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["phone", "name"])
        w.writerows([f"010-{3000 + i // 10000}-{i % 10000:04d}", f"c{i}"] for i in range(ROWS))
    ctx = mp.get_context("spawn")
    stop, ready, out = ctx.Event(), ctx.Event(), ctx.Queue()
    proc = ctx.Process(target=_dialer, args=(db_url, dialled, stop, ready, out))
    proc.start()
    assert ready.wait(timeout=120)
    marks: list[float] = []
    try:
        with session(engine) as s:
            campaign = get_campaign(s, target.id or 0)
            mark = lambda *_: marks.append(time.time())  # noqa: E731
            result = import_contacts(s, campaign, src, progress=mark)
    finally:
        stop.set()
        ended, waits, error = out.get(timeout=120)
        proc.join(timeout=60)
    assert error is None, error
    assert result.imported == ROWS  # every accepted row is in
    # Claims that went through between the import's first and its last progress report (every
    # 10,000 rows): on SQLite they were none, all of them waited for the import's commit.
    during = [t for t in ended if marks[0] < t < marks[-2]]
    print(f"{len(during)} claims during the import; longest claim + finish {max(waits):.2f} s")
    assert len(during) > 0
