"""Lead webhook: each lead POSTed as JSON with an HMAC-SHA256 signature, at least once.

The lead and its outbox message are written in one transaction, so a lead is never lost: while
the receiver is down the message waits in the outbox and is retried with exponential backoff.
The receiver verifies `X-Outreach-Signature: sha256=<hex of HMAC(key, timestamp + "." + body)>`
with `X-Outreach-Timestamp`, and de-duplicates on `X-Outreach-Delivery` (the outbox id: the same
for every try of one lead, whichever worker makes it). Unsigned posts (no signature header) are
sent only when the settings say so (`webhook_unsigned`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime

import anyio
import httpx
from sqlalchemy.engine import Engine

from campaigns import outbox

log = logging.getLogger(__name__)
MAX_PAUSE_S = 60.0  # the longest wait between rounds after errors in delivery itself


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass
class DeliveryStats:
    delivered: int = 0
    failed: int = 0
    errors: int = 0  # rounds stopped by an error in delivery itself (database, bad URL)


def _headers(msg: outbox.Pending, key: str | None, body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Outreach-Timestamp": ts,
        "X-Outreach-Delivery": str(msg.id),
        "X-Outreach-Kind": msg.kind,
    }
    if key is not None:
        headers["X-Outreach-Signature"] = sign(key, ts, body)
    return headers


async def deliver_once(
    engine: Engine,
    url: str,
    key: str | None,
    client: httpx.AsyncClient,
    stats: DeliveryStats,
    now: datetime | None = None,
) -> int:
    """Claim the due messages and try each once; returns how many were delivered.

    `key` signs each post; None posts unsigned (the caller checked that the settings allow it).
    """
    batch = await anyio.to_thread.run_sync(outbox.claim, engine, now)
    sent = 0
    for msg in batch:
        body = json.dumps(msg.payload, ensure_ascii=False, sort_keys=True).encode()
        try:
            response = await client.post(url, content=body, headers=_headers(msg, key, body))
            ok = 200 <= response.status_code < 300
            error = "" if ok else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"
        if ok:
            await anyio.to_thread.run_sync(outbox.delivered, engine, msg.id)
            stats.delivered += 1
            sent += 1
        else:
            await anyio.to_thread.run_sync(outbox.failed, engine, msg.id, error, now)
            stats.failed += 1
            log.warning("webhook delivery %s failed (%s); it will be retried", msg.id, error)
    return sent


async def run_outbox(
    engine: Engine, url: str, key: str | None, stats: DeliveryStats, poll_s: float = 1.0
) -> None:
    """Deliver forever (until cancelled): the dialer runs this beside its calls.

    Nothing in delivery stops the campaign: an error (the database unreachable, a URL httpx
    refuses) is logged with its traceback and the round is tried again after a pause that
    doubles up to a minute. Messages a failed round had claimed are retried when their lease
    ends; one delivered but not yet marked is posted again with the same delivery id.
    """
    errors_in_a_row = 0
    async with httpx.AsyncClient(timeout=10.0) as client:
        while True:
            try:
                await deliver_once(engine, url, key, client, stats)
                errors_in_a_row = 0
            except Exception:
                errors_in_a_row += 1
                stats.errors += 1
                log.warning("webhook delivery round failed; retrying", exc_info=True)
            pause = poll_s * 2**errors_in_a_row if errors_in_a_row else poll_s
            await anyio.sleep(min(pause, max(MAX_PAUSE_S, poll_s)))


async def last_round(
    engine: Engine, url: str, key: str | None, stats: DeliveryStats, within_s: float = 15.0
) -> None:
    """One more round when a run ends, so the leads of its last calls go out now rather than
    with the next run or `leads push`; bounded by `within_s`, and never raises (what is not
    posted stays in the outbox)."""
    with anyio.move_on_after(within_s):
        try:
            async with httpx.AsyncClient(timeout=min(10.0, within_s)) as client:
                await deliver_once(engine, url, key, client, stats)
        except Exception:
            stats.errors += 1
            log.warning("webhook delivery at the end of the run failed; kept", exc_info=True)
