"""What QA reviewers and campaign managers read: calls, one call's transcript, the funnel."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns.charts import contact_conditions, lead_won
from campaigns.errors import NotFound
from campaigns.models import Attempt, Campaign, Contact, Lead, Turn
from campaigns.policy import BUSINESS_OUTCOMES

A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
T = Turn.__table__  # type: ignore[attr-defined]
L = Lead.__table__  # type: ignore[attr-defined]
C = Contact.__table__  # type: ignore[attr-defined]
K = Campaign.__table__  # type: ignore[attr-defined]

CALL_COLUMNS = (
    A.c.id, A.c.phone, A.c.started_at, A.c.answered_at, A.c.ended_at, A.c.outcome, A.c.amd,
    A.c.cause, A.c.dialog_outcome, A.c.score, A.c.tier, A.c.grade, A.c.duration_s,
    A.c.recording_path, A.c.worker_id, K.c.name.label("campaign"),
)  # fmt: skip


def _iso(v: Any) -> Any:
    return v.isoformat() if hasattr(v, "isoformat") else v


def row_dict(r: Any) -> dict[str, Any]:
    return {k: _iso(v) for k, v in dict(r).items()}


def list_calls(
    engine: Engine,
    campaign_id: int | None = None,
    outcome: str | None = None,
    intent: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Finished and running calls, newest first; `outcome` matches the dial or dialog outcome."""
    q = sa.select(*CALL_COLUMNS).join(K, K.c.id == A.c.campaign_id)
    if campaign_id is not None:
        q = q.where(A.c.campaign_id == campaign_id)
    if outcome:
        q = q.where(sa.or_(A.c.outcome == outcome, A.c.dialog_outcome == outcome))
    if intent:
        q = q.where(sa.exists().where(T.c.attempt_id == A.c.id, T.c.intent == intent))
    q = q.order_by(A.c.started_at.desc(), A.c.id).limit(limit)
    with engine.connect() as conn:
        calls = [row_dict(r) for r in conn.execute(q).mappings()]
        intents = call_intents(conn, [c["id"] for c in calls])
    for c in calls:
        c["intents"] = intents.get(c["id"], [])
    return calls


def call_intents(conn: sa.Connection, ids: list[str]) -> dict[str, list[str]]:
    """Each call's recognised intents in turn order (calls without any are left out)."""
    intents: dict[str, list[str]] = {}
    if ids:
        tq = (
            sa.select(T.c.attempt_id, T.c.intent)
            .where(T.c.attempt_id.in_(ids), T.c.intent.is_not(None))
            .order_by(T.c.attempt_id, T.c.seq)
        )
        for aid, it in conn.execute(tq):
            intents.setdefault(aid, []).append(it)
    return intents


def no_call(attempt_id: str) -> NotFound:
    return NotFound(f"no call {attempt_id}; `outreach calls list` shows the calls")


def require_call(conn: sa.Connection, attempt_id: str) -> None:
    """NotFound (saying where to look) unless the call is stored."""
    if conn.execute(sa.select(A.c.id).where(A.c.id == attempt_id)).first() is None:
        raise no_call(attempt_id)


