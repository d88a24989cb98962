"""Benchmark: import a generated contact list (default 1,000,000 rows) with full validation.

Prints, from the same run and the same rows:
  * the import (read, decode, validate every number, dedupe, insert in one transaction) in rows/s;
  * the baseline: a raw sqlite3 executemany of the finished rows into the same schema;
  * phone validation alone: phonenumbers parse + is_valid_number + E.164 (one core), and the
    fast path that replaces it for the usual shapes.

With --database URL --compare (PostgreSQL), the same file is imported twice into an emptied contact
table: first by today's path, the COPY straight into the indexed table, then by the staged
variant (COPY into a temporary table, one INSERT ... SELECT per 100,000 rows; off by default).

With --dialer, another process claims and finishes calls of a second campaign in the same
database during the import (bench/import_dialer.py) and the longest wait is printed beside the
same dialer's waits with no import running. With --database URL the import goes to that database
(e.g. PostgreSQL; the baseline is then skipped, it is sqlite3's).

Run: .venv/bin/python bench/bench_import.py [--rows N] [--dialer] [--database URL [--compare]]
     (see docs/benchmarks-import.md)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from campaigns import contact_writer
from campaigns.db import open_database, session
from campaigns.importer import import_contacts
from campaigns.models import Campaign
from campaigns.phones import PhoneNormalizer, slow_e164

try:
    from import_dialer import Dialer, dialling_campaign  # run as bench/bench_import.py
except ImportError:
    from bench.import_dialer import Dialer, dialling_campaign

SURNAMES = "김이박최정강조윤장임"
GIVEN = ["민수", "서연", "지훈", "하은", "도윤", "수빈", "예준", "지우"]
PERSONAS = ["polite", "busy", "chatty", "suspicious"]


def _phone(rnd: random.Random, mid: int, last: int) -> str:
    """One Korean number, written the way lists write them."""
    shape = rnd.random()
    if shape < 0.30:
        return f"010-{mid:04d}-{last:04d}"
    if shape < 0.50:
        return f"+82 10-{mid:04d}-{last:04d}"
    if shape < 0.65:
        return f"010 {mid:04d} {last:04d}"
    if shape < 0.80:
        return f"010{mid:04d}{last:04d}"
    if shape < 0.90:
        return f"(02) {mid % 900 + 100}-{last:04d}"
    return f"031-{mid % 900 + 200}-{last:04d}"


def generate(path: Path, rows: int, seed: int = 2) -> None:
    """~1% invalid, ~1% duplicates (the same number in another format), the rest unique."""
    rnd = random.Random(seed)
    numbers = rnd.sample(range(10_000_000, 99_999_999), rows)  # distinct mid+last digits
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("phone,name,customer_id,persona,segment\n")
        for i, n in enumerate(numbers):
            r = rnd.random()
            if r < 0.01:
                phone = rnd.choice(["010-123", "n/a", "", "+82 10-0000", "13812345678"])
            elif r < 0.02 and i:
                m = numbers[rnd.randrange(i)]
                phone = f"010-{m // 10000:04d}-{m % 10000:04d}"
            else:
                phone = _phone(rnd, n // 10000, n % 10000)
            name = rnd.choice(SURNAMES) + rnd.choice(GIVEN)
            fh.write(f"{phone},{name},C{i:08d},{rnd.choice(PERSONAS)},{rnd.choice('ABC')}\n")


def bench_import(src: Path, url: str, dialer: bool = False, name: str = "bench",
                 label: str = "import") -> float:  # fmt: skip
    engine = open_database(url)
    with contextlib.ExitStack() as stack:
        if dialer:
            cid = dialling_campaign(url)
            d = stack.enter_context(Dialer(url, cid))
            time.sleep(3)
            idle = (time.time() - 3, time.time())
        s = stack.enter_context(session(engine))
        at = time.time()
        now = datetime.now(UTC)
        campaign = Campaign(name=name, script_ref="bench", windows={}, created_at=now)
        s.add(campaign)
        s.commit()
        s.refresh(campaign)
        t0, c0 = time.perf_counter(), time.process_time()
        result = import_contacts(s, campaign, src)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        done = time.time()
    engine.dispose()
    if dialer:
        print("dialer, " + d.report("before the import (baseline)", *idle))
        print("dialer, " + d.report("during the import", at, done))
    print(f"{label}: {result.rows:>9,} rows in {wall:6.2f} s = {result.rows / wall:>9,.0f} rows/s "
          f"(process CPU {cpu:.2f} s)  imported {result.imported:,}, duplicates "
          f"{result.duplicates:,}, invalid {result.invalid:,}")  # fmt: skip
    return result.rows / wall


def _empty(url: str) -> None:
    engine = open_database(url)
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE contact, campaign CASCADE"))
    engine.dispose()


def compare(src: Path, url: str) -> None:
    """The same file by the default path then the staged one, each into an empty table."""
    for staging, label in ((False, "COPY into the indexed table (the default)"),
                           (True, "staged: temp table + INSERT ... SELECT")):  # fmt: skip
        _empty(url)
        contact_writer.POSTGRES_STAGING = staging
        print(f"load average before {label}: {os.getloadavg()[0]:.2f}")
        bench_import(src, url, label=label)
    _empty(url)


def bench_baseline(imported_db: Path, fresh_db: Path) -> None:
    """A raw executemany of the imported rows (already validated) into the same schema."""
    engine = open_database(f"sqlite:///{fresh_db}")  # the same tables and indexes
    engine.dispose()
    cols = ("campaign_id, phone, name, customer_id, time_zone, attributes, status, queued, "
            "attempts, day_attempts, next_attempt_at, source_line, created_at")  # fmt: skip
    src = sqlite3.connect(imported_db)
    rows = src.execute(f"SELECT {cols} FROM contact").fetchall()
    campaign = src.execute("SELECT * FROM campaign").fetchone()
    src.close()
    dst = sqlite3.connect(fresh_db, isolation_level=None)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.execute("PRAGMA synchronous=NORMAL")
    dst.execute("PRAGMA cache_size=-131072")  # what the import uses
    marks = ", ".join("?" * len(rows[0]))
    dst.execute(f"INSERT INTO campaign VALUES ({', '.join('?' * len(campaign))})", campaign)
    t0 = time.perf_counter()
    dst.execute("BEGIN")
    dst.executemany(f"INSERT INTO contact ({cols}) VALUES ({marks})", rows)
    dst.execute("COMMIT")
    wall = time.perf_counter() - t0
    dst.close()
    print(f"baseline: {len(rows):>9,} rows in {wall:6.2f} s = {len(rows) / wall:>9,.0f} rows/s "
          "(raw sqlite3 executemany of the finished rows, same schema and pragmas)")  # fmt: skip


def bench_phones(src: Path, n: int = 50_000) -> None:
    with src.open(encoding="utf-8") as fh:
        next(fh)
        raw = [line.split(",", 1)[0] for _, line in zip(range(n), fh, strict=False)]
    t0 = time.perf_counter()
    for r in raw:
        slow_e164(r, "KR")
    slow = len(raw) / (time.perf_counter() - t0)
    norm = PhoneNormalizer("KR")
    t0 = time.perf_counter()
    for r in raw:
        norm.e164(r)
    fast = len(raw) / (time.perf_counter() - t0)
    print(
        f"phones:   phonenumbers parse+validate+E.164 {slow:>9,.0f} /s; fast path "
        f"{fast:>9,.0f} /s ({norm.fast_hits:,} of {len(raw):,} decided without phonenumbers)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows to generate")
    ap.add_argument("--dialer", action="store_true", help="a dialer claims during the import")
    ap.add_argument("--database", help="import into this database URL (default a SQLite file)")
    ap.add_argument("--compare", action="store_true",
                    help="PostgreSQL: the COPY into the indexed table, then the staged import")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if args.database:
        print("(database given: the sqlite3 baseline is skipped)")
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        src = Path(tmp) / "contacts.csv"
        t0 = time.perf_counter()
        generate(src, args.rows)
        size = src.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size:.0f} MB) in {time.perf_counter() - t0:.1f} s")
        if args.database and args.compare:
            compare(src, args.database)
        elif args.database:
            bench_import(src, args.database, args.dialer)
        else:
            bench_import(src, f"sqlite:///{Path(tmp) / 'import.db'}", args.dialer)
            bench_baseline(Path(tmp) / "import.db", Path(tmp) / "baseline.db")
        bench_phones(src)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
