"""Webhook delivery with several workers and faults: each lead is posted by one worker at a time,
every failed try counts, an error in delivery never stops the calls, and leads are never posted
signed with an empty key."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import anyio
import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns import outbox
from campaigns.calls import CallReport, LeadDraft, finish_attempt
from campaigns.dialing import AttemptResult, claim
from campaigns.models import OutboxMessage
from orchestrator.webhook import DeliveryStats, deliver_once, run_outbox
from tests.campaigns.helpers import T0, make_campaign
from tests.orchestrator.helpers import cli

OUTREACH = str(Path(sys.executable).parent / "outreach")
O = OutboxMessage.__table__  # type: ignore[attr-defined]  # noqa: E741  # untyped in sqlmodel


class Receiver(BaseHTTPRequestHandler):
    """A small honest HTTP peer that takes its time (as a real one does) and keeps every post."""

    delay_s = 0.05
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    lock = threading.Lock()

    status: ClassVar[list[int]] = []  # answers to give first (then 204)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(Receiver.delay_s)
        with Receiver.lock:
            Receiver.received.append((dict(self.headers), body))
            code = Receiver.status.pop(0) if Receiver.status else 204
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received, Receiver.status = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/leads"
    server.shutdown()
    server.server_close()


def _leads(url: str, n: int) -> Engine:
    """A campaign whose first `n` calls each made a lead for the webhook."""
    engine, cid = make_campaign(url, n)
    for c in claim(engine, cid, n, "w1", timedelta(minutes=10), now=T0):
        lead = LeadDraft(80, "hot", "A", f"lead of {c.phone}")
        result = AttemptResult("answered", dialog_outcome="transfer")
        finish_attempt(engine, c.attempt_id, CallReport(result, lead=lead, webhook=True), now=T0)
    return engine


def test_two_workers_never_post_the_same_lead(db_url: str, receiver: str) -> None:
    engine = _leads(db_url, 24)
    start = threading.Barrier(2)

    def worker() -> None:
        async def rounds() -> None:
            async with httpx.AsyncClient() as client:
                start.wait()
                for _ in range(10):
                    await deliver_once(engine, receiver, "k", client, DeliveryStats())

        anyio.run(rounds)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    ids = Counter(h["X-Outreach-Delivery"] for h, _ in Receiver.received)
    try:
        assert outbox.stats(engine) == {"waiting": 0, "delivered": 24}
        assert len(ids) == 24
        assert [i for i, n in ids.items() if n > 1] == [], "posted twice"
    finally:
        engine.dispose()


def test_every_failed_try_is_counted_when_two_workers_fail_at_once(db_url: str) -> None:
    engine = _leads(db_url, 1)
    with engine.connect() as conn:
        (mid,) = conn.execute(sa.select(O.c.id)).scalars()
    start = threading.Barrier(2)

    def worker() -> None:
        start.wait()
        for _ in range(20):
            outbox.failed(engine, mid, "HTTP 503", now=T0)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    with engine.connect() as conn:
        tries = conn.execute(sa.select(O.c.tries).where(O.c.id == mid)).scalar_one()
    engine.dispose()
    assert tries == 40
    assert outbox.backoff(tries) == outbox.backoff(10_000) == timedelta(minutes=30)


def test_a_database_error_in_delivery_does_not_stop_the_calls(db_url: str, receiver: str) -> None:
    """The outbox table vanishes under a running delivery, then comes back: the campaign's other
    work goes on all along, and the lead is posted once the database answers again."""
    engine = _leads(db_url, 1)
    ticks: list[float] = []

    def rename(a: str, b: str) -> None:
        with engine.begin() as conn:
            conn.execute(sa.text(f"ALTER TABLE {a} RENAME TO {b}"))

    async def campaign() -> None:
        stats = DeliveryStats()
        async with anyio.create_task_group() as tg:

            async def calls() -> None:  # stands for the dialer beside the delivery
                while True:
                    ticks.append(time.monotonic())
                    await anyio.sleep(0.05)

            await anyio.to_thread.run_sync(rename, "outbox", "outbox_away")
            tg.start_soon(calls)
            tg.start_soon(run_outbox, engine, receiver, "k", stats, 0.05)
            await anyio.sleep(1.5)
            assert stats.errors >= 1 and not Receiver.received
            await anyio.to_thread.run_sync(rename, "outbox_away", "outbox")
            with anyio.fail_after(30):
                while not Receiver.received:  # noqa: ASYNC110  # the receiver is a thread
                    await anyio.sleep(0.05)
            tg.cancel_scope.cancel()

    try:
        anyio.run(campaign)
    finally:
        engine.dispose()
    assert len(Receiver.received) == 1
    assert max(b - a for a, b in itertools.pairwise(ticks)) < 1.0


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "OUTREACH_HOME": str(home), **extra}
    for name in ("OUTREACH_DEBUG", "OUTREACH_WEBHOOK_SECRET", "OUTREACH_WEBHOOK_UNSIGNED"):
        env.pop(name, None)
    env.update(extra)
    return env


def test_a_webhook_without_a_secret_is_refused_unless_unsigned(
    tmp_path: Path, receiver: str
) -> None:
    home = tmp_path / "home"
    cli(home, "campaign", "create", "w", "--script", "ko-dormant-deposit", "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun")  # fmt: skip
    (tmp_path / "l.csv").write_text("name,phone,persona\n김민수,010-1234-5678,interested\n",
                                    encoding="utf-8")  # fmt: skip
    cli(home, "contacts", "import", "w", str(tmp_path / "l.csv"), "--json")
    env = _env(home, OUTREACH_WEBHOOK_URL=receiver)
    run = subprocess.run([OUTREACH, "run", "w", "--until-done", "--speed", "20"], env=env,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 2, run.stdout + run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert "OUTREACH_WEBHOOK_SECRET" in line and "OUTREACH_WEBHOOK_UNSIGNED=true" in line
    assert cli(home, "campaign", "show", "w", "--json")["contacts"] == {"total": 1, "new": 1}
    push = subprocess.run([OUTREACH, "leads", "push"], env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert push.returncode == 2 and "OUTREACH_WEBHOOK_SECRET" in push.stderr
    # A URL no post could ever reach is refused at start, not retried forever.
    bad = _env(home, OUTREACH_WEBHOOK_URL="crm.example.com/leads", OUTREACH_WEBHOOK_SECRET="k")
    push = subprocess.run([OUTREACH, "leads", "push"], env=bad, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert push.returncode == 2 and "webhook_url" in push.stderr and "https://" in push.stderr
    # Unsigned on purpose: the run goes ahead, and its lead is posted before it exits.
    env = _env(home, OUTREACH_WEBHOOK_URL=receiver, OUTREACH_WEBHOOK_UNSIGNED="true")
    run = subprocess.run([OUTREACH, "run", "w", "--until-done", "--speed", "4", "--json"],
                         env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    ((headers, body),) = Receiver.received
    assert "X-Outreach-Signature" not in headers and json.loads(body)["phone"] == "+821012345678"


def test_a_retried_lead_keeps_its_delivery_id(sqlite_url: str, receiver: str) -> None:
    engine = _leads(sqlite_url, 1)
    Receiver.status = [503, 204]

    async def push(now: Any) -> int:
        async with httpx.AsyncClient() as client:
            return await deliver_once(engine, receiver, "k", client, DeliveryStats(), now)

    assert anyio.run(push, T0) == 0 and anyio.run(push, T0 + outbox.backoff(1)) == 1
    engine.dispose()
    first, second = (h["X-Outreach-Delivery"] for h, _ in Receiver.received)
    assert first == second


def test_unsigned_posts_carry_no_signature(sqlite_url: str, receiver: str) -> None:
    engine = _leads(sqlite_url, 1)

    async def push() -> int:
        async with httpx.AsyncClient() as client:
            return await deliver_once(engine, receiver, None, client, DeliveryStats())

    assert anyio.run(push) == 1
    engine.dispose()
    ((headers, body),) = Receiver.received
    assert "X-Outreach-Signature" not in headers and json.loads(body)["tier"] == "hot"
