"""Lead webhook: each lead POSTed as JSON with an HMAC-SHA256 signature, at least once.

The lead and its outbox message are written in one transaction, so a lead is never lost: while
the receiver is down the message waits in the outbox and is retried with exponential backoff.
The receiver verifies `X-Outreach-Signature: sha256=<hex of HMAC(key, timestamp + "." + body)>`
with `X-Outreach-Timestamp`, and de-duplicates on `X-Outreach-Delivery` (the outbox id).
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


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass
class DeliveryStats:
    delivered: int = 0
    failed: int = 0


async def deliver_once(
    engine: Engine,
    url: str,
    secret: str,
    client: httpx.AsyncClient,
    stats: DeliveryStats,
    now: datetime | None = None,
) -> int:
    """Try every due message once; returns how many were delivered."""
    batch = await anyio.to_thread.run_sync(outbox.pending, engine, now)
    sent = 0
    for msg in batch:
        body = json.dumps(msg.payload, ensure_ascii=False, sort_keys=True).encode()
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Outreach-Timestamp": ts,
            "X-Outreach-Signature": sign(secret, ts, body),
            "X-Outreach-Delivery": str(msg.id),
            "X-Outreach-Kind": msg.kind,
        }
        try:
            response = await client.post(url, content=body, headers=headers)
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
    engine: Engine, url: str, secret: str, stats: DeliveryStats, poll_s: float = 1.0
) -> None:
    """Deliver forever (until cancelled): the dialer runs this beside its calls."""
    async with httpx.AsyncClient(timeout=10.0) as client:
        while True:
            await deliver_once(engine, url, secret, client, stats)
            await anyio.sleep(poll_s)
