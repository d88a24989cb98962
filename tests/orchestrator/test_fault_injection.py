"""Fault injection (issue 12): two real `outreach run` processes on one PostgreSQL campaign through
the sandbox Asterisk, with simulated customers and a webhook receiver, while the test SIGKILLs a
worker three times (restarting it), cuts the workers' AMI connection, restarts Asterisk and
PostgreSQL, takes the webhook receiver down for a while and lists numbers as do-not-call whose
contacts are still due. Afterwards nothing is lost or wrong: every contact ends or is due again
with a reason, nobody had two calls at once, no listed number was dialled after it was listed,
every call has an outcome, every lead exists and reached the receiver (duplicates counted by
delivery id, allowed), and no channel is left in Asterisk. Figures: docs/reliability.md."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import anyio.from_thread
import pytest
import sqlalchemy as sa

from campaigns.db import open_database
from campaigns.models import Attempt, Contact, DncEntry, Lead, OutboxMessage
from telephony.ami.fakepeer import CuttingProxy
from tests.conftest import PG_URL, _pg_schema_url
from tests.orchestrator.helpers import cli
from tests.sandbox import running_sandbox

OUTREACH = str(Path(sys.executable).parent / "outreach")
CONTACTS = 100
# persona -> share of the list (conversations only: the sandbox's dial-level numbers are single)
MIX = [("interested", 4), ("not_interested", 3), ("opt_out", 1), ("silent", 1),
       ("busy_call_me_later", 1)]  # fmt: skip
FINAL = {"done", "dnc", "exhausted"}


class Receiver(BaseHTTPRequestHandler):
    """A small honest webhook receiver: keeps each post's delivery id and lead id."""

    posts: ClassVar[list[tuple[str, int]]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with Receiver.lock:
            Receiver.posts.append((self.headers.get("X-Outreach-Delivery", ""), body["lead_id"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class Hook:
    """The receiver on one fixed 127.0.0.1 port that can be taken down and brought back."""

    def __init__(self) -> None:
        self.server: ThreadingHTTPServer | None = None
        self.port = 0
        self.up()

    def up(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Receiver)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
        self.server = None


@contextmanager
def ami_proxy(upstream: int) -> Iterator[tuple[CuttingProxy, Callable[[], None]]]:
    """A TCP proxy in front of the sandbox's AMI that the test can cut (workers reconnect)."""
    with anyio.from_thread.start_blocking_portal() as portal:
        proxy = CuttingProxy(upstream_port=upstream, outage_s=3.0)
        with portal.wrap_async_context_manager(proxy.running()):
            yield proxy, lambda: portal.call(proxy.cut)


def _query(db: str, q: Any) -> list[Any]:
    engine = open_database(db)
    try:
        with engine.connect() as conn:
            return list(conn.execute(q).all())
    finally:
        engine.dispose()


def _finished(db: str) -> int:
    try:
        q = sa.select(sa.func.count()).select_from(Attempt).where(Attempt.outcome.is_not(None))  # type: ignore[union-attr]
        return int(_query(db, q)[0][0])
    except sa.exc.OperationalError:  # PostgreSQL restarting
        return -1


def _restart_postgres() -> None:
    version = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True,
                             check=True).stdout.split()[0]  # fmt: skip
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart",
                    "-m", "fast"], check=True, capture_output=True)  # fmt: skip
    for _ in range(60):
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
            return
        time.sleep(0.5)
    raise AssertionError("PostgreSQL did not come back within 30 s")


def _channels(root: Path) -> str:
    out = subprocess.run(["chroot", str(root), "asterisk", "-rx", "core show channels count"],
                         capture_output=True, text=True, timeout=30)  # fmt: skip
    return out.stdout


def _admin(statement: str) -> None:
    engine = sa.create_engine(PG_URL)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A schema of its own, made and dropped with engines of its own: the conftest's pooled
    admin engine would be cut by the PostgreSQL restart this test injects."""
    schema = f"t_faults_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE SCHEMA "{schema}"')
    try:
        yield _pg_schema_url(schema)
    finally:
        _admin(f'DROP SCHEMA "{schema}" CASCADE')


def test_faults_during_a_two_worker_postgres_campaign_lose_nothing(
    tmp_path: Path, pg_url: str
) -> None:
    started = time.monotonic()
    sandbox = running_sandbox()
    hook = Hook()
    home = tmp_path / "home"
    env = {**os.environ, "OUTREACH_HOME": str(home), "OUTREACH_DATABASE_URL": pg_url,
           "OUTREACH_AMI_SECRET": sandbox.secret(), "OUTREACH_RING_TIMEOUT_S": "8",
           "OUTREACH_ASTERISK_SIMULATED_CUSTOMERS": "false",
           "OUTREACH_WEBHOOK_URL": f"http://127.0.0.1:{hook.port}/leads",
           "OUTREACH_WEBHOOK_SECRET": "fault-injection-secret"}  # fmt: skip
    cli(home, "--db", pg_url, "campaign", "create", "faults", "--script", "ko-dormant-deposit",
        "--window", "00:00-24:00", "--allow-night", "--days", "mon-sun", "--max-channels", "10",
        "--cps", "6")  # fmt: skip
    personas = list(itertools.chain.from_iterable([p] * n for p, n in MIX))
    rows = ["name,phone,persona"] + [f"고객{i},010-5556-{1000 + i},{personas[i % len(personas)]}"
                                     for i in range(CONTACTS)]  # fmt: skip
    (tmp_path / "l.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli(home, "--db", pg_url, "contacts", "import", "faults", str(tmp_path / "l.csv"), "--json")
    logs = tmp_path / "logs"
    logs.mkdir()
    faults: Counter[str] = Counter()
    customers = subprocess.Popen([OUTREACH, "asterisk", "sandbox", "customers", "faults"], env=env,
                                 stderr=subprocess.PIPE, text=True)  # fmt: skip
    workers: dict[str, subprocess.Popen[str]] = {}
    try:
        assert customers.stderr is not None
        assert "serving" in customers.stderr.readline(), "the customers' server started"
        with ami_proxy(sandbox.ami_port) as (proxy, cut_ami):
            wenv = {**env, "OUTREACH_AMI_PORT": str(proxy.port)}

            def start(name: str) -> None:
                n = sum(1 for _ in logs.glob(f"{name}-*.out"))
                with open(logs / f"{name}-{n}.out", "w") as out, \
                        open(logs / f"{name}-{n}.err", "w") as err:  # fmt: skip
                    workers[name] = subprocess.Popen(
                        [OUTREACH, "run", "faults", "--telephony", "asterisk", "--until-done",
                         "--json"], env={**wenv, "OUTREACH_WORKER_ID": name}, text=True,
                        stdout=out, stderr=err,
                    )  # fmt: skip

            def kill(name: str) -> None:
                workers[name].send_signal(signal.SIGKILL)
                workers[name].wait(timeout=30)
                faults["sigkill"] += 1
                start(name)

            def list_due() -> None:  # contacts not called yet, listed while they are due
                q = (sa.select(Contact.phone)
                     .where(Contact.status == "new", Contact.lease_owner.is_(None))  # type: ignore[union-attr]
                     .order_by(Contact.id.desc()).limit(4))  # type: ignore[union-attr]  # fmt: skip
                for (phone,) in _query(pg_url, q):
                    cli(home, "--db", pg_url, "dnc", "add", phone, "--reason", "asked by letter")
                    faults["dnc_add"] += 1

            def hook_down() -> None:
                hook.down()
                faults["webhook_down"] += 1

            def asterisk_restart() -> None:
                sandbox.down()
                sandbox.up()
                faults["asterisk_restart"] += 1

            def pg_restart() -> None:
                _restart_postgres()
                faults["postgres_restart"] += 1

            def ami_cut() -> None:
                cut_ami()
                faults["ami_cut"] += 1

            # (finished calls before the fault, the fault): by progress, not by the clock
            plan: list[tuple[int, Callable[[], None]]] = [
                (6, lambda: kill("w1")), (10, hook_down), (14, list_due), (18, ami_cut),
                (24, hook.up), (28, lambda: kill("w2")), (34, pg_restart), (40, list_due),
                (46, asterisk_restart), (56, lambda: kill("w1")),
            ]  # fmt: skip
            start("w1")
            start("w2")
            deadline = time.monotonic() + 600
            while plan and time.monotonic() < deadline:
                if _finished(pg_url) >= plan[0][0]:
                    plan.pop(0)[1]()
                    continue
                if all(w.poll() is not None for w in workers.values()):
                    break
                time.sleep(0.5)
            assert not plan, f"the campaign ended before every fault was injected: {faults}"
            for w in workers.values():
                w.wait(timeout=max(1.0, deadline - time.monotonic()))
        last = {n: f"{n}-{sum(1 for _ in logs.glob(f'{n}-*.out')) - 1}" for n in workers}
        codes = {n: w.returncode for n, w in workers.items()}
        assert codes == {"w1": 0, "w2": 0}, {n: (logs / f"{f}.err").read_text()[-3000:]
                                              for n, f in last.items()}  # fmt: skip
        summaries = {n: json.loads((logs / f"{f}.out").read_text()) for n, f in last.items()}
    finally:
        for w in workers.values():
            if w.poll() is None:
                w.kill()
        customers.send_signal(signal.SIGINT)
        customers.wait(timeout=60)
        if customers.stderr is not None:
            customers.stderr.close()
        if hook.server is None:
            hook.up()
        if not sandbox.status().healthy:
            sandbox.up()  # other tests use it

    # Every lead reaches the receiver (posted again by `leads push` if the run's last round
    # could not: the receiver was down and the backoff pushed the next try past the run).
    for _ in range(60):
        waiting = _query(pg_url, sa.select(sa.func.count()).select_from(OutboxMessage)
                         .where(OutboxMessage.delivered_at.is_(None)))[0][0]  # type: ignore[union-attr]  # fmt: skip
        if waiting == 0:
            break
        subprocess.run([OUTREACH, "leads", "push", "--json"], env=env, capture_output=True)
        time.sleep(2)

    attempts = _query(pg_url, sa.select(Attempt))
    contacts = _query(pg_url, sa.select(Contact))
    leads = _query(pg_url, sa.select(Lead))
    listed = _query(pg_url, sa.select(DncEntry))

    # 0 contacts lost: each ended, or is due again later with a reason; none left mid-call.
    assert len(contacts) == CONTACTS
    lost = [c.id for c in contacts if c.status == "calling" or c.lease_owner is not None
            or (c.status not in FINAL and not (c.last_outcome or c.hold_reason))]  # fmt: skip
    assert not lost, lost
    # Every attempt has an outcome.
    assert all(a.outcome is not None and a.ended_at is not None for a in attempts)
    # 0 contacts with two calls at once.
    spans: dict[int, list[tuple[datetime, datetime]]] = {}
    for a in attempts:
        spans.setdefault(a.contact_id, []).append((a.started_at, a.ended_at))
    overlaps = [cid for cid, s in spans.items()
                if any(e > b for (_, e), (b, _) in itertools.pairwise(sorted(s)))]  # fmt: skip
    assert not overlaps, overlaps
    # 0 calls to a number after it was listed (by the CLI or by the customer's own opt-out).
    when = {d.phone: d.added_at for d in listed}
    late = [a.id for a in attempts if a.dialled_at is not None and a.phone in when
            and a.dialled_at > when[a.phone]]  # fmt: skip
    assert not late, late
    assert faults["dnc_add"] > 0
    # 0 leads lost: every warm or hot call that is not an opt-out has its lead.
    warm = {a.id for a in attempts if a.tier in ("hot", "warm") and a.dialog_outcome != "opt_out"}
    assert warm and warm <= {lead.attempt_id for lead in leads}
    # Each lead delivered at least once; duplicates (same delivery id) allowed and counted.
    with Receiver.lock:
        posts = list(Receiver.posts)
    assert {lead.id for lead in leads} <= {lead_id for _, lead_id in posts}
    duplicates = len(posts) - len({d for d, _ in posts})
    # Every in-flight call's customer was hung up: no channel left in Asterisk.
    deadline = time.monotonic() + 30
    while "0 active channels" not in (shown := _channels(sandbox.root)):
        assert time.monotonic() < deadline, shown
        time.sleep(1)
    every = {"sigkill": 3, "webhook_down": 1, "ami_cut": 1, "postgres_restart": 1,
             "asterisk_restart": 1, "dnc_add": faults["dnc_add"]}  # fmt: skip
    assert faults == every, faults
    outcomes = Counter(a.dialog_outcome or a.outcome for a in attempts)
    figures = {"contacts": CONTACTS, "calls": len(attempts), "faults": dict(faults),
               "outcomes": dict(outcomes), "leads": len(leads), "posts": len(posts),
               "duplicates": duplicates,
               "duration_s": round(time.monotonic() - started),
               "summaries": {n: {k: s.get(k) for k in ("dialled", "finished")}
                             for n, s in summaries.items()}}  # fmt: skip
    print("fault-injection figures:", json.dumps(figures, ensure_ascii=False))
