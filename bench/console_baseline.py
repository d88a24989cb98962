"""The campaign page's queries as they were before the one-pass rewrite (campaigns/charts.py,
campaigns/qa.py `funnel`), kept as bench_console.py's baseline: same database, same run."""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns.charts import A, L, T
from campaigns.policy import BUSINESS_OUTCOMES, zone
from campaigns.qa import C, _grouped, _rate

def funnel_stages(engine: Engine, campaign_id: int) -> list[tuple[str, int]]:
    """[(stage, count)] from dialled to transferred/sold, counted from stored rows."""
    mine = A.c.campaign_id == campaign_id
    contacts = sa.func.count(sa.distinct(A.c.contact_id))
    finished = sa.and_(A.c.outcome.is_not(None), A.c.outcome != "invalid")
    human = sa.and_(A.c.outcome == "answered", sa.or_(A.c.amd.is_(None), A.c.amd != "machine"))
    spoke = sa.exists().where(T.c.attempt_id == A.c.id, T.c.speaker == "customer")
    won = sa.or_(L.c.status == "transferred", L.c.result == "sold")
    with engine.connect() as conn:

        def one(q: Any) -> int:
            return int(conn.execute(q).scalar() or 0)

        return [
            ("dialled", one(sa.select(contacts).where(mine, finished))),
            ("answered", one(sa.select(contacts).where(mine, A.c.outcome.in_(["answered",
                                                                              "machine"])))),
            ("engaged", one(sa.select(contacts).where(mine, human, spoke))),
            ("lead", one(sa.select(sa.func.count()).where(L.c.campaign_id == campaign_id))),
            ("transferred/sold", one(sa.select(sa.func.count())
                                     .where(L.c.campaign_id == campaign_id, won))),
        ]  # fmt: skip


def outcomes_by_day(engine: Engine, campaign_id: int, tz: str) -> dict[str, dict[str, int]]:
    """{local date: {outcome: attempts}}: the dialog's outcome if a dialog ran, else the dial's."""
    z = zone(tz)
    q = sa.select(A.c.started_at, A.c.outcome, A.c.dialog_outcome).where(
        A.c.campaign_id == campaign_id, A.c.outcome.is_not(None)
    )
    days: dict[str, Counter[str]] = {}
    with engine.connect() as conn:
        for started, outcome, dialog in conn.execute(q):
            day = _as_aware(started).astimezone(z).date().isoformat()
            days.setdefault(day, Counter())[dialog or outcome] += 1
    return {d: dict(days[d]) for d in sorted(days)}


def _as_aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=zone("UTC"))


def funnel(engine: Engine, campaign_id: int) -> dict[str, Any]:
    """The campaign funnel with rates; every figure is counted from stored rows."""
    with engine.connect() as conn:
        contacts = _grouped(
            conn,
            sa.select(C.c.status, sa.func.count())
            .where(C.c.campaign_id == campaign_id)
            .group_by(C.c.status),
        )
        att = sa.select(A).where(A.c.campaign_id == campaign_id).subquery()

        def count(*where: Any, distinct: bool = True) -> int:
            what = sa.func.count(sa.distinct(att.c.contact_id)) if distinct else sa.func.count()
            return int(conn.execute(sa.select(what).where(*where)).scalar() or 0)

        finished = sa.and_(att.c.outcome.is_not(None), att.c.outcome != "invalid")
        answered = att.c.outcome.in_(["answered", "machine"])  # a machine answers too
        human = sa.and_(
            att.c.outcome == "answered", sa.or_(att.c.amd.is_(None), att.c.amd != "machine")
        )
        completed = att.c.dialog_outcome.in_(sorted(BUSINESS_OUTCOMES))
        by_outcome = _grouped(
            conn,
            sa.select(att.c.outcome, sa.func.count()).where(finished).group_by(att.c.outcome),
        )
        by_dialog = _grouped(
            conn,
            sa.select(att.c.dialog_outcome, sa.func.count())
            .where(att.c.dialog_outcome.is_not(None))
            .group_by(att.c.dialog_outcome),
        )
        by_intent = _grouped(
            conn,
            sa.select(T.c.intent, sa.func.count())
            .join(att, att.c.id == T.c.attempt_id)
            .where(T.c.intent.is_not(None))
            .group_by(T.c.intent),
        )
        leads = _grouped(
            conn,
            sa.select(L.c.tier, sa.func.count())
            .where(L.c.campaign_id == campaign_id)
            .group_by(L.c.tier),
        )
        n_dialled = count(finished)
        n_answered = count(answered)
        n_human = count(human)
        n_completed = count(completed)
        n_leads = sum(leads.values())
        n_opt_out = by_dialog.get("opt_out", 0)
        report: dict[str, Any] = {
            "contacts": sum(contacts.values()),
            "contacts_by_status": contacts,
            "attempts": count(finished, distinct=False),
            "in_flight": count(att.c.outcome.is_(None), distinct=False),
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
            "not_dialled_bad_data": count(att.c.outcome == "invalid"),
        }
    report["rates"] = {
        "answer_rate": _rate(n_answered, n_dialled),
        "human_rate": _rate(n_human, n_answered),
        "completion_rate": _rate(n_completed, n_human),
        "lead_rate": _rate(n_leads, n_human),
        "opt_out_rate": _rate(n_opt_out, n_human),
    }
    return report
