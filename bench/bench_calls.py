"""Response latency and sustained concurrent calls, end to end, on simulated customers.

Each level runs N simulated customers at once in real time (speed 1) through the whole worker:
VAD, the real Korean recogniser in grammar mode, the dialog engine, cached prompts, paced audio.
Latency is from the end of the caller's speech to the robot's first audio frame of its reply.
The recogniser's own limit (real-time streams, `outreach asr capacity`) is measured in the same
run: the target is to sustain at least 80 % of it before latency degrades (p95 above 700 ms).
Note: the simulated customers (their VAD and speech) run in this same process and share its CPU.

Run: .venv/bin/python bench/bench_calls.py [--levels 1,10,20,30,40] [--seconds 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import anyio
import sqlalchemy as sa

from asr_models import VoskEngine, realtime_streams, resolve
from campaigns.db import open_database, session
from campaigns.models import Contact
from campaigns.repo import CampaignSpec, create_campaign
from orchestrator.capacity import ANSWERS, build_call
from orchestrator.running import RunRequest, run_campaign
from orchestrator.settings import load_settings


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def level(n: int, base: Path) -> dict[str, float]:
    home = base / f"level-{n}"
    settings = load_settings(home=home, recordings=False, worker_id=f"bench-{n}")
    engine = open_database(settings.db_url)
    with session(engine) as s:
        c = create_campaign(s, CampaignSpec(
            name="bench", script_ref="ko-dormant-deposit", window="00:00-24:00", days="mon-sun",
            max_channels=n, cps=100.0))  # fmt: skip
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(sa.insert(Contact.__table__), [  # type: ignore[attr-defined]
            dict(campaign_id=c.id, phone=f"+821077{i:06d}", name="김민수",
                 time_zone="Asia/Seoul", attributes={"persona": "interested"}, status="new",
                 queued=True, attempts=0, day_attempts=0, next_attempt_at=now, created_at=now)
            for i in range(n)])  # fmt: skip
    # Prompts are rendered once into a shared cache, as a running campaign has them.
    (home / "prompts").parent.mkdir(parents=True, exist_ok=True)
    (home / "prompts").symlink_to(base / "prompts", target_is_directory=True)
    request = RunRequest(settings, engine, "bench", "sim", True, 1.0, handle_signals=False)
    cpu, wall = time.process_time(), time.perf_counter()
    stats = anyio.run(run_campaign, request)
    cores = (time.process_time() - cpu) / (time.perf_counter() - wall)
    engine.dispose()
    lat = stats.latencies_s
    answered = sum(stats.outcomes.get(k, 0) for k in ("transfer", "interested"))
    return {"calls": n, "completed": answered, "replies": len(lat), "p50_ms": pct(lat, .5) * 1e3,
            "p95_ms": pct(lat, .95) * 1e3, "max_ms": max(lat, default=0) * 1e3,
            "cores_used": cores}  # fmt: skip


async def limit(base: Path, seconds: float) -> float:
    engine = await VoskEngine.load(resolve("ko", base / "models"))
    from dialogs.tts import PromptCache, Pyttsx3Engine

    audio = await build_call(PromptCache(base / "prompts", Pyttsx3Engine()), seconds)
    return await realtime_streams(engine, audio, ANSWERS, True, 32)


def main(levels: list[int], seconds: float) -> None:
    base = Path(tempfile.mkdtemp(prefix="bench-calls-"))
    cap = anyio.run(limit, base, seconds)
    print(f"recogniser limit (grammar + VAD, real-time streams): {cap:.1f}; "
          f"80% of it: {0.8 * cap:.1f} calls")
    cols = ("calls", 6), ("done", 6), ("replies", 9), ("p50 ms", 9), ("p95 ms", 9), ("max ms", 9)
    print("".join(f"{c:>{w}}" for c, w in cols) + f"{'cores':>7}")
    sustained = 0
    for n in levels:
        r = level(n, base)
        ok = r["p50_ms"] < 400 and r["p95_ms"] < 700 and r["completed"] == n
        sustained = n if ok else sustained
        print(f"{n:>6}{r['completed']:>6.0f}{r['replies']:>9.0f}{r['p50_ms']:>9.0f}"
              f"{r['p95_ms']:>9.0f}{r['max_ms']:>9.0f}{r['cores_used']:>7.2f}"
              f"{'' if ok else '  <- degraded'}")
    print(f"sustained with p50 < 400 ms and p95 < 700 ms: {sustained} calls "
          f"({sustained / cap:.0%} of the recogniser limit {cap:.1f})")
    print("latency samples per level: every robot reply that followed a customer answer")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,10,20,30,40")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    main([int(x) for x in args.levels.split(",")], args.seconds)
