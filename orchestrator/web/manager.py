"""Campaign managers' pages: every campaign with status and progress, pause and resume; the
counted figures come from the server's background refresher (keep_fresh), never a request."""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

import anyio
import anyio.abc
from sqlalchemy.engine import Engine
from starlette.background import BackgroundTasks
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from campaigns import charts, repo
from campaigns.db import session
from campaigns.policy import zone
from campaigns.progress import campaign_progress
from campaigns.qa import funnel
from orchestrator.web.security import checked_form, engine, require, run_db
from orchestrator.web.snapshots import Snapshots

log = logging.getLogger(__name__)
FINISHED = ("done", "dnc", "exhausted")  # a contact no longer waiting to be called
ARCHIVED = "archived"
# The list's figures (progress, rate, ETA, calls in flight) are counted every 5 s by the server's
# refresher, the period the open page polls at; the costlier funnels every Snapshots.fresh_s.
ROWS_FRESH_S = 5.0


def campaign_list(db: Engine, archived: bool = False) -> tuple[list[dict[str, Any]], int]:
    """The campaigns as they are now (name, status: cheap, read on every view), archived ones
    only with `archived`; and how many archived ones are left out."""
    with session(db) as s:
        camps = [{"id": c.id or 0, "name": c.name, "status": c.status, "script": c.script_ref,
                  "time_zone": c.time_zone} for c in repo.list_campaigns(s)]  # fmt: skip
    hidden = sum(1 for c in camps if c["status"] == ARCHIVED)
    if archived:
        return camps, 0
    return [c for c in camps if c["status"] != ARCHIVED], hidden


def row_figures(db: Engine, campaign_id: int, tz: str, now: datetime | None = None
                ) -> dict[str, Any]:  # fmt: skip
    """One campaign's counted figures for the list: the whole list's progress (contacts finished
    of all) and today's from campaigns.progress (calls made of those due today, rate, ETA)."""
    now = now or datetime.now(UTC)
    with session(db) as s:
        counts = repo.contact_counts(s, campaign_id)
    total = sum(counts.values())
    finished = sum(counts.get(k, 0) for k in FINISHED)
    today = campaign_progress(db, campaign_id, now)
    eta = today.eta.astimezone(zone(tz)).strftime("%H:%M") + f" {tz}" if today.eta else (
        "done for today" if today.remaining == 0 else "not calling")  # fmt: skip
    return {"total": total, "finished": finished, "counts": counts, "today": today,
            "rate": today.rate_per_min or 0.0, "eta": eta, "in_flight": counts.get("calling", 0),
            "pct": round(100 * finished / total) if total else 0}  # fmt: skip


async def campaigns_page(request: Request) -> Response:
    """The list, its figures from the snapshots the server's refresher keeps (active campaigns:
    never counted on a request); another campaign's are counted on its first view and refreshed
    after a view that finds them stale."""
    from orchestrator.web.app import page

    user = await require(request, "manager")
    show_archived = request.query_params.get("archived") == "1"
    camps, hidden = await run_db(campaign_list, engine(request), show_archived)
    snaps: Snapshots = request.app.state.rows
    rows, refreshes, oldest = [], [], 0.0
    for c in camps:
        figures, age, refresh = await snaps.get(
            ("row", c["id"]), partial(row_figures, engine(request), c["id"], c["time_zone"]))
        rows.append(c | figures)
        oldest = max(oldest, age)
        if refresh is not None:
            refreshes.append(refresh)
    response = page(request, "manager.html", user, campaigns=rows, hidden=hidden,
                    show_archived=show_archived, age=round(oldest))  # fmt: skip
    response.background = BackgroundTasks(refreshes) if refreshes else None
    return response


def _campaign(db: Engine, campaign_id: int) -> dict[str, Any]:
    with session(db) as s:
        c = repo.get_campaign(s, campaign_id)
        return {"id": c.id, "name": c.name, "status": c.status, "script": c.script_ref,
                "time_zone": c.time_zone}  # fmt: skip


def _figures(db: Engine, campaign_id: int, name: str, tz: str) -> dict[str, Any]:
    """The funnel counts and the two charts `campaign report --chart` draws (campaigns.charts);
    the funnel and its chart share one per-contact pass (qa.funnel with stages)."""
    report = funnel(db, campaign_id, stages=True)
    stages = report.pop("stages")
    return {
        "funnel": report,
        "funnel_svg": charts.funnel_svg(stages, f"{name}: funnel"),
        "outcomes_svg": charts.outcomes_svg(charts.outcomes_by_day(db, campaign_id, tz),
                                            f"Outcomes per day ({tz})"),
    }  # fmt: skip


def _active(db: Engine) -> list[tuple[int, str, str]]:
    with session(db) as s:
        return [(c.id or 0, c.name, c.time_zone) for c in repo.list_campaigns(s)
                if c.status == "active"]  # fmt: skip


async def refresh_active(db: Engine, snaps: Snapshots, rows: Snapshots | None = None,
                         funnels: bool = True) -> None:  # fmt: skip
    """Count the figures of every active campaign into the snapshots (the list's `rows`; the
    funnels into `snaps` when `funnels`), one campaign at a time (one database thread, so pages
    keep theirs); a campaign no longer active is left to its views."""
    active = await run_db(_active, db)
    for store, kind, due in ((rows, "row", True), (snaps, "funnel", funnels)):
        if store is None or not due:
            continue
        for key in store.keys_kept() - {(kind, cid) for cid, _, _ in active}:
            store.forget(key)
        for cid, name, tz in active:
            value = await (run_db(row_figures, db, cid, tz) if kind == "row"
                           else run_db(_figures, db, cid, name, tz))  # fmt: skip
            store.put((kind, cid), value, kept=True)


async def keep_fresh(
    db: Engine,
    snaps: Snapshots,
    rows: Snapshots | None = None,
    *,
    task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """The server's refresher: counts at start-up (the server answers once that is done), then
    the list's figures every `rows.fresh_s` and the funnels every `snaps.fresh_s`. A failed pass
    (database away) is logged and retried next period."""
    started = False
    funnels_at = -math.inf
    while True:
        due = time.monotonic() - funnels_at >= snaps.fresh_s
        try:
            await refresh_active(db, snaps, rows, funnels=due)
            if due:
                funnels_at = time.monotonic()
        except Exception:  # the console keeps serving; the next pass retries
            log.exception("refreshing the manager's figures failed; retrying in %.0f s",
                          snaps.fresh_s)  # fmt: skip
        if not started:
            started = True
            task_status.started()
        await anyio.sleep(min(snaps.fresh_s, rows.fresh_s if rows else math.inf))


async def campaign_page(request: Request) -> Response:
    from orchestrator.web.app import page

    user = await require(request, "manager")
    cid = int(request.path_params["campaign_id"])
    c = await run_db(_campaign, engine(request), cid)
    snaps: Snapshots = request.app.state.snapshots
    report, age, refresh = await snaps.get(
        ("funnel", cid), partial(_figures, engine(request), cid, c["name"], c["time_zone"])
    )
    response = page(request, "campaign.html", user, campaign=c, report=report["funnel"],
                    funnel_svg=report["funnel_svg"], outcomes_svg=report["outcomes_svg"],
                    age=round(age))  # fmt: skip
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
