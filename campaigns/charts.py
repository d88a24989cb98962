"""The manager's charts as SVG written here (no plotting library): the campaign funnel and the
outcomes of each day. `campaign report NAME --chart FILE.svg` and the web console's manager page
draw the same figures from the same functions.

Funnel stages count contacts, except leads and what came of them: dialled (had a finished
attempt), answered (a person or a machine picked up), engaged (a person, not a machine, said
something), lead (leads made), transferred/sold (transferred live, or an agent recorded a sale).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns.models import Attempt, Lead, Turn
from campaigns.policy import zone

A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
T = Turn.__table__  # type: ignore[attr-defined]
L = Lead.__table__  # type: ignore[attr-defined]
PALETTE = ["#2f6db5", "#4a9a5b", "#e0a030", "#c0504d", "#8064a2", "#4bacc6", "#7f7f7f",
           "#f79646", "#9bbb59", "#1f497d", "#b65708", "#5a5a5a"]  # fmt: skip
FONT = 'font-family="sans-serif" font-size="12"'


def funnel_stages(engine: Engine, campaign_id: int) -> list[tuple[str, int]]:
    """[(stage, count)] from dialled to transferred/sold, counted from stored rows.

    One pass over the campaign's attempts grouped by contact (the covering index
    ix_attempt_funnel, already in contact order, so no sort) instead of one DISTINCT count per
    stage; the transcript is looked up only for calls a person answered."""
    per_contact = (
        sa.select(*(sa.func.max(sa.case((cond, 1), else_=0)).label(name)
                    for name, cond in contact_stages()))
        .where(A.c.campaign_id == campaign_id, A.c.outcome.is_not(None))  # ix_attempt_funnel
        .group_by(A.c.contact_id)
        .subquery()
    )  # fmt: skip
    won = lead_won()
    with engine.connect() as conn:
        dialled, answered, engaged = conn.execute(
            sa.select(*(sa.func.coalesce(sa.func.sum(c), 0) for c in per_contact.c))
        ).one()
        leads, sold = conn.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((won, 1), else_=0)), 0))
            .where(L.c.campaign_id == campaign_id)
        ).one()  # fmt: skip
    return [("dialled", int(dialled)), ("answered", int(answered)), ("engaged", int(engaged)),
            ("lead", int(leads)), ("transferred/sold", int(sold))]  # fmt: skip


def contact_conditions() -> dict[str, sa.ColumnElement[bool]]:
    """What makes a contact count as dialled, answered (a machine answers too), human (a
    person, not a machine, picked up) or engaged (and said something), on one attempt row.
    The chart's stages and campaigns.qa.funnel's figures are counted from these."""
    finished = sa.and_(A.c.outcome.is_not(None), A.c.outcome != "invalid")
    human = sa.and_(A.c.outcome == "answered", sa.or_(A.c.amd.is_(None), A.c.amd != "machine"))
    spoke = sa.exists().where(T.c.attempt_id == A.c.id, T.c.speaker == "customer")
    return {"dialled": finished, "answered": A.c.outcome.in_(["answered", "machine"]),
            "human": human, "engaged": sa.and_(human, spoke)}  # fmt: skip


def contact_stages() -> list[tuple[str, sa.ColumnElement[bool]]]:
    """The funnel chart's attempt-based stages, in order, each with its condition."""
    conds = contact_conditions()
    return [(k, conds[k]) for k in ("dialled", "answered", "engaged")]


def lead_won() -> sa.ColumnElement[bool]:
    """A lead that came to something: transferred live, or an agent recorded a sale."""
    return sa.or_(L.c.status == "transferred", L.c.result == "sold")


def outcomes_by_day(engine: Engine, campaign_id: int, tz: str) -> dict[str, dict[str, int]]:
    """{local date: {outcome: attempts}}: the dialog's outcome if a dialog ran, else the dial's.

    Counted in SQL. PostgreSQL groups by the local date itself; SQLite (no time zones) groups
    by the UTC hour (or minute, for a zone with a part-hour offset) and the few hundred buckets
    are moved to local dates here, which is exact because a zone's offset changes on the hour."""
    z = zone(tz)
    what = sa.func.coalesce(A.c.dialog_outcome, A.c.outcome)
    mine = (A.c.campaign_id == campaign_id, A.c.outcome.is_not(None))
    days: dict[str, Counter[str]] = {}
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            day = sa.func.date(sa.func.timezone(tz, A.c.started_at))
            for d, outcome, n in conn.execute(
                sa.select(day, what, sa.func.count()).where(*mine).group_by(day, what)
            ):
                days.setdefault(d.isoformat(), Counter())[outcome] += int(n)
        else:
            width = 13 if _whole_hours(z) else 16  # "YYYY-MM-DD HH" or "YYYY-MM-DD HH:MM"
            bucket = sa.func.substr(A.c.started_at, 1, width)
            for b, outcome, n in conn.execute(
                sa.select(bucket, what, sa.func.count()).where(*mine).group_by(bucket, what)
            ):
                utc = datetime.fromisoformat(b + (":00" if width == 13 else "")).replace(
                    tzinfo=zone("UTC"))
                local = utc.astimezone(z).date().isoformat()
                days.setdefault(local, Counter())[outcome] += int(n)
    return {d: dict(days[d]) for d in sorted(days)}


