"""Leads reach the sales team's webhook at least once, signed, even when the receiver is down
at first; nothing is lost in between."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import anyio
import httpx
import pytest

from campaigns.calls import CallReport, LeadDraft, finish_attempt
from campaigns.dialing import AttemptResult, claim
from campaigns.outbox import backoff, stats
from orchestrator.webhook import DeliveryStats, deliver_once
from tests.campaigns.helpers import ENGINES, T0, make_campaign

SECRET = "test-webhook-key"


class Receiver(BaseHTTPRequestHandler):
    """A small honest HTTP peer: refuses the first `fail_first` posts, then stores them."""

    fail_first = 1
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.fail_first > 0:
            Receiver.fail_first -= 1
            self.send_response(503)
        else:
            Receiver.received.append((dict(self.headers), body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.fail_first, Receiver.received = 1, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/leads"
    server.shutdown()
    server.server_close()


def test_lead_is_delivered_signed_after_the_receiver_recovers(db_url: str, receiver: str) -> None:
    engine, cid = make_campaign(db_url, 1)
    ENGINES.append(engine)
    (c,) = claim(engine, cid, 1, "w1", timedelta(minutes=10), now=T0)
    lead = LeadDraft(88, "hot", "A", "wants a specialist")
    result = AttemptResult("answered", dialog_outcome="transfer")
    finish_attempt(engine, c.attempt_id, CallReport(result, lead=lead, webhook=True), now=T0)

    async def deliver(now: Any) -> int:
        async with httpx.AsyncClient() as client:
            return await deliver_once(engine, receiver, SECRET, client, DeliveryStats(), now)

    assert anyio.run(deliver, T0) == 0  # the receiver is down: kept for a retry
    assert stats(engine) == {"waiting": 1, "delivered": 0}
    assert anyio.run(deliver, T0 + backoff(1) / 2) == 0  # not retried before its backoff
    assert anyio.run(deliver, T0 + backoff(1)) == 1
    assert stats(engine) == {"waiting": 0, "delivered": 1}
    ((headers, body),) = Receiver.received
    payload = json.loads(body)
    assert payload["tier"] == "hot" and payload["summary"] == "wants a specialist"
    ts = headers["X-Outreach-Timestamp"]
    expected = hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Outreach-Signature"] == f"sha256={expected}"


def test_leads_push_command_delivers_and_reports(sqlite_url: str, receiver: str) -> None:
    from typer.testing import CliRunner

    from orchestrator.cli import app

    engine, cid = make_campaign(sqlite_url, 1)
    ENGINES.append(engine)
    (c,) = claim(engine, cid, 1, "w1", timedelta(minutes=10), now=T0)
    lead = LeadDraft(70, "warm", "B", "interested")
    result = AttemptResult("answered", dialog_outcome="interested")
    finish_attempt(engine, c.attempt_id, CallReport(result, lead=lead, webhook=True), now=T0)
    env = {"OUTREACH_WEBHOOK_URL": receiver, "OUTREACH_WEBHOOK_SECRET": SECRET}
    runner = CliRunner()
    first = runner.invoke(app, ["--db", sqlite_url, "leads", "push", "--json"], env=env)
    # The receiver refuses the first post: the lead is kept for a retry, not lost.
    assert json.loads(first.stdout) == {"sent": 0, "failed": 1, "waiting": 1, "delivered_total": 0}
    nothing = runner.invoke(app, ["--db", sqlite_url, "leads", "push"])
    # (the installed command prints this UserError as one line; see the CLI subprocess tests)
    assert "OUTREACH_WEBHOOK_URL" in str(nothing.exception)