def show_call(engine: Engine, attempt_id: str) -> dict[str, Any]:
    """One call with its transcript (times, confidence, intents), score breakdown and recording."""
    with engine.connect() as conn:
        row = (
            conn.execute(
                sa.select(*CALL_COLUMNS, A.c.amd_cause, A.c.score_breakdown,
                          C.c.name.label("name"), C.c.customer_id, C.c.attributes,
                          A.c.script_version)
                .join(K, K.c.id == A.c.campaign_id)
                .join(C, C.c.id == A.c.contact_id)
                .where(A.c.id == attempt_id)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise no_call(attempt_id)
        call = row_dict(row)
        turns = conn.execute(
            sa.select(T).where(T.c.attempt_id == attempt_id).order_by(T.c.seq)
        ).mappings()
        call["turns"] = [
            {k: v for k, v in dict(t).items() if k not in ("id", "attempt_id")} for t in turns
        ]
        lead = conn.execute(sa.select(L).where(L.c.attempt_id == attempt_id)).mappings().first()
        call["lead"] = row_dict(lead) if lead else None
    return call


def export_rows(engine: Engine, campaign_id: int) -> list[dict[str, Any]]:
    """Every call of a campaign with its transcript, oldest first (for CSV or JSON Lines)."""
    calls = list_calls(engine, campaign_id, limit=10_000_000)
    calls.reverse()
    turns: dict[str, list[dict[str, Any]]] = {}
    q = (
        sa.select(T.c.attempt_id, T.c.speaker, T.c.text, T.c.start_s, T.c.end_s,
                  T.c.confidence, T.c.intent)
        .join(A, A.c.id == T.c.attempt_id)
        .where(A.c.campaign_id == campaign_id)
        .order_by(T.c.attempt_id, T.c.seq)
    )  # fmt: skip
    with engine.connect() as conn:  # one query for all transcripts, not one per call
        for row in conn.execute(q).mappings():
            turn = dict(row)
            turns.setdefault(turn.pop("attempt_id"), []).append(turn)
    for c in calls:
        c["turns"] = turns.get(c["id"], [])
    return calls


def find_calls(engine: Engine, id_prefix: str, limit: int = 2) -> list[str]:
    """Call ids starting with `id_prefix` (people type the first 8 characters)."""
    q = sa.select(A.c.id).where(A.c.id.startswith(id_prefix, autoescape=True)).limit(limit)
    with engine.connect() as conn:
        return [str(r[0]) for r in conn.execute(q)]


def _grouped(conn: sa.Connection, q: sa.Select[Any]) -> dict[str, int]:
    return {str(k): int(v) for k, v in conn.execute(q).all()}


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def _counted(conn: sa.Connection, campaign_id: int, stages: bool) -> dict[str, Any]:
    """The funnel's counts from the rows themselves (SQLite; the reference for the tally)."""
    contacts = _grouped(
        conn,
        sa.select(C.c.status, sa.func.count())
        .where(C.c.campaign_id == campaign_id)
        .group_by(C.c.status),
    )
    # One pass per contact on the covering index ix_attempt_funnel (in contact order, no
    # sort) instead of a DISTINCT count per figure, and one GROUP BY outcome for the rest.
    mine = A.c.campaign_id == campaign_id
    conds = contact_conditions()
    per_contact = {
        "dialled": conds["dialled"],
        "answered": conds["answered"],
        "human": conds["human"],
        "completed": A.c.dialog_outcome.in_(sorted(BUSINESS_OUTCOMES)),
        "invalid": A.c.outcome == "invalid",
    }
    if stages:
        per_contact["engaged"] = conds["engaged"]
    contacts_q = (
        sa.select(*(sa.func.max(sa.case((c, 1), else_=0)).label(k)
                    for k, c in per_contact.items()))
        .where(mine, A.c.outcome.is_not(None)).group_by(A.c.contact_id).subquery()
    )  # fmt: skip
    n = conn.execute(
        sa.select(*(sa.func.coalesce(sa.func.sum(c), 0).label(c.name) for c in contacts_q.c))
    ).one()._mapping  # fmt: skip
    outcomes = {k: int(v) for k, v in conn.execute(
        sa.select(A.c.outcome, sa.func.count()).where(mine).group_by(A.c.outcome)).all()}
    dialogs = _grouped(
        conn,
        sa.select(A.c.dialog_outcome, sa.func.count())
        .where(mine, A.c.dialog_outcome.is_not(None))
        .group_by(A.c.dialog_outcome),
    )
    intents = _grouped(
        conn,
        sa.select(T.c.intent, sa.func.count())
        .join(A, A.c.id == T.c.attempt_id)
        .where(mine, T.c.intent.is_not(None))
        .group_by(T.c.intent),
    )
    return {"contacts": contacts, "flags": {k: int(v) for k, v in n.items()},
            "outcomes": outcomes, "dialogs": dialogs, "intents": intents}  # fmt: skip


def _engaged(conn: sa.Connection, campaign_id: int) -> int:
    """Contacts a person answered and spoke on (not in the tally: it depends on the turns)."""
    engaged = contact_conditions()["engaged"]
    q = sa.select(sa.func.count(sa.distinct(A.c.contact_id))).where(
        A.c.campaign_id == campaign_id, A.c.outcome == "answered", engaged)
    return int(conn.execute(q).scalar_one())  # fmt: skip


def funnel(
    engine: Engine, campaign_id: int, stages: bool = False, counted: bool = False
) -> dict[str, Any]:
    """The campaign funnel with rates.

    On PostgreSQL the counts come from campaign_tally (campaigns/tally.py), kept by triggers as
    the rows change, so the report does not count ten million contacts; on SQLite, or with
    `counted`, from the rows themselves (one pass per contact). With `stages`, the report
    gains "stages", campaigns.charts.funnel_stages' list, and its "engaged" count, so the
    manager's page counts the contacts once for both (the chart is not drawn from a second
    pass)."""
    from campaigns import tally

    with engine.connect() as conn:
        if tally.used(conn) and not counted:
            got = tally.figures(engine, conn, campaign_id)
            if stages:
                got["flags"]["engaged"] = _engaged(conn, campaign_id)
        else:
            got = _counted(conn, campaign_id, stages)
        contacts, all_outcomes = got["contacts"], got["outcomes"]
        flags = ("dialled", "answered", "human", "completed", "invalid", "engaged")
        n = {k: got["flags"].get(k, 0) for k in flags}
        by_outcome = {str(k): v for k, v in all_outcomes.items() if k not in (None, "invalid")}
        by_dialog, by_intent = got["dialogs"], got["intents"]
        leads = _grouped(
            conn,
            sa.select(L.c.tier, sa.func.count())
            .where(L.c.campaign_id == campaign_id)
            .group_by(L.c.tier),
        )
        n_dialled, n_answered = int(n["dialled"]), int(n["answered"])
        n_human, n_completed = int(n["human"]), int(n["completed"])
        n_leads = sum(leads.values())
        n_opt_out = by_dialog.get("opt_out", 0)
        report: dict[str, Any] = {
            "contacts": sum(contacts.values()),
            "contacts_by_status": contacts,
            "attempts": sum(by_outcome.values()),
            "in_flight": all_outcomes.get(None, 0),
            "dialled": n_dialled,
            "answered": n_answered,
            "human": n_human,
            "completed_dialogs": n_completed,
            "attempts_by_outcome": by_outcome,
            "dialogs_by_outcome": by_dialog,
            "intents": by_intent,
            "leads_by_tier": leads,
            "leads": n_leads,
            "opt_outs": n_opt_out,
            "retries_pending": contacts.get("retry", 0),
            "not_yet_called": contacts.get("new", 0),
            "not_dialled_bad_data": int(n["invalid"]),
        }
        if stages:
            sold = conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(sa.case((lead_won(), 1), else_=0)), 0))
                .where(L.c.campaign_id == campaign_id)
            ).scalar_one()  # fmt: skip
            report["stages"] = [("dialled", n_dialled), ("answered", n_answered),
                                ("engaged", int(n["engaged"])), ("lead", n_leads),
                                ("transferred/sold", int(sold))]  # fmt: skip
    report["rates"] = {
        "answer_rate": _rate(n_answered, n_dialled),
        "human_rate": _rate(n_human, n_answered),
        "completion_rate": _rate(n_completed, n_human),
        "lead_rate": _rate(n_leads, n_human),
        "opt_out_rate": _rate(n_opt_out, n_human),
    }
    return report
