"""`outreach contacts list|search|show|remove` as a campaign manager uses them, on both DBs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from campaigns.calls import CallReport, finish_attempt
from campaigns.db import open_database
from campaigns.dialing import AttemptResult, claim
from campaigns.models import Attempt, Campaign, Contact
from orchestrator.cli import _user_error_in, app

SOON = datetime(2030, 1, 2, 3, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Seoul, after the import
LIST = [
    "고객번호,이름,휴대폰,상품",
    "C001,김민수,010-1111-2222,정기 예금",
    "C002,이영희,010-3333-4444,적금",
    "C003,박민수,010-5555-6666,정기 예금",
    "C004,최지우,010-7777-8888,적금",
]


def cli(db_url: str, *args: str, code: int = 0) -> Any:
    """The command's output; with code=2, the user error it stopped on (`outreach` prints it
    as one line and exits 2)."""
    result = CliRunner().invoke(app, ["--db", db_url, *args])
    if code == 2:
        assert result.exception is not None and _user_error_in(result.exception), result.output
        return str(result.exception)
    assert result.exit_code == code, (result.output, result.exception)
    return json.loads(result.stdout) if "--json" in args else result.stdout


@pytest.fixture
def book(db_url: str, tmp_path: Path) -> str:
    cli(db_url, "campaign", "create", "spring", "--script", "ko-dormant-deposit")
    cli(db_url, "campaign", "create", "autumn", "--script", "ko-dormant-deposit")
    src = tmp_path / "list.csv"
    src.write_text("\n".join(LIST) + "\n", encoding="utf-8")
    cli(db_url, "contacts", "import", "spring", str(src), "--json")
    other = tmp_path / "other.csv"
    other.write_text("이름,휴대폰\n김민수,01011112222\n", encoding="utf-8")
    cli(db_url, "contacts", "import", "autumn", str(other), "--json")
    return db_url


def test_list_shows_columns_and_totals(book: str) -> None:
    rows = cli(book, "contacts", "list", "spring", "--json")
    assert [(r["phone"], r["customer_id"], r["attributes"]) for r in rows] == [
        ("+821011112222", "C001", {"product": "정기 예금"}),
        ("+821033334444", "C002", {"product": "적금"}),
        ("+821055556666", "C003", {"product": "정기 예금"}),
        ("+821077778888", "C004", {"product": "적금"}),
    ]
    shown = cli(book, "contacts", "list", "spring", "--limit", "2")
    assert "2 of 4 contact(s); --limit 4 shows all" in shown and "C002" in shown
    assert "C003" not in shown
    assert cli(book, "contacts", "list", "spring", "--status", "done", "--json") == []


def test_search_by_phone_name_customer_id_and_status(book: str) -> None:
    def phones(*args: str) -> list[tuple[str, str]]:
        rows = cli(book, "contacts", "search", *args, "--json")
        return [(r["campaign"], r["phone"]) for r in rows]

    both = [("spring", "+821011112222"), ("autumn", "+821011112222")]
    assert sorted(phones("010 1111 2222")) == sorted(both), "any format, every campaign"
    assert phones("--phone", "+82-10-1111-2222", "--campaign", "autumn") == both[1:]
    assert phones("5555") == [("spring", "+821055556666")], "part of a number"
    assert sorted(phones("민수")) == sorted([*both, ("spring", "+821055556666")])
    assert phones("C004") == [("spring", "+821077778888")]
    assert phones("--customer-id", "C002") == [("spring", "+821033334444")]
    assert phones("--name", "민수", "--campaign", "spring") == [
        ("spring", "+821011112222"), ("spring", "+821055556666")]  # fmt: skip
    assert phones("nobody") == []
    assert "3 of 3 contact(s)" in cli(book, "contacts", "search", "민수")
    assert "give something to search for" in cli(book, "contacts", "search", code=2)
    assert "unknown status 'gone'" in cli(book, "contacts", "search", "--status", "gone", code=2)


def test_show_renders_the_greeting_with_the_contacts_values(book: str) -> None:
    shown = cli(book, "contacts", "show", "spring", "C002", "--json")
    assert shown["phone"] == "+821033334444" and shown["calls"] == []
    assert "이영희 고객님 맞으신가요?" in shown["greeting"]
    text = cli(book, "contacts", "show", "spring", "010-3333-4444")
    assert "greeting:" in text and "product" in text and "적금" in text
    assert "no contact has the number or customer id 'C999'" in cli(
        book, "contacts", "show", "spring", "C999", code=2)  # fmt: skip


def _ids(db_url: str) -> dict[str, int]:
    engine = open_database(db_url)
    try:
        with engine.connect() as conn:
            cid = conn.execute(sa.select(Campaign.id).where(Campaign.name == "spring")).scalar()  # type: ignore[arg-type]
            assert cid is not None
            (a, b) = claim(engine, cid, 2, "w1", timedelta(minutes=5), SOON)
            finish_attempt(engine, a.attempt_id, CallReport(AttemptResult("no_answer")), SOON)
            return {"called": a.contact_id, "on_call": b.contact_id, "campaign": cid}
    finally:
        engine.dispose()


def test_remove_deletes_uncalled_keeps_called_refuses_live(book: str) -> None:
    ids = _ids(book)  # C001 called once (no answer), C002 on a call now
    out = cli(book, "contacts", "remove", "spring", "010-1111-2222", "--customer-id", "C003",
              "--json")  # fmt: skip
    assert out == {"deleted": ["+821055556666"], "removed_kept_history": ["+821011112222"],
                   "refused_in_call": []}  # fmt: skip
    busy = cli(book, "contacts", "remove", "spring", "C002", code=1)
    assert "not removed, on a call right now (try again when it ends): +821033334444" in busy
    engine = open_database(book)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(Contact.id, Contact.status, Contact.queued).where(
                Contact.campaign_id == ids["campaign"])).all()  # type: ignore[arg-type]  # fmt: skip
            attempts = conn.execute(sa.select(sa.func.count()).select_from(Attempt)).scalar()
    finally:
        engine.dispose()
    status = {r.id: (r.status, r.queued) for r in rows}
    assert status[ids["called"]] == ("removed", False), "kept, out of the queue for good"
    assert status[ids["on_call"]] == ("calling", True), "untouched: its call goes on"
    assert len(status) == 3 and attempts == 2, "the history of both calls is kept"
    assert cli(book, "contacts", "show", "spring", "010-1111-2222", "--json")["calls"][0][
        "outcome"] == "no_answer"  # fmt: skip
    # Nothing of an all-or-nothing remove happens when one of the contacts does not exist.
    assert "no contact has the number" in cli(book, "contacts", "remove", "spring",
                                              "010-7777-8888", "010-9999-0000", code=2)  # fmt: skip
    assert len(cli(book, "contacts", "list", "spring", "--status", "new", "--json")) == 1
