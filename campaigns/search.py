"""QA's call search: one filter object, one query, a page of rows and the total.

Used by `outreach calls list` and by the web console's search page. Free text is a
case-insensitive substring of any transcript line, matched with plain LIKE on the call's
lower-cased transcript in `call_search` (campaigns/call_text.py), on both backends and without a
PostgreSQL extension; figures at 100,000 calls from bench/bench_call_search.py are in
docs/benchmarks.md. Unknown outcomes, intents, tiers or verdicts are refused with the valid
values (`check_filter`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from campaigns.errors import InvalidInput
from campaigns.models import Attempt, CallSearch, Campaign, Contact, QaMark, Turn
from campaigns.phones import PhoneNormalizer
from campaigns.policy import DIAL_OUTCOMES, OUTCOMES
from campaigns.qa import CALL_COLUMNS, call_intents, row_dict
from campaigns.qa_marks import VERDICTS, current_marks, latest_mark_ids

A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
T = Turn.__table__  # type: ignore[attr-defined]
K = Campaign.__table__  # type: ignore[attr-defined]
M = QaMark.__table__  # type: ignore[attr-defined]
S = CallSearch.__table__  # type: ignore[attr-defined]
C = Contact.__table__  # type: ignore[attr-defined]

TIERS = ("hot", "warm", "cold", "do-not-call")
CSV_FIELDS = ["id", "campaign", "phone", "customer_id", "started_at", "outcome", "dialog_outcome",
              "score", "tier", "grade", "intents", "lowest_confidence", "qa_verdict", "qa_tags",
              "qa_reviewer", "qa_comment", "recording_path", "list_columns"]  # fmt: skip
# Backends where a transcript filter counts in the page query (a window) instead of a second
# statement. Measured at 100,000 calls (docs/benchmarks.md): a win on SQLite; on PostgreSQL
# it is 2x faster for rare matches but 3-5x slower when thousands match, so not there.
ONE_PASS = {"sqlite"}


@dataclass(frozen=True)
class CallFilter:
    """What QA searches by; every field is optional and they combine with AND."""

    campaign_id: int | None = None
    outcome: str | None = None  # the dial outcome or the dialog's
    intent: str | None = None  # heard in at least one turn
    since: datetime | None = None  # started at or after
    until: datetime | None = None  # started before
    phone: str | None = None  # a full number (any format) or some of its digits
    tier: str | None = None
    min_score: int | None = None
    max_score: int | None = None
    below_confidence: float | None = None  # some customer turn heard with less confidence
    min_confidence: float | None = None  # every customer turn heard with at least this
    text: str | None = None  # in any transcript line, any case
    reviewed: bool | None = None  # has a QA mark (True) or none yet (False)
    verdict: str | None = None  # the current QA mark: pass | fail
    tag: str | None = None  # on the current QA mark
    region: str = "KR"  # how a national-format phone is read


def known_outcomes(conn: Connection) -> list[str]:
    """Every outcome name that can be searched: the vocabulary and any stored one."""
    stored = {str(v) for (v,) in conn.execute(sa.select(A.c.outcome).distinct()) if v}
    stored |= {str(v) for (v,) in conn.execute(sa.select(A.c.dialog_outcome).distinct()) if v}
    return sorted(set(OUTCOMES) | stored)


def known_intents(conn: Connection, script_intents: set[str]) -> list[str]:
    stored = {str(v) for (v,) in conn.execute(sa.select(T.c.intent).distinct()) if v}
    return sorted(script_intents | stored)


def _one_of(what: str, value: str | None, valid: list[str] | tuple[str, ...]) -> None:
    if value is not None and value not in valid:
        raise InvalidInput(f"unknown {what} {value!r}: use one of {', '.join(valid)}")


def check_filter(engine: Engine, f: CallFilter, script_intents: set[str] | None = None) -> None:
    """Refuse values that cannot match anything by mistake (a typo), naming the valid ones.

    `script_intents`: the intents the campaigns' scripts define (stored ones are added)."""
    _one_of("tier", f.tier, TIERS)
    _one_of("QA verdict", f.verdict, VERDICTS)
    for name, v in (("--below-confidence", f.below_confidence),
                    ("--min-confidence", f.min_confidence)):  # fmt: skip
        if v is not None and not 0 <= v <= 1:
            raise InvalidInput(f"{name} is a confidence between 0 and 1, not {v}")
    if f.since and f.until and f.until <= f.since:
        raise InvalidInput("--until must be later than --since")
    if f.text is not None and not f.text.strip():
        raise InvalidInput("--text needs some words to look for")
    with engine.connect() as conn:
        if f.outcome is not None and f.outcome not in DIAL_OUTCOMES:
            _one_of("outcome", f.outcome, known_outcomes(conn))
        if f.intent is not None and f.intent not in (script_intents or set()):
            _one_of("intent", f.intent, known_intents(conn, script_intents or set()))


