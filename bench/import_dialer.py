"""A dialer beside a benchmark's import: another process claims and finishes one call at a
time on a second campaign of the same database and reports how long each claim + finish took
(bench/bench_import.py --dialer)."""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from campaigns.db import open_database, session
from campaigns.dialing import AttemptResult, claim, record_outcome
from campaigns.models import Contact
from campaigns.repo import CampaignSpec, create_campaign

NOW = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)  # 12:00 in Seoul, a Wednesday


def dialling_campaign(url: str, contacts: int = 5000) -> int:
    engine = open_database(url)
    with session(engine) as s:
        cid = create_campaign(s, CampaignSpec(name="dialling", script_ref="x")).id
    assert cid is not None
    with engine.begin() as conn:
        conn.execute(sa.insert(Contact.__table__), [  # type: ignore[attr-defined]
            {"campaign_id": cid, "phone": f"+8210{90000000 + i}", "time_zone": "Asia/Seoul",
             "attributes": {}, "status": "new", "queued": True, "attempts": 0,
             "day_attempts": 0, "next_attempt_at": NOW - timedelta(hours=1), "created_at": NOW}
            for i in range(contacts)])  # fmt: skip
    engine.dispose()
    return cid


def _dial(url: str, cid: int, stop: Any, ready: Any, out: Any) -> None:
    engine = open_database(url)
    spans: list[tuple[float, float]] = []
    error = None
    ready.set()
    try:
        while not stop.is_set():
            began = time.time()
            for c in claim(engine, cid, 1, "bench-dialer", timedelta(minutes=10), now=NOW):
                record_outcome(engine, c.attempt_id, AttemptResult("no_answer"), now=NOW)
            spans.append((began, time.time()))
            time.sleep(0.02)  # a dialer spends time dialling between claims
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        engine.dispose()
        out.put((spans, error))


class Dialer:
    """`with Dialer(url, cid) as d: ...` runs the dialer for the block; then `d.report(a, b)`."""

    def __init__(self, url: str, cid: int) -> None:
        ctx = mp.get_context("spawn")
        self.stop, ready, self.out = ctx.Event(), ctx.Event(), ctx.Queue()
        self.proc = ctx.Process(target=_dial, args=(url, cid, self.stop, ready, self.out))
        self.proc.start()
        assert ready.wait(timeout=120)
        self.spans: list[tuple[float, float]] = []
        self.error: str | None = None

    def __enter__(self) -> Dialer:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.spans, self.error = self.out.get(timeout=120)
        self.proc.join(timeout=60)

    def report(self, label: str, start: float, end: float) -> str:
        """The claims (each with its call's finish) that began between `start` and `end`."""
        waits = [b - a for a, b in self.spans if start <= a <= end] or [0.0]
        worst = max(waits) * 1000
        return (f"{label}: {len(waits)} claim + finish, median "
                f"{statistics.median(waits) * 1000:.0f} ms, longest {worst:.0f} ms"
                + (f"; ERROR {self.error}" if self.error else ""))  # fmt: skip
