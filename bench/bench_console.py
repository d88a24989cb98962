"""Web console pages with 100,000 calls in the database: how long each page takes to answer.

A real `outreach serve` process on loopback, on a SQLite file (the embedded default) holding
100,000 finished calls (bench_call_search.fill_calls: 60 % answered, six transcript lines each,
search rows, 1 % QA-marked), 10,000 leads, and one lead made through the domain functions with a
WAV recording. Each page is fetched by a logged-in
client of the right role; the figures are the full HTTP round trip (render included).
Baseline, same run: the login page, which touches no table (the server's own floor).
The server counts the manager's figures of active campaigns at start-up and every 15 s in the
background (orchestrator.web.manager.keep_fresh), so "first" of the campaign page is a snapshot
served, and the refresher's own cost is printed in-process ("refresher pass").
Load: sequential requests, one in flight, then the same page mix from 4 clients at once (the peak
actually in flight is printed).

Run: .venv/bin/python bench/bench_console.py [--calls 100000] [--repeat 20] [--keep DIR]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import console_baseline
import httpx
import sqlalchemy as sa
from bench_call_search import CUSTOMER, ROBOT, fill_calls
from bench_call_search import T0 as SEARCH_T0

from campaigns import charts, qa
from campaigns.accounts import add_user
from campaigns.calls import CallReport, LeadDraft, TurnRecord, finish_attempt
from campaigns.db import open_database
from campaigns.dialing import AttemptResult, claim
from campaigns.models import Attempt, Contact, Lead, Turn
from orchestrator.web.manager import _figures

T0 = datetime.now(UTC).replace(microsecond=0)
OPEN = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)  # a Wednesday noon in Seoul: calling hours
PASSWORD = "bench password 1"
SECRET = "bench-secret-0123456789abcdefghijklmnop"


def fill(engine: sa.Engine, n: int, home: Path) -> tuple[int, str]:
    """`n` calls written by bench_call_search's `fill_calls` (transcripts, search rows, QA
    marks), leads for a tenth of them, then one more lead made the way a real call makes it."""
    cid = fill_calls(engine, n)
    A, L = Attempt.__table__, Lead.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        rows = conn.execute(sa.select(A.c.id, A.c.contact_id, A.c.phone, A.c.score).where(
            A.c.dialog_outcome == "interested").limit(n // 10)).all()  # fmt: skip
        conn.execute(L.insert(), [
            {"campaign_id": cid, "contact_id": r.contact_id, "attempt_id": r.id, "phone": r.phone,
             "score": r.score or 0, "tier": "warm", "priority": 1500, "status": "done",
             "summary": "asked about the rate", "result": "no_sale", "created_at": SEARCH_T0}
            for r in rows])  # fmt: skip
    return cid, _real_lead(engine, cid, home)


def _real_lead(engine: sa.Engine, cid: int, home: Path) -> str:
    wav = home / "recordings" / "lead.wav"
    wav.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 3)))
                               for i in range(8000 * 40)))  # fmt: skip
    with engine.begin() as conn:
        conn.execute(Contact.__table__.insert().values(  # type: ignore[attr-defined]
            campaign_id=cid, phone="+821055550000", name="고객", time_zone="Asia/Seoul",
            attributes={"branch": "강남"}, status="new", queued=True, attempts=0, day_attempts=0,
            next_attempt_at=OPEN - timedelta(hours=1), created_at=OPEN))  # fmt: skip
    (c,) = claim(engine, cid, 1, "bench", timedelta(minutes=5), now=OPEN)
    turns = [TurnRecord("robot", ROBOT[i % 3], i * 3.0, i * 3 + 2.0) if i % 2 == 0 else
             TurnRecord("customer", CUSTOMER[i % 6], i * 3.0, i * 3 + 2.0, 0.8, "yes")
             for i in range(12)]  # fmt: skip
    result = AttemptResult("answered", dialog_outcome="interested", score=88, tier="hot",
                           duration_s=40.0, recording_path=str(wav),
                           score_breakdown=[{"points": 88, "reason": "interested"}])  # fmt: skip
    lead = LeadDraft(88, "hot", "A", "asked about the rate")
    finish_attempt(engine, c.attempt_id, CallReport(result, turns, lead), now=OPEN)
    return c.attempt_id


def login(base: str, name: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    r = client.post("/login", data={"csrf_token": token[1], "name": name, "password": PASSWORD})
    assert r.status_code == 303, r.text
    return client


def timed(
    client: httpx.Client, path: str, repeat: int, headers: dict[str, str]
) -> tuple[float, list[float]]:
    """The first request's time (cold: nothing cached) and `repeat` more after one warm-up."""
    began = time.perf_counter()
    client.get(path, headers=headers)
    first = (time.perf_counter() - began) * 1000
    client.get(path, headers=headers)
    out = []
    for _ in range(repeat):
        began = time.perf_counter()
        r = client.get(path, headers=headers)
        out.append((time.perf_counter() - began) * 1000)
        assert r.status_code in (200, 206), (path, r.status_code, r.text[:300])
    return first, out


