"""Campaign managers' pages: every campaign with status and progress, pause and resume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from campaigns import repo
from campaigns.db import session
from campaigns.models import Attempt
from campaigns.qa import funnel
from orchestrator.web.security import checked_form, engine, require, run_db
from orchestrator.web.snapshots import Snapshots

FINISHED = ("done", "dnc", "exhausted")  # a contact no longer waiting to be called
RATE_WINDOW = timedelta(hours=1)
A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped


def _eta(db: Engine, campaign_id: int, remaining: int, now: datetime) -> tuple[float, str]:
    """Attempts a minute over the last hour, and when the remaining contacts would be done at
    that rate (each needs at least one more attempt, so the ETA is a lower bound)."""
    with db.connect() as conn:
        recent = int(conn.execute(
            sa.select(sa.func.count()).select_from(A).where(
                A.c.campaign_id == campaign_id, A.c.ended_at >= now - RATE_WINDOW)
        ).scalar_one())  # fmt: skip
    per_min = recent / (RATE_WINDOW.total_seconds() / 60)
    if remaining == 0:
        return per_min, "done"
    if per_min == 0:
        return per_min, "not calling"
    minutes = remaining / per_min
    return per_min, (f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h")


def campaign_rows(db: Engine, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each campaign with its status and progress: X of N contacts finished, rate and ETA."""
    now = now or datetime.now(UTC)
    with session(db) as s:
        camps = [(c.id, c.name, c.status, c.script_ref, repo.contact_counts(s, c.id or 0))
                 for c in repo.list_campaigns(s)]  # fmt: skip
    out = []
    for cid, name, status, script, counts in camps:
        assert cid is not None
        total = sum(counts.values())
        finished = sum(counts.get(k, 0) for k in FINISHED)
        rate, eta = _eta(db, cid, total - finished, now)
        out.append({"id": cid, "name": name, "status": status, "script": script,
                    "total": total, "finished": finished, "counts": counts, "rate": rate,
                    "eta": eta, "in_flight": counts.get("calling", 0),
                    "pct": round(100 * finished / total) if total else 0})  # fmt: skip
    return out


async def campaigns_page(request: Request) -> Response:
    from orchestrator.web.app import page

    user = await require(request, "manager")
    rows = await run_db(campaign_rows, engine(request))
    return page(request, "manager.html", user, campaigns=rows)


def _campaign(db: Engine, campaign_id: int) -> dict[str, Any]:
    with session(db) as s:
        c = repo.get_campaign(s, campaign_id)
        return {"id": c.id, "name": c.name, "status": c.status, "script": c.script_ref,
                "time_zone": c.time_zone}  # fmt: skip


async def campaign_page(request: Request) -> Response:
    from orchestrator.web.app import page

    user = await require(request, "manager")
    cid = int(request.path_params["campaign_id"])
    c = await run_db(_campaign, engine(request), cid)
    snaps: Snapshots = request.app.state.snapshots
    report, age, refresh = await snaps.get(("funnel", cid), partial(funnel, engine(request), cid))
    response = page(request, "campaign.html", user, campaign=c, report=report, age=round(age))
    response.background = refresh
    return response


def _set_status(db: Engine, campaign_id: int, status: str) -> None:
    with session(db) as s:
        repo.set_status(s, repo.get_campaign(s, campaign_id).name, status)


async def set_status(request: Request) -> Response:
    await require(request, "manager")
    await checked_form(request)
    cid = int(request.path_params["campaign_id"])
    status = "paused" if request.path_params["action"] == "pause" else "active"
    await run_db(_set_status, engine(request), cid, status)
    return RedirectResponse(request.headers.get("referer") or "/manager", status_code=303)


routes = [
    Route("/manager", campaigns_page),
    Route("/manager/campaigns/{campaign_id:int}", campaign_page),
    Route("/manager/campaigns/{campaign_id:int}/{action:str}", set_status, methods=["POST"]),
]