def _phone_clause(f: CallFilter) -> sa.ColumnElement[bool]:
    assert f.phone is not None
    e164 = PhoneNormalizer(f.region).e164(f.phone) if f.phone.strip() else None
    if e164:
        exact: sa.ColumnElement[bool] = A.c.phone == e164
        return exact
    digits = "".join(ch for ch in f.phone if ch.isdigit())
    if not digits:
        raise InvalidInput(f"--phone {f.phone!r} has no digits: give a number or part of one")
    part: sa.ColumnElement[bool] = A.c.phone.contains(digits, autoescape=True)
    return part


def _where(f: CallFilter) -> list[sa.ColumnElement[bool]]:
    w: list[sa.ColumnElement[bool]] = []
    if f.campaign_id is not None:
        w.append(A.c.campaign_id == f.campaign_id)
    if f.outcome:
        w.append(sa.or_(A.c.outcome == f.outcome, A.c.dialog_outcome == f.outcome))
    if f.since:
        w.append(A.c.started_at >= f.since)
    if f.until:
        w.append(A.c.started_at < f.until)
    if f.phone is not None:
        w.append(_phone_clause(f))
    if f.tier:
        w.append(A.c.tier == f.tier)
    if f.min_score is not None:
        w.append(A.c.score >= f.min_score)
    if f.max_score is not None:
        w.append(A.c.score <= f.max_score)
    w.extend(_review_where(f))
    w.extend(_turn_where(f))  # last: the costliest, checked on what is left
    return w


def _review_where(f: CallFilter) -> list[sa.ColumnElement[bool]]:
    w: list[sa.ColumnElement[bool]] = []
    if f.reviewed is not None:
        marked = sa.exists().where(M.c.attempt_id == A.c.id)
        w.append(marked if f.reviewed else ~marked)
    if f.verdict or f.tag:
        current = sa.select(M.c.attempt_id).where(M.c.id.in_(latest_mark_ids()))
        if f.verdict:
            current = current.where(M.c.verdict == f.verdict)
        if f.tag:
            current = current.where(M.c.tags.contains(f",{f.tag.strip()},", autoescape=True))
        w.append(A.c.id.in_(current))
    return w


def _turn_where(f: CallFilter) -> list[sa.ColumnElement[bool]]:
    # On call_search (one row per call, text lower-cased when stored), not on the turns: one
    # pass over 100,000 rows instead of 600,000, with plain LIKE on both backends.
    w: list[sa.ColumnElement[bool]] = []
    searched = sa.select(S.c.attempt_id)
    if f.intent:
        w.append(A.c.id.in_(searched.where(S.c.intents.contains(f",{f.intent},",
                                                                 autoescape=True))))
    if f.below_confidence is not None:
        w.append(A.c.id.in_(searched.where(S.c.lowest_confidence < f.below_confidence)))
    if f.min_confidence is not None:
        w.append(A.c.id.in_(searched.where(S.c.lowest_confidence >= f.min_confidence)))
    if f.text:
        words = f.text.strip().lower()
        w.append(A.c.id.in_(searched.where(S.c.text.contains(words, autoescape=True))))
    return w  # fmt: skip


