"""The lead card an agent works from: who to call (number as dialled locally), for which
campaign, the customer's list columns, why the robot scored them, what was said, the recording."""

from __future__ import annotations

from typing import Any

import phonenumbers
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns.leads import L, lead_row
from campaigns.models import Campaign, Contact
from campaigns.qa import show_call

C = Contact.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
K = Campaign.__table__  # type: ignore[attr-defined]


def national(e164: str) -> str:
    """`+821012345678` -> `010-1234-5678`: the number as an agent in that country dials it."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def show_lead(engine: Engine, lead_id: int) -> dict[str, Any]:
    """One lead with everything on its card. Keys: the lead's own columns, `campaign` (name),
    `phone_national`, `customer_id`, `attributes` (the list's other columns), `time_zone` (the
    customer's), `score_reasons` ([{points, reason}]), `transcript` (turns with times,
    confidence, intent), `recording_path`, `call_id`, `call_started_at`, `duration_s`."""
    with engine.connect() as conn:
        card = lead_row(conn, lead_id)
        extra = conn.execute(
            sa.select(
                K.c.name.label("campaign"),
                C.c.customer_id,
                C.c.attributes,
                C.c.time_zone,
            )
            .select_from(L)
            .join(K, K.c.id == L.c.campaign_id)
            .join(C, C.c.id == L.c.contact_id)
            .where(L.c.id == lead_id)
        ).mappings().one()
    call = show_call(engine, card["attempt_id"])
    return card | dict(extra) | {
        "phone_national": national(card["phone"]),
        "score_reasons": call["score_breakdown"],
        "transcript": call["turns"],
        "recording_path": call["recording_path"],
        "call_id": call["id"],
        "call_started_at": call["started_at"],
        "duration_s": call["duration_s"],
    }
