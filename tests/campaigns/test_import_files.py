"""Reading contact files as spreadsheets export them: encodings, separators, aliases, XLSX.

Files are generated here, in every encoding and with every separator the import accepts.
"""

from __future__ import annotations

import csv
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from campaigns import contact_writer
from campaigns.contact_writer import ContactWriter, Row
from campaigns.db import open_database
from campaigns.errors import InvalidInput
from campaigns.models import Campaign, Contact
from campaigns.tabular import map_columns, read_table

HEADERS = {
    "ko": ["휴대폰", "이름", "고객번호", "등급"],
    "zh": ["手机号码", "姓名", "客户号", "等级"],
    "en": ["Mobile Phone", "NAME", "customer_id", "grade"],
}
VALUES = {"ko": "김민수", "zh": "王伟", "en": "Kim"}


def write(path: Path, rows: list[list[str]], encoding: str, sep: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return path


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
@pytest.mark.parametrize(
    ("encoding", "lang", "region"),
    [
        ("utf-8", "ko", "KR"),
        ("utf-8-sig", "zh", "CN"),
        ("gbk", "zh", "CN"),
        ("gb18030", "zh", "KR"),
        ("cp949", "ko", "KR"),
        ("utf-16", "en", "KR"),
        ("utf-8", "en", "KR"),
    ],
)
def test_encodings_and_separators(tmp_path: Path, encoding: str, lang: str, region: str,
                                  sep: str) -> None:  # fmt: skip
    rows = [HEADERS[lang], ["010 1234 5678", VALUES[lang], "C1", "A"],
            ["", "", "", ""], ["+82 10-2222-3333", VALUES[lang], "C2", "B; or C"]]  # fmt: skip
    table = read_table(write(tmp_path / "l.csv", rows, encoding, sep), region=region)
    assert table.columns.phone == 0 and table.columns.name == 1
    assert table.columns.customer_id == 2
    assert table.columns.attributes == ((3, HEADERS[lang][3]),)
    assert list(table.rows) == [(2, rows[1]), (4, rows[3])]


def test_excel_separator_hint_line(tmp_path: Path) -> None:
    src = tmp_path / "l.csv"
    src.write_text("sep=;\nTel;Name\n010-1234-5678;Kim, Min-su\n", encoding="utf-8")
    table = read_table(src)
    assert list(table.rows) == [(3, ["010-1234-5678", "Kim, Min-su"])]


def test_carriage_return_only_lines(tmp_path: Path) -> None:
    src = _bytes(tmp_path / "mac.csv", b"phone,name\r010-1111-2222,a\r010-1111-3333,b\r")
    assert [(line, cells[1]) for line, cells in read_table(src).rows] == [(2, "a"), (3, "b")]


def test_quoted_newlines_keep_line_numbers(tmp_path: Path) -> None:
    src = tmp_path / "l.csv"
    src.write_text('phone,note\n010-1111-2222,"two\nlines"\n010-1111-3333,x\n', encoding="utf-8")
    assert [line for line, _ in read_table(src).rows] == [2, 4]


@pytest.mark.parametrize(
    ("header", "roles"),
    [
        (["手机", "姓名"], (0, 1, None, None)),
        (["电话", "客户号", "时区"], (0, None, 1, 2)),
        (["전화번호", "이름", "고객번호"], (0, 1, 2, None)),
        (["name", "TEL"], (1, 0, None, None)),
        (["Cell", "Time_Zone", "persona"], (0, None, None, 1)),
    ],
)
def test_header_aliases(header: list[str], roles: tuple[int | None, ...]) -> None:
    cols = map_columns(header)
    assert cols is not None
    assert (cols.phone, cols.name, cols.customer_id, cols.time_zone) == roles


def test_second_phone_column_and_duplicate_headers_become_attributes() -> None:
    cols = map_columns(["mobile", "tel", "note", "note", ""])
    assert cols is not None
    assert cols.attributes == ((1, "tel"), (2, "note"), (3, "note_4"), (4, "column_5"))


def _xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(["phone"])
    wb.save(path)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.csv", "does not exist"),
        (lambda p: p, "does not exist or is not a file"),
        (lambda p: _bytes(p / "x.csv", b"\x00\x01\x02binary"), "not a CSV or XLSX file"),
        (
            lambda p: _bytes(p / "x.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64),
            "old binary .xls",
        ),
        (lambda p: _bytes(p / "x.xlsx", b"name,phone\n"), "named like a workbook"),
        (lambda p: _zip(p / "x.xlsx"), "not a readable XLSX workbook"),
        (lambda p: _bytes(p / "x.csv", b"name,email\nKim,k@x\n"), "has no phone column"),
        (lambda p: _bytes(p / "x.csv", b""), "is empty"),
        (lambda p: _bytes(p / "x.csv", b"phone\n\x81\xff\xfe\x80\n"), "cannot decode"),
    ],
)
def test_unreadable_files_are_clear_errors(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(InvalidInput, match=message):
        read_table(path)


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    return path


def test_dnc_style_file_without_header(tmp_path: Path) -> None:
    src = _bytes(tmp_path / "dnc.txt", b"010-1234-5678\n+82 10 2222 3333\n")
    table = read_table(src, header_optional=True)
    assert list(table.rows) == [(1, ["010-1234-5678"]), (2, ["+82 10 2222 3333"])]
    assert read_table(_xlsx(tmp_path / "d.xlsx"), header_optional=True).header == ["phone"]


@pytest.mark.parametrize("staging", [False, True], ids=["copy", "staged"])
def test_fast_writer_stores_what_sqlalchemy_would(
    db_url: str, staging: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast paths (SQLite json_each, PostgreSQL COPY, straight or staged) must store exactly
    what Core stores."""
    monkeypatch.setattr(contact_writer, "POSTGRES_STAGING", staging)
    engine = open_database(db_url)
    now = datetime(2026, 3, 2, 1, 0, 0, 123456, tzinfo=UTC)
    table: sa.Table = Contact.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        campaigns: sa.Table = Campaign.__table__  # type: ignore[attr-defined]  # sqlmodel table
        cid = conn.execute(
            sa.insert(campaigns)
            .values(
                name="c",
                script_ref="s",
                region="KR",
                time_zone="Asia/Seoul",
                windows={},
                excluded_dates=[],
                max_channels=1,
                cps=1.0,
                max_attempts=3,
                max_per_day=3,
                retry_delays={},
                status="active",
                created_at=now,
            )
            .returning(campaigns.c.id)
        ).scalar_one()
        consts = {"campaign_id": cid, "status": "new", "queued": True, "attempts": 0,
                  "day_attempts": 0, "next_attempt_at": now, "created_at": now}  # fmt: skip
        samples: list[Row] = [
            ("+821011112222", "김", None, "Asia/Seoul", {"persona": "폴라이트", "n": "007"}, 2),
            ("+821011113333", "123", "C9", "Asia/Tokyo", {}, 3),
            ("+821011114444", "", "", "Asia/Seoul", {"q": 'say "hi" \\ \u00e9'}, 4),
        ]
        fast = ContactWriter(conn, table, consts)
        pg_mode = "stage" if staging else "copy"
        assert fast.mode == ("json" if conn.dialect.name == "sqlite" else pg_mode)
        fast.submit(samples[:2])
        fast.submit(samples[2:])
        fast.close()
        keys = ("phone", "name", "customer_id", "time_zone", "attributes", "source_line")
        core = [
            {**consts, **dict(zip(keys, r, strict=True)), "phone": "+8299" + r[0]} for r in samples
        ]
        conn.execute(table.insert(), core)
        raw = conn.exec_driver_sql(
            "SELECT name, customer_id, time_zone, attributes, status, queued, attempts, "
            "day_attempts, next_attempt_at, created_at, source_line, length(name), "
            "attributes IS NULL, customer_id IS NULL FROM contact ORDER BY id"
        ).all()
    assert raw[:3] == raw[3:]
    engine.dispose()