def start_server(home: Path, port: int) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("outreach")
    env = {**os.environ, "OUTREACH_WEB_SECRET": SECRET}
    proc = subprocess.Popen([str(exe), "--home", str(home), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL)  # fmt: skip
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("outreach serve did not start")


def concurrent(base: str, pages: list[tuple[str, str]], clients: int, rounds: int) -> None:
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}
    times: list[float] = []

    def work() -> None:
        sessions = {role: login(base, role) for role in {r for r, _ in pages}}
        for _ in range(rounds):
            for role, path in pages:
                with lock:
                    state["now"] += 1
                    state["peak"] = max(state["peak"], state["now"])
                began = time.perf_counter()
                sessions[role].get(path)
                with lock:
                    state["now"] -= 1
                    times.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times.sort()
    print(f"\n{clients} clients at once, {len(times)} requests over the page mix: median "
          f"{statistics.median(times):.0f} ms, p95 {times[int(len(times) * 0.95)]:.0f} ms; "
          f"offered {clients} in flight, peak actually in flight {state['peak']}")


def figures_old_vs_new(url: str, cid: int, repeat: int) -> None:
    """The campaign page's three reads (qa.funnel, the funnel chart, outcomes per day), the
    current one-pass queries beside the old per-figure ones (console_baseline), in-process on
    the same database, the results checked equal."""
    engine = open_database(url)
    tz = "Asia/Seoul"
    paths = {
        "old (baseline)": lambda: (console_baseline.funnel(engine, cid),
                                   console_baseline.funnel_stages(engine, cid),
                                   console_baseline.outcomes_by_day(engine, cid, tz)),
        "new": lambda: (qa.funnel(engine, cid), charts.funnel_stages(engine, cid),
                        charts.outcomes_by_day(engine, cid, tz)),
        # what the server's refresher spends per active campaign every 15 s (no page waits)
        "refresher pass": lambda: _figures(engine, cid, "bench", tz),
    }  # fmt: skip
    results, times = {}, {}
    for _ in range(max(3, repeat // 4)):
        for label, f in paths.items():
            began = time.perf_counter()
            results[label] = f()
            times.setdefault(label, []).append((time.perf_counter() - began) * 1000)
    assert results["old (baseline)"] == results["new"], "the two query paths disagree"
    shared = qa.funnel(engine, cid, stages=True)
    assert shared.pop("stages") == results["new"][1] and shared == results["new"][0], (
        "the shared per-contact pass disagrees with qa.funnel + charts.funnel_stages")
    print(f"\ncampaign page figures in-process ({len(times['new'])} runs each, alternating), "
          "same results:")
    for label, ms in times.items():
        print(f"  {label:16s} median {statistics.median(ms):7.1f} ms  min {min(ms):7.1f} ms")
    print("  (refresher pass: the server's cost per active campaign every 15 s, in the "
          "background; the page itself serves the snapshot)")
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--keep", type=Path, help="Build the database here and keep it.")
    args = ap.parse_args()
    home = args.keep or Path(tempfile.mkdtemp(prefix="bench-console-"))
    engine = open_database(f"sqlite:///{home / 'outreach.db'}")
    began = time.perf_counter()
    cid, lead_call = fill(engine, args.calls, home)
    for name, role in (("agent1", "agent"), ("qa1", "qa"), ("boss", "manager")):
        add_user(engine, name, role, PASSWORD)
    with engine.connect() as conn:
        n_calls = conn.execute(sa.select(sa.func.count()).select_from(Attempt)).scalar_one()
        n_turns = conn.execute(sa.select(sa.func.count()).select_from(Turn)).scalar_one()
    engine.dispose()
    print(f"{n_calls:,} calls, {n_turns:,} transcript lines loaded in "
          f"{time.perf_counter() - began:.0f} s; load average {os.getloadavg()[0]:.1f}")
    port = 18000 + os.getpid() % 1000
    proc = start_server(home, port)
    base = f"http://127.0.0.1:{port}"
    try:
        agent = login(base, "agent1")
        token = re.search(r'name="csrf_token" value="([^"]+)"', agent.get("/desk").text)
        assert token
        agent.post("/desk/next", data={"csrf_token": token[1]})
        clients = {"agent1": agent, "qa1": login(base, "qa1"), "boss": login(base, "boss")}
        since = (SEARCH_T0 - timedelta(days=1)).date().isoformat()
        pages = [
            ("agent1", "/login", "baseline: login page (no database)"),
            ("agent1", "/desk", "agent desk, lead card + transcript"),
            ("qa1", "/qa", "QA search, no filter (page + total)"),
            ("qa1", "/qa?text=전화하지 마", "QA search, rare text"),
            ("qa1", "/qa?text=나중에", "QA search, common text"),
            ("qa1", f"/qa?campaign=bench&since={since}", "QA search, campaign + 1 day"),
            ("qa1", "/qa?below_confidence=0.35", "QA search, below confidence"),
            ("qa1", "/qa?phone=5678", "QA search, phone digits"),
            ("qa1", "/qa?verdict=fail", "QA search, verdict fail"),
            ("qa1", f"/qa/calls/{lead_call}", "QA call page"),
            ("qa1", f"/recordings/{lead_call}", "recording, Range 64 KiB"),
            ("boss", "/manager", "manager, campaigns + progress"),
            ("boss", f"/manager/campaigns/{cid}", "manager, campaign funnel"),
        ]
        print(f"\nsequential, one request in flight; first request, then {args.repeat} more "
              "after one warm-up")
        print(f"{'page':40s} {'first':>8s} {'median':>8s} {'p95':>8s} {'max':>8s}")
        for role, path, label in pages:
            hdr = {"Range": "bytes=65536-131071"} if path.startswith("/recordings") else {}
            first, times = timed(clients[role], path, args.repeat, hdr)
            ms = sorted(times)
            p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
            print(f"{label:40s} {first:7.1f}ms {statistics.median(ms):7.1f}ms {p95:7.1f}ms "
                  f"{ms[-1]:7.1f}ms")
        mix = [(r, p) for r, p, _ in pages if not p.startswith("/login")]
        concurrent(base, mix, 4, max(1, args.repeat // 10))
        figures_old_vs_new(f"sqlite:///{home / 'outreach.db'}", cid, args.repeat)
    finally:
        proc.terminate()
        proc.wait(10)
        if args.keep is None:
            for p in sorted(home.rglob("*"), reverse=True):
                p.unlink() if p.is_file() else p.rmdir()
            home.rmdir()


if __name__ == "__main__":
    main()
