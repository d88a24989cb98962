"""Campaign managers' pages: every campaign with status and progress, pause and resume."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from campaigns import repo
from campaigns.db import session
from campaigns.qa import funnel
from orchestrator.web.security import checked_form, engine, require, run_db

FINISHED = ("done", "dnc", "exhausted")  # a contact no longer waiting to be called


def campaign_rows(db: Engine) -> list[dict[str, Any]]:
    with session(db) as s:
        out = []
        for c in repo.list_campaigns(s):
            assert c.id is not None
            counts = repo.contact_counts(s, c.id)
            total = sum(counts.values())
            finished = sum(counts.get(k, 0) for k in FINISHED)
            out.append({"id": c.id, "name": c.name, "status": c.status, "script": c.script_ref,
                        "total": total, "finished": finished, "counts": counts,
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
    report = await run_db(funnel, engine(request), cid)
    return page(request, "campaign.html", user, campaign=c, report=report)


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