def search_calls(
    engine: Engine, f: CallFilter, limit: int = 50, offset: int = 0, count_cap: int | None = None
) -> tuple[list[dict[str, Any]], int]:
    """One page of calls matching `f`, newest first, and how many match in all.

    With `count_cap`, counting stops after `count_cap + 1` matches (a total above the cap means
    "more than count_cap"): a common word in 100,000 transcripts is then not counted to the end.

    Each row has the call's columns (`CALL_COLUMNS`: id, phone, started_at, outcome,
    dialog_outcome, score, tier, recording_path, campaign, ...), `intents` (heard, in order),
    `lowest_confidence` (of the customer's turns), `qa` (the current mark or None) and the
    contact's `customer_id` and `attributes` (the list's other columns, as imported)."""
    if limit < 1 or offset < 0:
        raise InvalidInput("the page size must be at least 1 and the offset not negative")
    where = _where(f)
    q = sa.select(*CALL_COLUMNS).join(K, K.c.id == A.c.campaign_id).where(*where)
    # With a transcript filter the scan is the cost: on SQLite count in the same pass (a
    # window). Otherwise the page comes off the started_at index and the count is a second query.
    one_pass = count_cap is None and engine.dialect.name in ONE_PASS and any(
        v is not None for v in (f.text, f.intent, f.below_confidence, f.min_confidence)
    )
    if one_pass:
        q = q.add_columns(sa.func.count().over().label("total_matching"))
    page = q.order_by(A.c.started_at.desc(), A.c.id).limit(limit).offset(offset)
    count = sa.select(sa.func.count()).select_from(A).where(*where)
    if count_cap is not None:
        first = sa.select(A.c.id).where(*where).limit(count_cap + 1).subquery()
        count = sa.select(sa.func.count()).select_from(first)
    with engine.connect() as conn:
        rows = [row_dict(r) for r in conn.execute(page).mappings()]
        totals = {r.pop("total_matching", None) for r in rows}
        if one_pass and rows:
            total = int(totals.pop() or 0)
        else:
            total = int(conn.execute(count).scalar_one())
        _add_turn_facts(conn, rows)
        marks = current_marks(conn, [r["id"] for r in rows])
    for r in rows:
        r["qa"] = marks.get(r["id"])
    return rows, total


def _add_turn_facts(conn: Connection, rows: list[dict[str, Any]]) -> None:
    ids = [r["id"] for r in rows]
    contacts: dict[str, tuple[Any, Any]] = {}
    if ids:
        cq = sa.select(A.c.id, C.c.customer_id, C.c.attributes).join(
            C, C.c.id == A.c.contact_id).where(A.c.id.in_(ids))  # fmt: skip
        contacts = {str(aid): (cust, attrs) for aid, cust, attrs in conn.execute(cq)}
    intents = call_intents(conn, ids)
    lowest: dict[str, float | None] = {}
    if ids:
        sq = sa.select(S.c.attempt_id, S.c.lowest_confidence).where(S.c.attempt_id.in_(ids))
        lowest = {str(aid): low for aid, low in conn.execute(sq)}
    for r in rows:
        r["intents"] = intents.get(r["id"], [])
        r["lowest_confidence"] = lowest.get(r["id"])
        cust, attrs = contacts.get(r["id"], (None, None))
        r["customer_id"], r["attributes"] = cust, dict(attrs or {})


def write_csv(f: TextIO, rows: list[dict[str, Any]]) -> None:
    """Search rows as CSV into `f`: `calls list --csv` and the console's download, one format."""
    w = csv.DictWriter(f, CSV_FIELDS, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        mark = r["qa"] or {}
        qa_cols = {f"qa_{k}": mark.get(k) for k in ("verdict", "reviewer", "comment")}
        qa_cols["qa_tags"] = " ".join(mark.get("tags", []))
        w.writerow({**r, "intents": " ".join(r["intents"]), **qa_cols,
                    "list_columns": list_columns(r["attributes"])})  # fmt: skip


def list_columns(attributes: dict[str, Any]) -> str:
    """The list's other columns of the call's contact as one cell: `product=예금, branch=강남`."""
    return ", ".join(f"{k}={v}" for k, v in attributes.items())
