"""QA reviewers' pages: find calls (campaigns.search), read a call with its recording in step,
mark it (campaigns.qa_marks), export a search as CSV."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from campaigns import qa, qa_marks
from campaigns.db import session
from campaigns.errors import CampaignError, InvalidInput, NotFound
from campaigns.lead_card import national
from campaigns.moments import parse_when
from campaigns.policy import zone
from campaigns.repo import REGION_ZONES, get_campaign_by_name, list_campaigns
from campaigns.script_store import short_version
from campaigns.search import TIERS, CallFilter, check_filter, search_calls, write_csv
from orchestrator.campaign_script import campaign_intents
from orchestrator.web.security import checked_form, engine, require, run_db

REVIEWERS = ("qa", "manager")
LOW_CONFIDENCE = 0.6  # below this a recognised turn is marked for the reviewer's ear
PAGE_SIZE = 50
# The page counts matches up to this many and then says "1,000+": a common word in 100,000
# transcripts would otherwise be counted to the end on every search (docs/console.md).
COUNT_CAP = 1_000
EXPORT_MAX = 100_000


def _number(args: Mapping[str, str], key: str, kind: type[int] | type[float]) -> Any:
    text = args.get(key, "")
    if not text:
        return None
    try:
        return kind(text)
    except ValueError as exc:
        raise InvalidInput(f"{key.replace('_', ' ')} {text!r} is not a number") from exc


def build_filter(db: Engine, args: Mapping[str, str], region: str) -> CallFilter:
    """The search form's fields as a CallFilter, refused (one line) when a value cannot match.
    Phones and dates are read in `region` (the home's, `default_region`) and its zone; with a
    campaign chosen, dates in the campaign's zone."""
    with session(db) as s:
        campaigns = {c.name: c for c in list_campaigns(s)}
        name = args.get("campaign", "")
        if name and name not in campaigns:
            raise NotFound(f"no campaign named {name!r}")
        camp = campaigns.get(name)
        intents = None
        if args.get("intent"):
            intents = campaign_intents(s, [camp] if camp else campaigns.values())
    tz = camp.time_zone if camp else REGION_ZONES.get(region, "UTC")
    reviewed = {"yes": True, "no": False}.get(args.get("reviewed", ""))
    f = CallFilter(
        campaign_id=camp.id if camp else None, outcome=args.get("outcome") or None,
        intent=args.get("intent") or None, since=parse_when(args.get("since") or None, tz),
        until=parse_when(args.get("until") or None, tz, end_of_day=True),
        phone=args.get("phone") or None, tier=args.get("tier") or None,
        min_score=_number(args, "min_score", int), max_score=_number(args, "max_score", int),
        below_confidence=_number(args, "below_confidence", float),
        text=args.get("text") or None, reviewed=reviewed, verdict=args.get("verdict") or None,
        tag=args.get("tag") or None, region=region,
    )  # fmt: skip
    check_filter(db, f, intents)
    return f


def _search(
    db: Engine, args: dict[str, str], offset: int, region: str
) -> tuple[list[dict[str, Any]], int]:
    rows, total = search_calls(db, build_filter(db, args, region), limit=PAGE_SIZE,
                               offset=offset, count_cap=offset + COUNT_CAP)  # fmt: skip
    zones = _zones(db)
    for r in rows:
        r["phone_national"] = national(r["phone"])  # as the reviewer dials it; E.164 on hover
        r["started_local"] = local_time(r["started_at"], zones.get(r["campaign"], "UTC"))
    return rows, total


def _zones(db: Engine) -> dict[str, str]:
    with session(db) as s:
        return {c.name: c.time_zone for c in list_campaigns(s)}


def local_time(at: str | None, tz: str) -> str:
    """`2026-03-04 10:00 Asia/Seoul`: a stored time as the campaign's people read it."""
    if not at:
        return ""
    return datetime.fromisoformat(at).astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M ") + tz


def _campaign_names(db: Engine) -> list[str]:
    with session(db) as s:
        return [c.name for c in list_campaigns(s)]


def _args(request: Request) -> dict[str, str]:
    return {k: v.strip() for k, v in request.query_params.items() if k != "offset"}


async def calls_page(request: Request) -> Response:
    from orchestrator.web.app import page

    user = await require(request, *REVIEWERS)
    args = _args(request)
    try:
        offset = max(0, int(request.query_params.get("offset", "0") or 0))
    except ValueError:
        offset = 0
    error, status = None, 200
    try:
        calls, total = await run_db(_search, engine(request), args, offset,
                                    request.app.state.region)  # fmt: skip
    except CampaignError as exc:
        calls, total, error, status = [], 0, str(exc), 400
    names = await run_db(_campaign_names, engine(request))
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "offset"])
    return page(request, "calls.html", user, status, calls=calls, total=total, args=args,
                campaigns=names, error=error, offset=offset, page_size=PAGE_SIZE, query=query,
                tiers=TIERS, low=LOW_CONFIDENCE, cap=offset + COUNT_CAP)  # fmt: skip


def _export(db: Engine, args: dict[str, str], region: str) -> str:
    rows, _ = search_calls(db, build_filter(db, args, region), limit=EXPORT_MAX)
    out = io.StringIO()
    write_csv(out, rows)
    return "\ufeff" + out.getvalue()  # a BOM, so Excel reads Korean and Chinese right


async def export_csv(request: Request) -> Response:
    await require(request, *REVIEWERS)
    try:
        text = await run_db(_export, engine(request), _args(request), request.app.state.region)
    except CampaignError as exc:
        raise HTTPException(400, str(exc)) from exc
    return Response(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="calls.csv"',
        "Cache-Control": "private, no-store"})  # fmt: skip


def _call(db: Engine, attempt_id: str) -> dict[str, Any]:
    call = qa.show_call(db, attempt_id)
    with session(db) as s:
        call["script"] = get_campaign_by_name(s, call["campaign"]).script_ref
    call["script_version_short"] = short_version(call.get("script_version"))
    call["marks"] = qa_marks.marks_of(db, attempt_id)
    call["phone_national"] = national(call["phone"])
    call["started_local"] = local_time(call["started_at"], _zones(db).get(call["campaign"], "UTC"))
    return call


async def call_page(request: Request) -> Response:
    from orchestrator.web.app import page

    user = await require(request, *REVIEWERS)
    try:
        call = await run_db(_call, engine(request), request.path_params["call_id"])
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return page(request, "call.html", user, call=call, low=LOW_CONFIDENCE,
                notice=request.query_params.get("notice"))  # fmt: skip


async def mark(request: Request) -> Response:
    user = await require(request, *REVIEWERS)
    form = await checked_form(request)
    call_id = request.path_params["call_id"]
    tags = str(form.get("tags") or "").replace(",", " ").split()
    verdict = str(form.get("verdict") or "")
    await run_db(qa_marks.mark_call, engine(request), call_id, user.name, verdict, tags,
                 str(form.get("comment") or "") or None)  # fmt: skip
    return RedirectResponse(f"/qa/calls/{call_id}?notice=Marked+{verdict}", status_code=303)


routes = [
    Route("/qa", calls_page),
    Route("/qa/export.csv", export_csv),
    Route("/qa/calls/{call_id:str}", call_page),
    Route("/qa/calls/{call_id:str}/mark", mark, methods=["POST"]),
]
