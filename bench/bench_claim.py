"""`claim` of 100 contacts from a campaign of 1,000,000, on SQLite and on PostgreSQL, and the
plan of the `campaign due` query (it must use the index, not scan every contact).

Baseline printed in the same run: the same question answered by scanning (the due rows counted
with the index disabled), which is what a per-time-zone check without the index would cost.

Run: .venv/bin/python bench/bench_claim.py [--contacts 1000000] [--claims 30]
     (PostgreSQL at OUTREACH_TEST_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test)
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from campaigns.db import open_database, session
from campaigns.dialing import claim, explain_due
from campaigns.models import Contact
from campaigns.repo import CampaignSpec, create_campaign

PG = os.environ.get("OUTREACH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)  # 12:00 in Seoul, a Wednesday


def fill(url: str, n: int) -> tuple[sa.Engine, int]:
    engine = open_database(url)
    with session(engine) as s:
        cid = create_campaign(s, CampaignSpec(name="bench", script_ref="x")).id
    assert cid is not None
    zones = ["Asia/Seoul"] * 9 + ["Asia/Tokyo"]
    t = Contact.__table__  # type: ignore[attr-defined]
    batch = 50_000
    with engine.begin() as conn:
        for start in range(0, n, batch):
            conn.execute(t.insert(), [
                {"campaign_id": cid, "phone": f"+8210{i:08d}", "name": None,
                 "time_zone": zones[i % 10], "attributes": {}, "status": "new", "queued": True,
                 "attempts": 0, "day_attempts": 0,
                 "next_attempt_at": NOW - timedelta(seconds=i % 3600), "created_at": NOW}
                for i in range(start, min(n, start + batch))])  # fmt: skip
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE contact")
        else:
            conn.exec_driver_sql("ANALYZE")
    return engine, cid


def bench(name: str, url: str, n: int, claims: int) -> None:
    t0 = time.perf_counter()
    engine, cid = fill(url, n)
    print(f"\n{name}: {n:,} contacts loaded in {time.perf_counter() - t0:.1f} s")
    times = []
    for _ in range(claims):
        began = time.perf_counter()
        got = claim(engine, cid, 100, "bench", timedelta(minutes=10), now=NOW)
        times.append((time.perf_counter() - began) * 1000)
        assert len(got) == 100
    print(f"  claim(100): median {statistics.median(times):.2f} ms, "
          f"p95 {sorted(times)[int(0.95 * len(times))]:.2f} ms, max {max(times):.2f} ms "
          f"over {claims} claims (target < 10 ms)")
    with engine.connect() as conn:
        began = time.perf_counter()
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_indexscan = off; SET enable_bitmapscan = off")
            sql = "SELECT count(*) FROM contact WHERE queued AND next_attempt_at <= %(t)s"
            conn.exec_driver_sql(sql, {"t": NOW})
        else:
            sql = "SELECT count(*) FROM contact NOT INDEXED WHERE queued AND next_attempt_at <= ?"
            conn.exec_driver_sql(sql, (NOW.strftime("%Y-%m-%d %H:%M:%S.%f"),))
        print(f"  baseline, the same rows found by a full scan: "
              f"{(time.perf_counter() - began) * 1000:.1f} ms")
    print("  plan of the due query:")
    for line in explain_due(engine, cid, NOW):
        print(f"    {line}")
    engine.dispose()


def main(n: int, claims: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-claim-"))
    bench("SQLite (WAL)", f"sqlite:///{tmp / 'bench.db'}", n, claims)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        bench("PostgreSQL", f"{PG}?options=-csearch_path%3D{schema}", n, claims)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--claims", type=int, default=30)
    args = parser.parse_args()
    main(args.contacts, args.claims)
