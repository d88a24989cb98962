"""Web console pages with 100,000 calls in the database: how long each page takes to answer.

A real `outreach serve` process on loopback, on a SQLite file (the embedded default) holding
100,000 finished calls (60 % answered, six transcript lines each), 5,000 leads, QA marks and one
lead made through the domain functions with a WAV recording. Each page is fetched by a logged-in
client of the right role; the figures are the full HTTP round trip (render included).
Baseline, same run: the login page, which touches no table (the server's own floor).
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
import uuid
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from campaigns.accounts import add_user
from campaigns.calls import CallReport, LeadDraft, TurnRecord, finish_attempt
from campaigns.db import open_database, session
from campaigns.dialing import AttemptResult, claim
from campaigns.models import Attempt, Contact, Lead, QaMark, Turn
from campaigns.repo import CampaignSpec, create_campaign

T0 = datetime.now(UTC).replace(microsecond=0)
OPEN = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)  # a Wednesday noon in Seoul: calling hours
ROBOT = ["안녕하세요, AI 상담원입니다.", "휴면 예금 계좌가 있으십니다.", "연결해 드릴까요?"]
CUSTOMER = ["네", "관심 있어요", "아니요", "누구세요", "나중에 전화 주세요", "글쎄요"]
RARE = "다시는 전화하지 마세요"  # one call in 1,000
OUTCOMES = ["answered"] * 6 + ["busy", "no_answer", "machine", "failed"]
DIALOGS = ["interested", "not_interested", "transfer", "no_response", "callback", "opt_out"]
PASSWORD = "bench password 1"
SECRET = "bench-secret-0123456789abcdefghijklmnop"


def _rows(i: int, cid: int, contact_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    aid = str(uuid.UUID(int=i + 1))
    outcome = OUTCOMES[i % len(OUTCOMES)]
    answered = outcome == "answered"
    started = T0 - timedelta(hours=2, seconds=i * 26)  # 100,000 calls over a month
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


def fill(engine: sa.Engine, n: int, home: Path) -> tuple[int, str]:
    """`n` bulk-written calls, then one more lead made the way a real call makes it."""
    with session(engine) as s:
        cid = create_campaign(s, CampaignSpec(name="bench", script_ref="ko-dormant-deposit")).id
    assert cid is not None
    tables = [m.__table__ for m in (Contact, Attempt, Turn, QaMark, Lead)]  # type: ignore[attr-defined]
    for start in range(0, n, 10_000):
        ids = range(start, min(n, start + 10_000))
        with engine.begin() as conn:
            base = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(tables[0].c.id), 0)))
                       .scalar_one()) + 1  # fmt: skip
            conn.execute(tables[0].insert(), [
                {"campaign_id": cid, "phone": f"+8210{i:08d}", "time_zone": "Asia/Seoul",
                 "attributes": {}, "status": "done", "queued": False, "attempts": 1,
                 "day_attempts": 0, "next_attempt_at": T0, "created_at": T0} for i in ids])
            calls = [_rows(i, cid, base + k) for k, i in enumerate(ids)]
            conn.execute(tables[1].insert(), [a for a, _ in calls])
            conn.execute(tables[2].insert(), [t for _, ts in calls for t in ts])
            conn.execute(tables[3].insert(), [
                {"attempt_id": a["id"], "reviewer": "qa", "tags": ",asr,", "created_at": T0,
                 "verdict": "fail" if i % 2 else "pass"}
                for i, (a, _) in enumerate(calls) if i % 100 == 3])
            conn.execute(tables[4].insert(), [
                {"campaign_id": cid, "contact_id": a["contact_id"], "attempt_id": a["id"],
                 "phone": a["phone"], "score": a["score"], "tier": "warm", "priority": 1500,
                 "summary": "asked about the rate", "status": "done", "result": "no_sale",
                 "created_at": T0}
                for i, (a, _) in enumerate(calls) if a["dialog_outcome"] == "interested"
                and i % 2 == 0])  # fmt: skip
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
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


def timed(client: httpx.Client, path: str, repeat: int, headers: dict[str, str]) -> list[float]:
    for _ in range(2):  # warm-up: the first request of a page fills caches
        client.get(path, headers=headers)
    out = []
    for _ in range(repeat):
        began = time.perf_counter()
        r = client.get(path, headers=headers)
        out.append((time.perf_counter() - began) * 1000)
        assert r.status_code in (200, 206), (path, r.status_code, r.text[:300])
    return out


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
        since = (T0 - timedelta(days=1)).date().isoformat()
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
        print(f"\nsequential, one request in flight, {args.repeat} per page (after 2 warm-up)")
        print(f"{'page':40s} {'median':>8s} {'p95':>8s} {'max':>8s}")
        for role, path, label in pages:
            hdr = {"Range": "bytes=65536-131071"} if path.startswith("/recordings") else {}
            ms = sorted(timed(clients[role], path, args.repeat, hdr))
            p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
            print(f"{label:40s} {statistics.median(ms):7.1f}ms {p95:7.1f}ms {ms[-1]:7.1f}ms")
        mix = [(r, p) for r, p, _ in pages if not p.startswith("/login")]
        concurrent(base, mix, 4, max(1, args.repeat // 10))
    finally:
        proc.terminate()
        proc.wait(10)
        if args.keep is None:
            for p in sorted(home.rglob("*"), reverse=True):
                p.unlink() if p.is_file() else p.rmdir()
            home.rmdir()


if __name__ == "__main__":
    main()
