"""QA at the command line: `calls list` filters (text, confidence, dates, phone, tier, review
state), unknown values refused in one line, `--csv` export created 0600, `calls mark`,
`audit list`. Both backends."""

from __future__ import annotations

import csv
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaigns.audit import record_playback
from campaigns.calls import CallReport, LeadDraft, TurnRecord, finish_attempt
from campaigns.db import open_database
from campaigns.dialing import AttemptResult, claim
from campaigns.models import Attempt
from tests.campaigns.helpers import ENGINES, T0, make_campaign
from tests.orchestrator.test_cli_leads import ok, refused

A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped


@pytest.fixture
def db(db_url: str) -> Iterator[str]:
    """Three calls: an opt-out the matcher missed (Mar 2), a hot lead (Mar 3), busy (Mar 4)."""
    engine, cid = make_campaign(db_url, 3)
    a, b, c = claim(engine, cid, 3, "w1", timedelta(minutes=10), now=T0)
    missed = [
        TurnRecord("robot", "안녕하세요", 0.0, 1.0),
        TurnRecord("customer", "다시는 전화하지 마세요", 1.5, 3.0, confidence=0.38),
    ]
    hot = [
        TurnRecord("robot", "안녕하세요", 0.0, 1.0),
        TurnRecord("customer", "네 관심 있어요", 1.5, 3.0, confidence=0.91, intent="yes"),
    ]
    finish_attempt(
        engine,
        a.attempt_id,
        CallReport(AttemptResult("answered", dialog_outcome="no_response"), missed),
        now=T0,
    )
    finish_attempt(
        engine,
        b.attempt_id,
        CallReport(
            AttemptResult("answered", dialog_outcome="transfer", score=90, tier="hot"),
            hot,
            LeadDraft(90, "hot", "A", "wants it"),
        ),
        now=T0,
    )
    finish_attempt(engine, c.attempt_id, CallReport(AttemptResult("busy")), now=T0)
    with engine.begin() as conn:
        for i, x in enumerate((a, b, c)):
            when = T0 - timedelta(days=2 - i)  # 12:00 in Seoul on Mar 2, 3, 4
            conn.execute(sa.update(A).where(A.c.id == x.attempt_id).values(started_at=when))
    yield db_url
    while ENGINES:
        ENGINES.pop().dispose()


def phones(rows: list[dict[str, object]]) -> list[object]:
    return [r["phone"] for r in rows]


def test_filters_find_what_qa_means(db: str) -> None:
    # "Every call where the customer asked to stop", also in words the matcher missed:
    stop = ok(db, "calls", "list", "--text", "전화하지 마", "--json")
    assert phones(stop) == ["+821000000000"] and stop[0]["intents"] == []
    assert phones(ok(db, "calls", "list", "--below-confidence", "0.5", "--json")) == [
        "+821000000000"]  # fmt: skip
    assert phones(ok(db, "calls", "list", "--min-confidence", "0.9", "--json")) == [
        "+821000000001"]  # fmt: skip
    # Dates without an offset are the campaign's (Seoul); a bare --until date is that whole day.
    march3 = ok(db, "calls", "list", "--campaign", "c1", "--since", "2026-03-03", "--until",
                "2026-03-03", "--json")  # fmt: skip
    assert phones(march3) == ["+821000000001"]
    assert phones(ok(db, "calls", "list", "--phone", "010-0000-0002", "--json")) == [
        "+821000000002"]  # fmt: skip
    assert phones(ok(db, "calls", "list", "--tier", "hot", "--json")) == ["+821000000001"]
    assert len(ok(db, "calls", "list", "--json")) == 3
    table = ok(db, "calls", "list", "--text", "관심")
    assert "Calls (1 of 1)" in table


def test_unknown_values_are_one_line_naming_the_valid_ones(db: str) -> None:
    line = refused(db, "calls", "list", "--outcome", "opt-out")
    assert "unknown outcome 'opt-out': use one of" in line and "opt_out" in line
    line = refused(db, "calls", "list", "--intent", "optout")
    assert "unknown intent 'optout': use one of" in line and "opt_out" in line  # the script's
    assert "unknown tier 'HOT'" in refused(db, "calls", "list", "--tier", "HOT")
    assert "not a date or time" in refused(db, "calls", "list", "--since", "yesterday")
    assert "between 0 and 1" in refused(db, "calls", "list", "--below-confidence", "50")


def test_marks_review_filters_csv_and_audit(db: str, tmp_path: Path) -> None:
    calls = ok(db, "calls", "list", "--json")
    missed = next(c for c in calls if c["phone"] == "+821000000000")
    said = ok(db, "calls", "mark", missed["id"][:8], "--fail", "--tag", "missed-opt-out",
              "--comment", "asked to stop", "--reviewer", "qa-choi")  # fmt: skip
    assert "fail [missed-opt-out] by qa-choi" in said
    assert "--pass or --fail" in refused(db, "calls", "mark", missed["id"], "--reviewer", "x")
    assert phones(ok(db, "calls", "list", "--reviewed", "--json")) == ["+821000000000"]
    assert len(ok(db, "calls", "list", "--unreviewed", "--json")) == 2
    tagged = ok(db, "calls", "list", "--verdict", "fail", "--tag", "missed-opt-out", "--json")
    assert tagged[0]["qa"]["comment"] == "asked to stop"
    shown = ok(db, "calls", "show", missed["id"], "--json")
    assert [(m["reviewer"], m["verdict"]) for m in shown["qa_marks"]] == [("qa-choi", "fail")]
    assert "QA marks" in ok(db, "calls", "show", missed["id"])
    out = tmp_path / "stop.csv"
    assert "wrote 1 calls" in ok(db, "calls", "list", "--reviewed", "--csv", str(out))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with out.open(encoding="utf-8-sig") as f:
        (row,) = list(csv.DictReader(f))
    assert (row["phone"], row["qa_verdict"], row["qa_tags"]) == ("+821000000000", "fail",
                                                                 "missed-opt-out")  # fmt: skip
    engine = open_database(db)
    try:
        record_playback(engine, "qa-choi", missed["id"])
    finally:
        engine.dispose()
    log = ok(db, "audit", "list", "--json")
    assert [(r["user"], r["call_id"]) for r in log] == [("qa-choi", missed["id"])]
    assert ok(db, "audit", "list", "--user", "kim", "--json") == []
