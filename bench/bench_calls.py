"""Concurrent calls end to end, showing the load each level really ran: sim and the sandbox
Asterisk, one worker process beside N, in the same run.

Each level offers N `interested` customers at once (N contacts, channels = N, the worker's
capacity stated as N with OUTREACH_CAPACITY, unless --over gives a capacity to exceed) to a real
`outreach run --until-done --json` process: VAD, the Korean recogniser in grammar mode, the dialog,
cached prompts, paced 20 ms frames. On `asterisk` every call crosses the sandbox (AMI Originate, a
SIP trunk with RTP, AudioSocket on both legs) and the simulated customers run in their own process
(`outreach asterisk sandbox customers`), so the worker's CPU is the worker's alone; on `sim` they
share the worker's process. Per level it prints: calls offered, the peak actually in flight (from
the attempts' dial and end times in the database), wall time, CPU (cores, averaged over the wall
time) of the worker process(es), of the customers and of Asterisk, outcomes right (transfer) /
wrong / degraded, reply latency p50/p95/max (end of the caller's speech to the robot's reply) and
the time from the answer to the robot's first word p50/p95. A level whose peak is below what it
offered says NOT reached. The load average of the machine is printed with every level: the
machine is shared.

`--checks` runs each level once per value of `hearing_checks_at_once` (free checks of costly
hearings in flight per worker process; beyond it the robot asks its confirmation question):
`1` is the default, `wait` lets every check wait its turn (the behaviour before the limit, the
baseline in the same run), `off` turns the check off (`hearing_check=false`). The `conf`
column counts the calls that were asked a transfer confirmation.

Every call that ended wrong (neither `transfer` nor `degraded`) is listed under its level: the
robot's side from the transcript (what it said, what it heard with confidence and intent) and,
on `asterisk`, the customer's side kept by `sandbox customers --records` (the prompts it heard,
the question it knew each as, what it said), so a wrong outcome can be told apart as a mishearing
or a simulated customer answering the wrong question.

Run (sandbox levels under the lock):
  .venv/bin/python bench/bench_calls.py --path sim --levels 20,60,150 --processes 1,2
  flock /tmp/outreach-sandbox.lock .venv/bin/python bench/bench_calls.py --path asterisk \
      --levels 20,60,150 --processes 1,2
  .venv/bin/python bench/bench_calls.py --path sim --over 40   # 1.5 x a stated capacity of 40
  .venv/bin/python bench/bench_calls.py --path sim --levels 60 --processes 1 --checks 1,wait
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from campaigns.db import open_database, session
from campaigns.models import Attempt, Contact, Turn
from campaigns.repo import CampaignSpec, create_campaign
from orchestrator.privacy import mask_phone
from orchestrator.settings import load_settings
from telephony.sandbox import Sandbox

OUTREACH = str(Path(sys.executable).parent / "outreach")
TICK = os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_in_flight(db: str) -> int:
    """The most calls between their dial and their end at any moment, from the attempts."""
    engine = open_database(db)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Attempt.dialled_at, Attempt.ended_at)).all()  # type: ignore[call-overload]
    engine.dispose()
    edges = sorted([(a, 1) for a, b in rows if a and b] + [(b, -1) for a, b in rows if a and b])
    peak = now = 0
    for _t, step in edges:
        now += step
        peak = max(peak, now)
    return peak


def confirmations(db: str) -> int:
    """Calls that were asked to confirm a transfer (the check busy, or disagreeing)."""
    engine = open_database(db)
    with engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count(sa.distinct(Turn.attempt_id))).where(  # type: ignore[arg-type]
            Turn.prompt_id.like("confirm.transfer%"))).scalar_one()  # type: ignore[union-attr]
    engine.dispose()
    return int(n)


def wrong_calls(db: str, records: Path | None) -> list[str]:
    """Both sides of every call that ended neither `transfer` nor `degraded`, one line each."""
    engine = open_database(db)
    with engine.connect() as conn:
        calls = conn.execute(sa.select(Attempt.id, Attempt.phone, Attempt.dialog_outcome,  # type: ignore[call-overload]
                                       Attempt.outcome)).all()
        turns = conn.execute(sa.select(Turn.attempt_id, Turn.speaker, Turn.text,  # type: ignore[call-overload]
                                       Turn.confidence, Turn.intent).order_by(Turn.seq)).all()
    engine.dispose()
    sides = json.loads(records.read_text(encoding="utf-8")) if records and records.exists() else {}
    lines = []
    for call_id, phone, dialog_outcome, outcome in calls:
        if (dialog_outcome or outcome) in ("transfer", "degraded"):
            continue
        robot = [f"{sp[0]}: {text}" + (f" ({conf:.2f} {intent})" if sp == "customer" else "")
                 for a, sp, text, conf, intent in turns if a == call_id and sp != "system"]
        said = [f"{s['text']!r}" + (f" to {s['answers']}" if s["answers"] else "")
                for rec in sides.get(phone, []) for s in rec["said"]]  # fmt: skip
        lines.append(f"  wrong {mask_phone(phone)} {dialog_outcome or outcome}: robot side "
                     f"[{' | '.join(robot)}]" + (f"; customer said [{', '.join(said)}]"
                                                 if phone in sides else ""))
    return lines


CHECKS = {"wait": {"OUTREACH_HEARING_CHECKS_AT_ONCE": "100000"},
          "off": {"OUTREACH_HEARING_CHECK": "false"}}  # fmt: skip


def make_home(home: Path, base: Path, n: int, cps: float) -> str:
    settings = load_settings(home=home)
    engine = open_database(settings.db_url)
    with session(engine) as s:
        c = create_campaign(s, CampaignSpec(
            name="bench", script_ref="ko-dormant-deposit", window="00:00-24:00", days="mon-sun",
            max_channels=n, cps=cps))  # fmt: skip
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(sa.insert(Contact.__table__), [  # type: ignore[attr-defined]
            dict(campaign_id=c.id, phone=f"+821077{i:06d}", name="김민수",
                 time_zone="Asia/Seoul", attributes={"persona": "interested"}, status="new",
                 queued=True, attempts=0, day_attempts=0, next_attempt_at=now, created_at=now)
            for i in range(n)])  # fmt: skip
    engine.dispose()
    (base / "prompts").mkdir(exist_ok=True)  # rendered once, as on a running worker
    (home / "prompts").symlink_to(base / "prompts", target_is_directory=True)
    return settings.db_url


def level(path: str, n: int, processes: int, capacity: int, base: Path,
          cps: float, checks: str = "1") -> dict[str, Any]:  # fmt: skip
    home = base / f"{path}-{n}-{capacity}-p{processes}-c{checks}"
    db = make_home(home, base, n, cps)
    env = {**os.environ, "OUTREACH_HOME": str(home), "OUTREACH_RECORDINGS": "false",
           "OUTREACH_CAPACITY": str(capacity), "OUTREACH_WORKER_ID": home.name,
           "OUTREACH_RING_TIMEOUT_S": "15"}  # fmt: skip
    env |= CHECKS.get(checks, {"OUTREACH_HEARING_CHECKS_AT_ONCE": checks})
    customers = ast_pid = None
    if path == "asterisk":
        sandbox = Sandbox(load_settings().sandbox_dir)
        env |= {"OUTREACH_AMI_SECRET": sandbox.secret(),
                "OUTREACH_ASTERISK_SIMULATED_CUSTOMERS": "false"}  # fmt: skip
        ast_pid = sandbox.status().pid
        customers = subprocess.Popen([OUTREACH, "asterisk", "sandbox", "customers", "bench",
                                      "--records", str(home / "customers.json")],
                                     env=env, stderr=subprocess.PIPE, text=True)  # fmt: skip
        assert customers.stderr is not None
        customers.stderr.readline()  # "serving ..."
    ast0 = proc_cpu(ast_pid) if ast_pid else 0.0
    cust0 = proc_cpu(customers.pid) if customers else 0.0
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    out = subprocess.run([OUTREACH, "run", "bench", "--telephony", path, "--until-done",
                          "--json", "--processes", str(processes)], env=env,
                         capture_output=True, text=True, timeout=1800)  # fmt: skip
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    ast_s = proc_cpu(ast_pid) - ast0 if ast_pid else float("nan")
    cust_s = float("nan")
    if customers is not None:
        cust_s = proc_cpu(customers.pid) - cust0
        customers.send_signal(signal.SIGINT)
        customers.wait(timeout=60)
    if out.returncode != 0:
        raise SystemExit(f"level {n} ({path}) failed: {out.stderr.strip()[-500:]}")
    summary = json.loads(out.stdout)
    sides = home / "customers.json" if customers else None
    worker_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    outcomes = summary["outcomes"]
    right, degraded = outcomes.get("transfer", 0), outcomes.get("degraded", 0)
    reply, first = summary["response_latency_s"], summary["first_word_s"]
    return {"path": path, "procs": processes, "offered": n, "capacity": capacity,
            "checks": checks, "confirmed": confirmations(db),
            "peak": peak_in_flight(db), "wall_s": wall, "run_s": summary["elapsed_s"],
            "worker": worker_s / wall, "customers": cust_s / wall, "asterisk": ast_s / wall,
            "right": right, "degraded": degraded, "wrong": summary["finished"] - right - degraded,
            "finished": summary["finished"], "p50": reply["p50"], "p95": reply["p95"],
            "max": reply["max"], "fw50": first["p50"], "fw95": first["p95"],
            "held_s": summary["health"]["held_back_s"], "load": os.getloadavg()[0],
            "wrong_calls": wrong_calls(db, sides)}  # fmt: skip


def ms(v: float | None) -> str:
    return "-" if v is None else f"{v * 1000:.0f}"


def show(r: dict[str, Any]) -> None:
    target = min(r["offered"], r["capacity"])
    reached = "reached" if r["peak"] >= target else "NOT reached"
    over = f" (capacity {r['capacity']})" if r["capacity"] < r["offered"] else ""
    print(f"{r['path']:>8} {r['checks']:>6} {r['procs']:>5} {r['offered']:>7}{over}"
          f" {r['peak']:>5} {reached:<12}"
          f"{r['wall_s']:>7.0f} {r['worker']:>6.2f} {r['customers']:>6.2f} {r['asterisk']:>6.2f}"
          f" {r['right']:>5} {r['wrong']:>5} {r['degraded']:>5} {r['confirmed']:>5}"
          f" {ms(r['p50']):>6}"
          f" {ms(r['p95']):>6} {ms(r['max']):>6} {ms(r['fw50']):>6} {ms(r['fw95']):>6}"
          f" {r['held_s']:>6.0f} {r['load']:>5.1f}", flush=True)  # fmt: skip
    for line in r["wrong_calls"]:
        print(line, flush=True)


def main(path: str, levels: list[int], procs: list[int], over: int | None, cps: float,
         checks: list[str]) -> None:  # fmt: skip
    base = Path(tempfile.mkdtemp(prefix="bench-calls-"))
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
          f" on {os.cpu_count()} cores (the machine is shared)")
    print(f"{'path':>8} {'checks':>6} {'procs':>5} {'offered':>7} {'peak':>5} {'':<12}{'wall s':>7}"
          f" {'worker':>6} {'cust':>6} {'ast':>6} {'right':>5} {'wrong':>5} {'degr':>5}"
          f" {'conf':>5} {'p50':>6} {'p95':>6} {'max':>6} {'fw50':>6} {'fw95':>6} {'held':>6}"
          f" {'load':>5}")
    print(f"{'':>8} {'':>6} {'':>5} {'':>7} {'':>5} {'':<12}{'':>7} {'cores':>6} {'cores':>6}"
          f" {'cores':>6} {'':>5} {'':>5} {'':>5} {'':>5} {'reply ms':>20} {'first word ms':>13}"
          f" {'s':>6} {'1min':>5}")
    if over is not None:  # 1.5 x the capacity the worker states: the excess must wait
        for p in procs:
            for c in checks:
                show(level(path, int(over * 1.5), p, over, base, cps, c))
        return
    for n in levels:
        for p in procs:
            for c in checks:
                show(level(path, n, p, n, base, cps, c))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", choices=["sim", "asterisk"], default="sim")
    parser.add_argument("--levels", default="20,60,150")
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--over", type=int, default=None,
                        help="offer 1.5 x this stated capacity instead of the levels")
    parser.add_argument("--cps", type=float, default=20.0)
    parser.add_argument("--checks", default="1",
                        help="hearing_checks_at_once per run: numbers, wait (unbounded, the old "
                             "behaviour) or off; e.g. 1,wait")  # fmt: skip
    a = parser.parse_args()
    main(a.path, [int(x) for x in a.levels.split(",")], [int(x) for x in a.processes.split(",")],
         a.over, a.cps, a.checks.split(","))
