"""The manager's charts: the funnel counts what happened, the SVG draws those counts (bars in
proportion), outcomes are grouped by the campaign's local day; `campaign report --chart`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaigns.calls import CallReport, LeadDraft, TurnRecord, finish_attempt
from campaigns.charts import funnel_stages, outcomes_by_day, report_svg
from campaigns.dialing import AttemptResult, claim
from campaigns.leads import finish_lead, next_lead
from campaigns.models import Attempt
from campaigns.qa import funnel as qa_funnel
from tests.campaigns.helpers import ENGINES, T0, make_campaign
from tests.orchestrator.test_cli_leads import ok, refused

A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def db(db_url: str) -> Iterator[tuple[str, int]]:
    """6 contacts: busy, machine, silent person, not interested, lead sold, lead transferred.
    The first two were called on Mar 3 (Seoul), the rest on Mar 4."""
    engine, cid = make_campaign(db_url, 6)
    cs = claim(engine, cid, 6, "w1", timedelta(minutes=10), now=T0)
    spoke = [TurnRecord("robot", "안녕하세요", 0, 1), TurnRecord("customer", "네", 1, 2)]
    reports = [
        CallReport(AttemptResult("busy")),
        CallReport(AttemptResult("answered", amd="machine")),
        CallReport(AttemptResult("answered", dialog_outcome="no_response"),
                   [TurnRecord("robot", "안녕하세요", 0, 1)]),
        CallReport(AttemptResult("answered", dialog_outcome="not_interested"), spoke),
        CallReport(AttemptResult("answered", dialog_outcome="interested", score=70, tier="warm"),
                   spoke, LeadDraft(70, "warm", "B", "x")),
        CallReport(AttemptResult("answered", dialog_outcome="transfer", score=90, tier="hot"),
                   spoke, LeadDraft(90, "hot", "A", "y", transferred=True)),
    ]  # fmt: skip
    for c, r in zip(cs, reports, strict=True):
        finish_attempt(engine, c.attempt_id, r, now=T0)
    with engine.begin() as conn:  # 23:30 on Mar 3 in Seoul
        first_two = [c.attempt_id for c in cs[:2]]
        conn.execute(sa.update(A).where(A.c.id.in_(first_two))
                     .values(started_at=T0 - timedelta(hours=12, minutes=30)))  # fmt: skip
    lead = next_lead(engine, "kim", now=T0)
    assert lead is not None
    finish_lead(engine, lead["id"], "sold", agent_id="kim", now=T0)
    yield db_url, cid
    while ENGINES:
        ENGINES.pop().dispose()


def bars(svg: str, cls: str) -> list[ET.Element]:
    root = ET.fromstring(svg.split("?>", 1)[1])
    return [e for e in root.iter(f"{NS}rect") if e.get("class") == cls]


def test_funnel_and_outcomes_count_what_happened(db: tuple[str, int]) -> None:
    url, cid = db
    from campaigns.db import open_database

    engine = open_database(url)
    try:
        stages = funnel_stages(engine, cid)
        shared = qa_funnel(engine, cid, stages=True)  # the manager page's one pass for both
        alone = qa_funnel(engine, cid)
        days = outcomes_by_day(engine, cid, "Asia/Seoul")
        svg = report_svg(engine, cid, "c1", "Asia/Seoul")
    finally:
        engine.dispose()
    assert stages == [("dialled", 6), ("answered", 5), ("engaged", 3), ("lead", 2),
                      ("transferred/sold", 2)]  # fmt: skip
    assert shared.pop("stages") == stages and shared == alone
    assert days == {
        "2026-03-03": {"busy": 1, "answered": 1},
        "2026-03-04": {"no_response": 1, "not_interested": 1, "interested": 1, "transfer": 1},
    }
    funnel = bars(svg, "stage")
    assert [(b.get("data-stage"), b.get("data-count")) for b in funnel] == [
        (s, str(n)) for s, n in stages]  # fmt: skip
    widths = [float(b.get("width") or 0) for b in funnel]
    assert widths[1] / widths[0] == pytest.approx(5 / 6, rel=0.01)  # drawn in proportion
    drawn = {(b.get("data-day"), b.get("data-outcome")): int(b.get("data-count") or 0)
             for b in bars(svg, "outcome")}  # fmt: skip
    assert drawn == {(d, o): n for d, c in days.items() for o, n in c.items()}
    assert "Campaign c1: funnel" in svg and "83%" in svg  # 5 of 6 answered


def test_campaign_report_writes_the_chart(db: tuple[str, int], tmp_path: Path) -> None:
    url, _ = db
    out = tmp_path / "c1.svg"
    ok(url, "campaign", "report", "c1", "--chart", str(out))
    svg = out.read_text(encoding="utf-8")
    assert len(bars(svg, "stage")) == 5 and len(bars(svg, "outcome")) == 6
    assert "ending in .svg" in refused(url, "campaign", "report", "c1", "--chart", "c1.png")


def test_outcomes_fall_on_the_local_day_in_a_part_hour_zone(db: tuple[str, int]) -> None:
    """India is UTC+5:30: a call at 18:45 UTC is 00:15 the next day there, and is counted on
    that day (a per-hour grouping would put it on the day before)."""
    url, cid = db
    from campaigns.db import open_database

    engine = open_database(url)
    try:
        with engine.begin() as conn:
            busy = conn.execute(sa.select(A.c.id).where(A.c.outcome == "busy")).scalar_one()
            conn.execute(sa.update(A).where(A.c.id == busy)
                         .values(started_at=T0 - timedelta(hours=8, minutes=15)))  # fmt: skip
        days = outcomes_by_day(engine, cid, "Asia/Kolkata")
    finally:
        engine.dispose()
    assert (T0 - timedelta(hours=8, minutes=15)).isoformat().startswith("2026-03-03T18:45")
    assert days == {
        "2026-03-03": {"answered": 1},
        "2026-03-04": {"busy": 1, "no_response": 1, "not_interested": 1, "interested": 1,
                       "transfer": 1},
    }  # fmt: skip
