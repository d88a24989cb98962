"""The agent desk: take the next lead (the same claim as `outreach leads next`: one lead at a
time, leased), work it from its card, record the result, see the callbacks kept for me."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from campaigns import leads
from campaigns.callbacks import local_label
from campaigns.errors import InvalidInput
from campaigns.lead_card import show_lead
from campaigns.moments import local_moment
from orchestrator.web.security import checked_form, engine, require, run_db

RESULT_LABELS = {"sold": "Sold", "no_sale": "No sale", "callback": "Call back",
                 "unreachable": "Unreachable"}  # fmt: skip


def desk_data(db: Engine, agent: str) -> dict[str, Any]:
    """What the desk shows an agent: the lead they hold (its card) and their callbacks."""
    held = leads.held_lead(db, agent)
    card = show_lead(db, held["id"]) if held else None
    callbacks = []
    with db.connect() as conn:
        for cb in leads.list_callbacks(db, agent_id=agent):
            if held and cb["id"] == held["id"]:
                continue
            tz = leads.customer_zone(conn, cb["id"])
            at = datetime.fromisoformat(cb["callback_at"]) if cb["callback_at"] else None
            callbacks.append(cb | {"local": local_label(at, tz) if at else "", "time_zone": tz})
    return {"lead": card, "callbacks": callbacks}


def _call_of(card: dict[str, Any] | None) -> dict[str, Any] | None:
    """The card's call in the shape the transcript template reads."""
    if card is None:
        return None
    return {"id": card["call_id"], "recording_path": card["recording_path"],
            "turns": card["transcript"]}  # fmt: skip


async def desk_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    from orchestrator.web.app import page
    from orchestrator.web.qa_pages import LOW_CONFIDENCE

    user = await require(request, "agent")
    data = await run_db(desk_data, engine(request), user.name)
    return page(request, "desk.html", user, status, **data, call=_call_of(data["lead"]),
                results=RESULT_LABELS, error=error, low=LOW_CONFIDENCE,
                renew_s=renew_every(request.app.state.lead_lease),
                notice=request.query_params.get("notice"))  # fmt: skip


async def take_next(request: Request) -> Response:
    user = await require(request, "agent")
    await checked_form(request)
    lease = request.app.state.lead_lease
    got = await run_db(leads.next_lead, engine(request), user.name, lease=lease)
    if got is None:
        return RedirectResponse("/desk?notice=No+lead+is+waiting+for+you", status_code=303)
    return RedirectResponse("/desk", status_code=303)


def _callback_at(text: str, tz: str) -> datetime:
    """The form's `datetime-local` value, read in the customer's zone (`leads done --at`'s
    parser: one with an offset keeps it)."""
    return local_moment(text, tz, f"{text!r} is not a date and time; pick one in the form")


def _finish(db: Engine, lead_id: int, agent: str, result: str, note: str | None,
            at_text: str) -> dict[str, Any]:  # fmt: skip
    with db.connect() as conn:
        tz = leads.customer_zone(conn, lead_id)
    at = _callback_at(at_text, tz) if at_text and result == "callback" else None
    if at_text and result != "callback":
        raise InvalidInput("a call-back time goes with the result 'Call back'; clear it or "
                           "choose 'Call back'")  # fmt: skip
    return leads.finish_lead(db, lead_id, result, note, at, agent_id=agent)


async def record_result(request: Request) -> Response:
    user = await require(request, "agent")
    form = await checked_form(request)
    lead_id = int(request.path_params["lead_id"])
    result = str(form.get("result") or "")
    note = str(form.get("note") or "").strip() or None
    at_text = str(form.get("callback_at") or "").strip()
    try:
        await run_db(_finish, engine(request), lead_id, user.name, result, note, at_text)
    except InvalidInput as exc:
        return await desk_page(request, str(exc), 400)
    label = RESULT_LABELS.get(result, result)
    return RedirectResponse(f"/desk?notice=Lead+{lead_id}+saved:+{label}", status_code=303)


async def renew(request: Request) -> Response:
    """The open card keeps its lead: htmx posts here every `renew_every` while the desk shows it."""
    user = await require(request, "agent")
    await checked_form(request)
    lead_id = int(request.path_params["lead_id"])
    try:
        await run_db(partial(leads.renew_lead, engine(request), lead_id, user.name,
                             lease=request.app.state.lead_lease))  # fmt: skip
    except InvalidInput as exc:
        return Response(str(exc), status_code=409)
    return Response(status_code=204)


def renew_every(lease: timedelta) -> int:
    """Seconds between an open card's renewals: a third of the lease, at most 5 minutes."""
    return max(1, min(300, int(lease.total_seconds() / 3)))


async def release(request: Request) -> Response:
    user = await require(request, "agent")
    await checked_form(request)
    lead_id = int(request.path_params["lead_id"])
    try:
        await run_db(leads.release_lead, engine(request), lead_id, user.name)
    except InvalidInput as exc:
        return await desk_page(request, str(exc), 400)
    return RedirectResponse(f"/desk?notice=Lead+{lead_id}+given+back", status_code=303)


routes = [
    Route("/desk", desk_page),
    Route("/desk/next", take_next, methods=["POST"]),
    Route("/desk/leads/{lead_id:int}/result", record_result, methods=["POST"]),
    Route("/desk/leads/{lead_id:int}/release", release, methods=["POST"]),
    Route("/desk/leads/{lead_id:int}/renew", renew, methods=["POST"]),
]
