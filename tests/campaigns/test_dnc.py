"""The do-not-call list, on SQLite and PostgreSQL: idempotent, and it stops imported contacts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from campaigns.dnc import add_dnc, import_dnc_file, is_blocked, list_dnc
from campaigns.errors import InvalidInput
from campaigns.importer import import_contacts
from campaigns.models import Campaign, Contact

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def campaign_with(s: Session, tmp_path: Path, name: str, phones: list[str]) -> Campaign:
    c = Campaign(name=name, script_ref="s", region="KR", time_zone="Asia/Seoul", windows={},
                 created_at=NOW)  # fmt: skip
    s.add(c)
    s.commit()
    s.refresh(c)
    src = tmp_path / f"{name}.csv"
    src.write_text("phone\n" + "\n".join(phones) + "\n", encoding="utf-8")
    assert import_contacts(s, c, src).imported == len(phones)
    return c


def states(s: Session, c: Campaign) -> dict[str, tuple[str, bool]]:
    s.expire_all()
    rows = s.exec(select(Contact).where(Contact.campaign_id == c.id))
    return {r.phone: (r.status, r.queued) for r in rows}


def test_adding_is_idempotent_and_keeps_the_first_reason(db: Session) -> None:
    assert (
        add_dnc(db, ["+821012345678", "+821012345678"], "asked on the phone", "cli", now=NOW) == 1
    )
    assert add_dnc(db, ["+821012345678", "+821022223333"], "complaint", "cli",
                   now=NOW + timedelta(hours=1)) == 1  # fmt: skip
    entry = is_blocked(db, "+821012345678")
    assert entry is not None and entry.reason == "asked on the phone" and entry.source == "cli"
    assert is_blocked(db, "+821099998888") is None
    assert [e.phone for e in list_dnc(db)][-1] == "+821022223333"


def test_listing_stops_contacts_in_every_campaign(db: Session, tmp_path: Path) -> None:
    a = campaign_with(db, tmp_path, "a", ["010-1111-2222", "010-3333-4444"])
    b = campaign_with(db, tmp_path, "b", ["010-1111-2222"])
    # A contact that already finished keeps its status but leaves the queue all the same.
    finished = db.exec(select(Contact).where(Contact.campaign_id == b.id)).one()
    finished.status = "done"
    db.add(finished)
    db.commit()
    assert add_dnc(db, ["+821011112222"], "asked", "call:abc") == 1
    assert states(db, a) == {"+821011112222": ("dnc", False), "+821033334444": ("new", True)}
    assert states(db, b) == {"+821011112222": ("done", False)}


def test_import_file_without_header(db: Session, tmp_path: Path) -> None:
    c = campaign_with(db, tmp_path, "c", ["010-5555-6666"])
    src = tmp_path / "dnc.txt"
    src.write_text("010-5555-6666\n+82 10 7777 8888\nnot a number\n\n010 7777 8888\n",
                   encoding="utf-8")  # fmt: skip
    got = import_dnc_file(db, src, region="KR")
    assert (got.rows, got.added, got.already_listed, got.invalid) == (4, 2, 0, 1)
    assert got.invalid_rows == [(3, "not a number")]
    assert states(db, c) == {"+821055556666": ("dnc", False)}
    again = import_dnc_file(db, src)
    assert (again.added, again.already_listed) == (0, 2)


def test_import_chinese_file_with_header(db: Session, tmp_path: Path) -> None:
    src = tmp_path / "dnc.csv"
    src.write_bytes("姓名,手机号\n王伟,13812345678\n李娜,139 0000 1111\n".encode("gbk"))
    got = import_dnc_file(db, src, region="CN", reason="regulator list")
    assert got.added == 2
    assert [(e.phone, e.reason, e.source) for e in list_dnc(db)] == [
        ("+8613812345678", "regulator list", "import"),
        ("+8613900001111", "regulator list", "import"),
    ]


def test_bad_input_is_refused(db: Session) -> None:
    with pytest.raises(InvalidInput, match=r"not an E\.164 number"):
        add_dnc(db, ["010-1234-5678"], "x")
    with pytest.raises(InvalidInput, match="needs a reason"):
        add_dnc(db, ["+821012345678"], " ")
    assert list_dnc(db) == []
