"""QA's call search (`campaigns.search.search_calls`) on 100,000 calls, SQLite and PostgreSQL.

Each query returns a page of 50 and the total, as `calls list` and the web console's search
page ask it. Baselines printed in the same run: the old unfiltered listing (`qa.list_calls`,
no total) and, for text, a bare count of matching transcript lines by full scan (the least any
index-free substring search can cost).

Run: .venv/bin/python bench/bench_call_search.py [--calls 100000] [--repeat 5]
     (PostgreSQL at OUTREACH_TEST_PG_URL, in a schema of its own dropped after)
`fill_calls(engine, n)` is reusable: it writes a campaign of `n` finished calls with transcripts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from campaigns import qa
from campaigns.call_text import search_row
from campaigns.db import open_database, session
from campaigns.models import Attempt, CallSearch, Contact, QaMark, Turn
from campaigns.repo import CampaignSpec, create_campaign
from campaigns.search import CallFilter, search_calls

PG = os.environ.get("OUTREACH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)
ROBOT = ["안녕하세요, AI 상담원입니다.", "휴면 예금 계좌가 있으십니다.", "연결해 드릴까요?"]
CUSTOMER = ["네", "관심 있어요", "아니요", "누구세요", "나중에 전화 주세요", "글쎄요"]
RARE = "다시는 전화하지 마세요"  # one call in 1,000
OUTCOMES = ["answered"] * 6 + ["busy", "no_answer", "machine", "failed"]
DIALOGS = ["interested", "not_interested", "transfer", "no_response", "callback", "opt_out"]


def _call(i: int, cid: int, contact_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    aid = str(uuid.UUID(int=i + 1))
    outcome = OUTCOMES[i % len(OUTCOMES)]
    answered = outcome == "answered"
    started = T0 - timedelta(seconds=i * 26)  # 100,000 calls over a month
    score = (i * 37) % 101 if answered else None
    tier = None if score is None else ("hot" if score >= 80 else "warm" if score >= 50 else "cold")
    att = {"id": aid, "campaign_id": cid, "contact_id": contact_id, "phone": f"+8210{i:08d}",
           "worker_id": "bench", "started_at": started, "lease_until": started,
           "ended_at": started + timedelta(seconds=40), "outcome": outcome,
           "dialog_outcome": DIALOGS[i % len(DIALOGS)] if answered else None, "score": score,
           "tier": tier, "score_breakdown": [], "duration_s": 40.0}  # fmt: skip
    turns = []
    if answered:
        for seq in range(6):
            robot = seq % 2 == 0
            text = ROBOT[seq // 2] if robot else CUSTOMER[(i + seq) % len(CUSTOMER)]
            if not robot and seq == 5 and i % 1000 == 3:
                text = RARE
            conf = None if robot else round(0.3 + ((i * 13 + seq) % 70) / 100, 2)
            turns.append({"attempt_id": aid, "seq": seq, "speaker": "robot" if robot else
                          "customer", "text": text, "start_s": seq * 3.0, "end_s": seq * 3.0 + 2,
                          "confidence": conf, "intent": None if robot else "yes"})  # fmt: skip
    return att, turns


def fill_calls(engine: sa.Engine, n: int, name: str = "bench") -> int:
    """A campaign `name` with `n` finished calls (60 % answered with 6 turns), 1 % QA-marked."""
    with session(engine) as s:
        cid = create_campaign(s, CampaignSpec(name=name, script_ref="ko-dormant-deposit")).id
    assert cid is not None
    models = (Contact, Attempt, Turn, QaMark, CallSearch)
    tables = [t.__table__ for t in models]  # type: ignore[attr-defined]
    batch = 10_000
    for start in range(0, n, batch):
        ids = range(start, min(n, start + batch))
        contacts = [{"campaign_id": cid, "phone": f"+8210{i:08d}", "time_zone": "Asia/Seoul",
                     "attributes": {}, "status": "done", "queued": False, "attempts": 1,
                     "day_attempts": 0, "next_attempt_at": T0, "created_at": T0}
                    for i in ids]  # fmt: skip
        with engine.begin() as conn:
            first = conn.execute(sa.select(sa.func.coalesce(sa.func.max(tables[0].c.id), 0)))
            base = int(first.scalar_one()) + 1
            conn.execute(tables[0].insert(), contacts)
            calls = [_call(i, cid, base + k) for k, i in enumerate(ids)]
            conn.execute(tables[1].insert(), [a for a, _ in calls])
            turns = [t for _, ts in calls for t in ts]
            if turns:
                conn.execute(tables[2].insert(), turns)  # and their search rows, as finish_attempt
                conn.execute(tables[4].insert(), [
                    search_row(a["id"], [SimpleNamespace(**t) for t in ts]) for a, ts in calls if ts
                ])  # fmt: skip
            marks = [{"attempt_id": a["id"], "reviewer": "qa", "tags": ",asr,",
                      "verdict": "fail" if i % 2 else "pass", "created_at": T0}
                     for i, (a, _) in enumerate(calls) if i % 100 == 3]  # fmt: skip
            conn.execute(tables[3].insert(), marks)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return cid


def turn_exists_search(engine: sa.Engine, words: str) -> int:
    """The first version of the text filter: EXISTS over the turns, page of 50 and a count."""
    a, t = Attempt.__table__, Turn.__table__  # type: ignore[attr-defined]
    has = sa.exists().where(t.c.attempt_id == a.c.id, t.c.text.icontains(words, autoescape=True))
    with engine.connect() as conn:
        conn.execute(sa.select(a.c.id).where(has).order_by(a.c.started_at.desc()).limit(50)).all()
        return int(conn.execute(sa.select(sa.func.count()).select_from(a).where(has)).scalar_one())


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), out


def bench(name: str, url: str, n: int, repeat: int) -> None:
    engine = open_database(url)
    began = time.perf_counter()
    cid = fill_calls(engine, n)
    print(f"\n{name}: {n:,} calls loaded in {time.perf_counter() - began:.0f} s")
    base_ms, _ = timed(lambda: qa.list_calls(engine, limit=50), repeat)
    print(f"  baseline qa.list_calls(limit=50), no filter, no total: {base_ms:8.1f} ms")
    like = "%전화하지%"
    scan = sa.text("SELECT count(*) FROM turn WHERE text LIKE :p")
    with engine.connect() as conn:
        scan_ms, _ = timed(lambda: conn.execute(scan, {"p": like}).scalar(), repeat)
    print(f"  baseline full scan counting turns LIKE {like!r}:      {scan_ms:8.1f} ms")
    old_ms, old_total = timed(lambda: turn_exists_search(engine, "전화하지 마"), repeat)
    print(f"  baseline text search on the turns (the first version): {old_ms:8.1f} ms"
          f"  ({old_total:,} matching)")
    cases = {
        "no filter": CallFilter(),
        "campaign + one day": CallFilter(campaign_id=cid, since=T0 - timedelta(days=1)),
        "text, rare (0.1 %)": CallFilter(text="전화하지 마"),
        "text, common (~10 %)": CallFilter(text="나중에"),
        "text + campaign + one day": CallFilter(campaign_id=cid, text="관심",
                                                since=T0 - timedelta(days=1)),
        "below confidence 0.35": CallFilter(below_confidence=0.35),
        "phone digits 4 of 12": CallFilter(phone="5678"),
        "phone, whole number": CallFilter(phone="010-0001-2345"),
        "tier hot, score >= 90": CallFilter(tier="hot", min_score=90),
        "QA verdict fail": CallFilter(verdict="fail"),
        "unreviewed": CallFilter(reviewed=False),
    }  # fmt: skip
    for label, f in cases.items():
        ms, out = timed(lambda f=f: search_calls(engine, f, limit=50), repeat)  # type: ignore[misc]
        rows, total = out  # type: ignore[misc]
        print(f"  search {label:28s} {ms:8.1f} ms  ({len(rows)} shown of {total:,})")
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", choices=["sqlite", "postgres"])
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; median of {args.repeat} runs per query")
    if args.only != "postgres":
        with tempfile.TemporaryDirectory() as d:
            bench("SQLite (WAL)", f"sqlite:///{Path(d) / 'search.db'}", args.calls, args.repeat)
    if args.only != "sqlite":
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        try:
            sep = "&" if "?" in PG else "?"
            url = f"{PG}{sep}options=-csearch_path%3D{schema}"
            bench("PostgreSQL", url, args.calls, args.repeat)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()


if __name__ == "__main__":
    main()
