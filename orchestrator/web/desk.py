"""The agent desk: take the next lead, work it from its card, record the result."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import phonenumbers
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from campaigns import leads
from campaigns.errors import InvalidInput
from campaigns.models import Campaign, Contact, Lead
from campaigns.policy import zone
from campaigns.qa import row_dict, show_call
from orchestrator.web.security import checked_form, engine, require, run_db

L = Lead.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
C = Contact.__table__  # type: ignore[attr-defined]
K = Campaign.__table__  # type: ignore[attr-defined]
RESULT_LABELS = {"sold": "Sold", "no_sale": "No sale", "callback": "Call back",
                 "unreachable": "Unreachable"}  # fmt: skip


def national(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def held(db: Engine, agent: str) -> dict[str, Any] | None:
    with db.connect() as conn:
        row = conn.execute(
            sa.select(L.c.id).where(L.c.status == "claimed", L.c.agent_id == agent)
        ).first()
    return card(db, int(row[0])) if row else None


def card(db: Engine, lead_id: int) -> dict[str, Any]:
    with db.connect() as conn:
        row = conn.execute(
            sa.select(L, K.c.name.label("campaign"), C.c.customer_id, C.c.attributes,
                      C.c.time_zone)
            .join(K, K.c.id == L.c.campaign_id).join(C, C.c.id == L.c.contact_id)
            .where(L.c.id == lead_id)
        ).mappings().one()  # fmt: skip
    out = row_dict(row)
    call = show_call(db, out["attempt_id"])
    return out | {"phone_national": national(out["phone"]),
                  "score_reasons": call["score_breakdown"], "call": call}  # fmt: skip


async def desk_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    from orchestrator.web.app import page

    user = await require(request, "agent")
    lead = await run_db(held, engine(request), user.name)
    return page(request, "desk.html", user, status, lead=lead, call=lead and lead["call"],
                results=RESULT_LABELS, error=error, low=0.6,
                notice=request.query_params.get("notice"))  # fmt: skip


async def take_next(request: Request) -> Response:
    user = await require(request, "agent")
    await checked_form(request)
    if await run_db(held, engine(request), user.name) is None:
        got = await run_db(leads.next_lead, engine(request), user.name)
        if got is None:
            return RedirectResponse("/desk?notice=No+lead+is+waiting", status_code=303)
    return RedirectResponse("/desk", status_code=303)


def _callback_at(text: str, tz: str) -> datetime:
    try:
        local = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{text!r} is not a date and time") from exc
    return local.replace(tzinfo=zone(tz)).astimezone(UTC)


async def record_result(request: Request) -> Response:
    user = await require(request, "agent")
    form = await checked_form(request)
    lead_id = int(request.path_params["lead_id"])
    result = str(form.get("result") or "")
    note = str(form.get("note") or "").strip() or None
    at_text = str(form.get("callback_at") or "").strip()
    try:
        lead = await run_db(card, engine(request), lead_id)
        at = _callback_at(at_text, lead["time_zone"]) if result == "callback" and at_text else None
        await run_db(leads.finish_lead, engine(request), lead_id, result, note, at,
                     agent_id=user.name)  # fmt: skip
    except InvalidInput as exc:
        return await desk_page(request, str(exc), 400)
    return RedirectResponse(f"/desk?notice=Lead+{lead_id}+recorded:+{result}", status_code=303)


routes = [
    Route("/desk", desk_page),
    Route("/desk/next", take_next, methods=["POST"]),
    Route("/desk/leads/{lead_id:int}/result", record_result, methods=["POST"]),
]
