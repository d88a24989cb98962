"""`dnc remove` for a mistaken entry and the do-not-call audit trail (issue 9), on SQLite and
PostgreSQL: who, when and why for every add and every removal; contacts stopped by the mistaken
entry go back on the queue."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from campaigns.dnc import add_dnc, dnc_audit, is_blocked, remove_dnc
from campaigns.errors import InvalidInput
from campaigns.models import Contact
from orchestrator.cli import app
from tests.campaigns.test_dnc import campaign_with

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
OUTREACH = str(Path(sys.executable).parent / "outreach")


def test_a_mistaken_entry_comes_off_with_who_when_why(db: Session, tmp_path: Path) -> None:
    c = campaign_with(db, tmp_path, "a", ["010-1111-2222", "010-3333-4444"])
    called = db.exec(select(Contact).where(Contact.phone == "+821033334444")).one()
    called.attempts = 1
    db.add(called)
    db.commit()
    add_dnc(db, ["+821011112222", "+821033334444"], "heard as an opt-out", "call:a1", now=NOW)
    later = NOW + timedelta(hours=2)
    removed = remove_dnc(db, "+821011112222", "the customer asked about the rate", "kim",
                         now=later)  # fmt: skip
    remove_dnc(db, "+821033334444", "wrong number typed", "lee", now=later)
    assert removed.reason == "heard as an opt-out" and removed.source == "call:a1"
    assert is_blocked(db, "+821011112222") is None
    db.expire_all()
    back = {r.phone: (r.status, r.queued)
            for r in db.exec(select(Contact).where(Contact.campaign_id == c.id))}
    assert back == {"+821011112222": ("new", True), "+821033334444": ("retry", True)}
    trail = [(a.action, a.phone, a.by, a.reason, a.source, a.at.astimezone(UTC))
             for a in dnc_audit(db, "+821011112222")]
    assert trail == [
        ("add", "+821011112222", None, "heard as an opt-out", "call:a1", NOW),
        ("remove", "+821011112222", "kim", "the customer asked about the rate", "cli", later),
    ]
    assert len(dnc_audit(db)) == 4


def test_adding_again_is_not_a_second_add_in_the_trail(db: Session) -> None:
    add_dnc(db, ["+821012345678"], "asked", "cli", by="kim", now=NOW)
    add_dnc(db, ["+821012345678"], "asked again", "cli", by="lee", now=NOW)
    assert [(a.action, a.by, a.reason) for a in dnc_audit(db)] == [("add", "kim", "asked")]


@pytest.mark.parametrize(("phone", "reason", "by", "message"), [
    ("+821099998888", "typo", "kim", "is not on the do-not-call list"),
    ("+821012345678", "  ", "kim", "say why"),
    ("+821012345678", "typo", "", "say who"),
])
def test_a_removal_that_cannot_be_made_changes_nothing(
        db: Session, phone: str, reason: str, by: str, message: str) -> None:
    add_dnc(db, ["+821012345678"], "asked", "cli", now=NOW)
    with pytest.raises(InvalidInput, match=message):
        remove_dnc(db, phone, reason, by)
    db.rollback()
    assert is_blocked(db, "+821012345678") is not None
    assert [a.action for a in dnc_audit(db)] == ["add"]


def test_the_commands_keep_the_trail_by_the_os_user_or_by(tmp_path: Path) -> None:
    home = ["--home", str(tmp_path / "home")]
    run = CliRunner()
    done = run.invoke(app, [*home, "dnc", "add", "010-1234-5678", "--reason", "complaint"])
    assert done.exit_code == 0, done.output
    done = run.invoke(app, [*home, "dnc", "remove", "010-1234-5678", "--reason",
                            "listed the wrong customer", "--by", "park", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["was_reason"] == "complaint"
    check = run.invoke(app, [*home, "dnc", "check", "+821012345678", "--json"])
    assert json.loads(check.output)["blocked"] is False
    audit = run.invoke(app, [*home, "dnc", "audit", "--json"])
    assert audit.exit_code == 0, audit.output
    rows = json.loads(audit.output)
    assert [(r["action"], r["phone"], r["by"], r["reason"]) for r in rows] == [
        ("add", "+821012345678", getpass.getuser(), "complaint"),
        ("remove", "+821012345678", "park", "listed the wrong customer"),
    ]
    assert all(datetime.fromisoformat(r["at"]) for r in rows)
    table = run.invoke(app, [*home, "dnc", "audit"])
    assert table.exit_code == 0 and "park" in table.output and "remove" in table.output


def test_removing_a_number_not_listed_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "OUTREACH_HOME": str(tmp_path / "home")}
    env.pop("OUTREACH_DEBUG", None)
    proc = subprocess.run([OUTREACH, "dnc", "remove", "010-5555-6666", "--reason", "typo"],
                          env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "+821055556666 is not on the do-not-call list" in lines[0]


def test_numbers_listed_before_the_audit_trail_keep_their_add(db_url: str) -> None:
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    from campaigns.db import MIGRATIONS, create_db_engine

    engine = create_db_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0006")  # the last one before dnc_audit
            conn.execute(sa.text("INSERT INTO dnc_entry (phone, reason, source, added_at) "
                                 "VALUES ('+821012345678', 'old complaint', 'import', :t)"),
                         {"t": NOW})  # fmt: skip
            command.upgrade(cfg, "head")
            rows = conn.execute(sa.text("SELECT phone, action, reason, source, by FROM "
                                        "dnc_audit")).all()  # fmt: skip
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("+821012345678", "add", "old complaint", "import", None)]



def test_a_removal_lifts_the_hold_the_listing_put_on_a_contact(db_url: str) -> None:
    """A number listed while its contact waited in the dialer's hopper is held back by the dial
    gate (status dnc, hold "dnc"); `dnc remove` puts it back on the queue with no hold left."""
    from campaigns.dialing import claim
    from campaigns.gate import admit
    from tests.campaigns.helpers import T0, make_campaign

    engine, cid = make_campaign(db_url, 1)
    lease = timedelta(minutes=10)
    [held] = claim(engine, cid, 1, "w1", lease, now=T0)
    run = CliRunner()

    def cli(*args: str) -> str:
        done = run.invoke(app, ["--db", db_url, *args])
        assert done.exit_code == 0, done.output
        return done.output

    def contact() -> tuple[str, str | None]:
        with Session(engine) as s:
            row = s.exec(select(Contact).where(Contact.campaign_id == cid)).one()
            return row.status, row.hold_reason

    cli("dnc", "add", "010-0000-0000", "--reason", "heard as an opt-out")
    assert [r.kind for r in admit(engine, [held], lease, now=T0).refused] == ["dnc"]
    assert contact() == ("dnc", "dnc")
    cli("dnc", "remove", "010-0000-0000", "--reason", "heard wrong: asked about the rate",
        "--by", "kim")  # fmt: skip
    assert contact() == ("new", None), "back on the queue with no hold left"
    shown = json.loads(cli("contacts", "show", "c1", "010-0000-0000", "--json"))
    assert (shown["status"], shown["hold_reason"]) == ("new", None)
    # Dialled again: on a Wednesday noon in Seoul after the removal it is due, and claimed.
    due = json.loads(cli("campaign", "due", "c1", "--at", "2030-03-06T12:00", "--json"))
    assert [d["phone"] for d in due] == ["+821000000000"]
    noon = datetime(2030, 3, 6, 3, 0, tzinfo=UTC)
    assert [c.phone for c in claim(engine, cid, 1, "w1", lease, now=noon)] == ["+821000000000"]
