"""`campaign report` on PostgreSQL reads counts kept by triggers (campaigns/tally.py); after a
mixed run they must equal a full count of the rows, figure for figure (any drift fails here)."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns import tally
from campaigns.calls import CallReport, LeadDraft, TurnRecord, finish_attempt
from campaigns.contact_book import remove_contacts
from campaigns.db import session
from campaigns.dialing import AttemptResult, claim, record_outcome, release
from campaigns.dnc import add_dnc
from campaigns.policy import BUSINESS_OUTCOMES
from campaigns.qa import funnel
from campaigns.repo import CampaignSpec, create_campaign
from tests.campaigns.helpers import ENGINES, T0, add_contacts, make_campaign

LEASE = timedelta(minutes=10)
TURNS = [
    TurnRecord("robot", "안녕하세요", 0.0, 1.0, prompt_id="greeting"),
    TurnRecord("customer", "네", 1.5, 1.8, confidence=0.9, intent="yes", state="greeting"),
    TurnRecord("customer", "그만", 2.5, 2.8, confidence=0.9, intent="opt_out", state="offer"),
]


def _mixed_run(engine: Engine, cid: int, other: int) -> None:
    """Claims, every kind of ending, a release, expired leases, a DNC listing and removals."""
    results = [
        AttemptResult("busy"), AttemptResult("no_answer"), AttemptResult("invalid"),
        AttemptResult("answered", amd="machine"), AttemptResult("machine"),
        AttemptResult("answered", dialog_outcome="not_interested"),
        AttemptResult("answered", amd="human", dialog_outcome="callback"),
    ]  # fmt: skip
    first = claim(engine, cid, 12, "w1", LEASE, now=T0)
    for c, r in zip(first, results, strict=False):
        record_outcome(engine, c.attempt_id, r, now=T0)
    lead = LeadDraft(70, "hot", "A", "wants it")
    report = CallReport(AttemptResult("answered", dialog_outcome="interested"), TURNS, lead)
    finish_attempt(engine, first[7].attempt_id, report, now=T0)
    opt_out = CallReport(AttemptResult("answered", dialog_outcome="opt_out"), TURNS, opt_out=True)
    finish_attempt(engine, first[8].attempt_id, opt_out, now=T0)
    release(engine, [first[9].attempt_id], now=T0)
    # first[10], first[11] stay open: the next claim, after their lease, expires them.
    later = T0 + LEASE + timedelta(minutes=5)
    second = claim(engine, cid, 6, "w2", LEASE, now=later)
    record_outcome(engine, second[0].attempt_id, AttemptResult("busy"), now=later)
    with session(engine) as s:
        add_dnc(s, [second[1].phone], "asked", "cli", by="test")
    remove_contacts(engine, cid, [second[2].contact_id, first[0].contact_id])
    claim(engine, other, 3, "w3", LEASE, now=T0)  # another campaign's counts stay its own


def _same(engine: Engine, cid: int) -> None:
    for stages in (False, True):
        assert funnel(engine, cid, stages=stages) == funnel(engine, cid, stages=stages,
                                                            counted=True)  # fmt: skip


def test_report_counts_equal_a_full_count_after_a_mixed_run(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, cid = make_campaign(pg_url, 30)
    with session(engine) as s:
        other = create_campaign(s, CampaignSpec(name="c2", script_ref="ko-dormant-deposit")).id
    assert other is not None
    add_contacts(engine, other, 5, start=100)
    _same(engine, cid)
    monkeypatch.setattr(tally, "COMPACT_AT", 5)  # merge rows during the run as well
    _mixed_run(engine, cid, other)
    f = funnel(engine, cid)
    assert f["in_flight"] > 0 and f["not_dialled_bad_data"] == 1 and f["intents"]
    assert f["contacts_by_status"].get("dnc") and f["human"] >= 3
    _same(engine, cid)
    _same(engine, other)
    with engine.connect() as conn:  # the merge left one row per figure
        rows = conn.execute(sa.text("SELECT count(*) FROM campaign_tally WHERE campaign_id = "
                                    ":c GROUP BY kind, key HAVING count(*) > 1"), {"c": cid})
        assert rows.all() == []


def test_the_upgrade_counts_what_was_there_before_it(pg_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from campaigns.db import MIGRATIONS, create_db_engine

    engine = create_db_engine(pg_url)
    ENGINES.append(engine)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0012")  # before the tally
    with session(engine) as s:
        cid = create_campaign(s, CampaignSpec(name="old", script_ref="ko-dormant-deposit")).id
        other = create_campaign(s, CampaignSpec(name="c2", script_ref="ko-dormant-deposit")).id
    assert cid is not None and other is not None
    add_contacts(engine, cid, 20)
    add_contacts(engine, other, 5, start=100)
    _mixed_run(engine, cid, other)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    _same(engine, cid)
    claim(engine, cid, 3, "w4", LEASE, now=T0 + timedelta(hours=2))  # and it goes on counting
    _same(engine, cid)


def test_the_triggers_know_the_business_outcomes() -> None:
    mig = importlib.import_module("campaigns.migrations.versions.0013_campaign_tally")
    assert set(mig.BUSINESS) == BUSINESS_OUTCOMES