def _whole_hours(z: Any) -> bool:
    """Whether the zone is a whole number of hours from UTC all year (most are; India, Nepal,
    Newfoundland, Lord Howe are not)."""
    year = datetime.now(zone("UTC")).year
    probes = [datetime(year, m, 1, tzinfo=zone("UTC")) for m in (1, 4, 7, 10)]
    offsets = [p.astimezone(z).utcoffset() or timedelta(0) for p in probes]
    return all(int(o.total_seconds()) % 3600 == 0 for o in offsets)


def _text(x: float, y: float, s: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} {extra}>{escape(s)}</text>'


def funnel_svg(stages: list[tuple[str, int]], title: str, width: int = 640) -> str:
    """Horizontal bars, one per stage, widths relative to the first; count and % of the first."""
    top = stages[0][1] if stages else 0
    bar_x, bar_w, row = 130, width - 260, 30
    out = [_text(10, 20, title, extra='font-weight="bold"')]
    for i, (label, n) in enumerate(stages):
        y = 35 + i * row
        w = bar_w * n / top if top else 0
        share = f" ({n / top:.0%})" if top else ""
        out.append(_text(bar_x - 8, y + 15, label, "end"))
        attrs = f'data-stage="{escape(label)}" data-count="{n}" x="{bar_x}" y="{y}"'
        out.append(f'<rect class="stage" {attrs} width="{w:.1f}" height="{row - 8}" '
                   f'fill="{PALETTE[0]}"/>')  # fmt: skip
        out.append(_text(bar_x + w + 6, y + 15, f"{n:,}{share}"))
    return _svg(width, 45 + len(stages) * row, out)


def outcomes_svg(by_day: dict[str, dict[str, int]], title: str, width: int = 640) -> str:
    """Stacked bars, one per day, one colour per outcome, with a legend."""
    names = sorted({k for day in by_day.values() for k in day})
    colour = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
    peak = max((sum(d.values()) for d in by_day.values()), default=0)
    left, plot_h, top = 50, 200, 35
    step = (width - left - 20) / max(1, len(by_day))
    out = [_text(10, 20, title, extra='font-weight="bold"')]
    out.append(_text(left - 6, top + 10, f"{peak:,}", "end"))
    out.append(_text(left - 6, top + plot_h, "0", "end"))
    for i, (day, counts) in enumerate(by_day.items()):
        x, y = left + i * step, float(top + plot_h)
        for name in names:
            h = plot_h * counts.get(name, 0) / peak if peak else 0
            if h:
                y -= h
                out.append(f'<rect class="outcome" data-day="{day}" data-outcome="{escape(name)}" '
                           f'data-count="{counts[name]}" x="{x + 2:.1f}" y="{y:.1f}" '
                           f'width="{max(1.0, step - 4):.1f}" height="{h:.1f}" '
                           f'fill="{colour[name]}"/>')  # fmt: skip
        if len(by_day) <= 16 or i % max(1, len(by_day) // 8) == 0:
            out.append(_text(x + step / 2, top + plot_h + 15, day[5:], "middle"))
    legend_y = top + plot_h + 35
    for i, name in enumerate(names):
        lx, ly = 10 + (i % 4) * 155, legend_y + (i // 4) * 18
        out.append(f'<rect x="{lx}" y="{ly - 10}" width="10" height="10" fill="{colour[name]}"/>')
        out.append(_text(lx + 15, ly, name))
    return _svg(width, legend_y + 10 + ((len(names) + 3) // 4) * 18, out)


def _svg(width: float, height: float, parts: list[str]) -> str:
    body = "\n".join(parts)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}">\n{body}\n</svg>')  # fmt: skip


def report_svg(engine: Engine, campaign_id: int, name: str, tz: str) -> str:
    """One SVG document: the funnel above the outcomes of each day (days in `tz`)."""
    funnel = funnel_svg(funnel_stages(engine, campaign_id), f"Campaign {name}: funnel")
    days = outcomes_svg(outcomes_by_day(engine, campaign_id, tz), f"Outcomes per day ({tz})")
    h1 = float(funnel.split('height="', 1)[1].split('"', 1)[0])
    h2 = float(days.split('height="', 1)[1].split('"', 1)[0])
    parts = [f'<g class="funnel">{funnel}</g>',
             f'<g class="outcomes" transform="translate(0,{h1:.0f})">{days}</g>']  # fmt: skip
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _svg(640, h1 + h2, parts)
