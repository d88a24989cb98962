"""QA reviewers' pages: find calls, read a call with its recording in step, mark it, export."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from campaigns import qa
from campaigns.db import session
from campaigns.errors import NotFound
from campaigns.repo import get_campaign_by_name, list_campaigns
from orchestrator.web.security import engine, require, run_db

REVIEWERS = ("qa", "manager")
LOW_CONFIDENCE = 0.6  # below this a recognised turn is marked for the reviewer's ear
PAGE_SIZE = 100


def _campaign_names(db: Engine) -> list[str]:
    with session(db) as s:
        return [c.name for c in list_campaigns(s)]


def _campaign_id(db: Engine, name: str) -> int | None:
    if not name:
        return None
    with session(db) as s:
        return get_campaign_by_name(s, name).id


def _search(db: Engine, args: dict[str, str]) -> list[dict[str, Any]]:
    return qa.list_calls(
        db, _campaign_id(db, args.get("campaign", "")), args.get("outcome") or None,
        args.get("intent") or None, limit=PAGE_SIZE,
    )  # fmt: skip


async def calls_page(request: Request) -> Response:
    from orchestrator.web.app import page

    user = await require(request, *REVIEWERS)
    args = {k: v.strip() for k, v in request.query_params.items()}
    calls = await run_db(_search, engine(request), args)
    names = await run_db(_campaign_names, engine(request))
    return page(request, "calls.html", user, calls=calls, args=args, campaigns=names)


def _call(db: Engine, attempt_id: str) -> dict[str, Any]:
    call = qa.show_call(db, attempt_id)
    with session(db) as s:
        call["script"] = get_campaign_by_name(s, call["campaign"]).script_ref
    return call


async def call_page(request: Request) -> Response:
    from orchestrator.web.app import page

    user = await require(request, *REVIEWERS)
    try:
        call = await run_db(_call, engine(request), request.path_params["call_id"])
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return page(request, "call.html", user, call=call, low=LOW_CONFIDENCE)


routes = [
    Route("/qa", calls_page),
    Route("/qa/calls/{call_id:str}", call_page),
]
