"""Fuzzing the contact importer with hypothesis: random bytes, CSV-ish text in the encodings and
separators spreadsheets use (cut short at random), and damaged XLSX workbooks. Every file ends as
either one clear line (an InvalidInput, which the CLI prints without a traceback, nothing
imported) or a result where every row is accounted for: imported, or rejected with its reason
in the errors file; and every imported row is in the database."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from campaigns.errors import CampaignError, InvalidInput
from campaigns.importer import import_contacts
from campaigns.models import Campaign, Contact
from tests.campaigns.test_import import make_campaign

_names = itertools.count()
_EXAMPLES = settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


def _stored(db: Session, campaign_id: int) -> int:
    db.expire_all()
    query = sa.select(sa.func.count()).select_from(Contact).where(
        Contact.campaign_id == campaign_id  # type: ignore[arg-type]  # sqlmodel column
    )
    return int(db.execute(query).scalar_one())


def _import_and_check(db: Session, tmp_path: Path, data: bytes, suffix: str) -> None:
    camp = db.exec(select(Campaign).where(Campaign.name == "fuzz")).first()
    camp = camp or make_campaign(db, "fuzz")  # one campaign for every example of a test
    assert camp.id is not None
    path = tmp_path / f"list{next(_names)}{suffix}"
    path.write_bytes(data)
    before = _stored(db, camp.id)
    try:
        result = import_contacts(db, camp, path)
    except CampaignError as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
        assert _stored(db, camp.id) == before  # on an error nothing is written at all
        return
    rejected = result.duplicates + result.invalid + result.dnc + result.missing_variables
    assert result.rows == result.imported + rejected  # every row accounted for
    assert _stored(db, camp.id) == before + result.imported  # accepted rows are all there
    if rejected:
        assert result.errors_file is not None
        with open(result.errors_file, encoding="utf-8-sig", newline="") as fh:
            assert len(list(csv.DictReader(fh))) == rejected  # each rejected row, with a reason


_cell = st.one_of(
    st.sampled_from(["010-1234-5678", "+82 10 2222 3333", "13812345678", "0212345678", "",
                     "김민수", "王伟", "=cmd|' /C calc'!A0", '"', "\r", "010-1234-5678x"]),
    st.text(max_size=15),
)  # fmt: skip
_header = st.lists(st.sampled_from(["phone", "name", "휴대폰", "이름", "手机号码", "姓名",
                                    "customer_id", "Mobile Phone", "", "phone"]),
                   min_size=1, max_size=4)  # fmt: skip


@st.composite
def _csvish(draw: st.DrawFn) -> bytes:
    header = draw(_header)
    rows = draw(st.lists(st.lists(_cell, max_size=5), max_size=12))
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    out = io.StringIO()
    csv.writer(out, delimiter=sep).writerows([header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp949", "gb18030", "utf-16"]))
    data = out.getvalue().encode(encoding, errors="replace")
    cut = draw(st.integers(0, len(data)))
    return data if draw(st.booleans()) else data[:cut]


def _workbook() -> bytes:
    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    for row in (["phone", "name"], ["010-1234-5678", "김민수"], ["010-2222-3333", "이영희"]):
        sheet.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_XLSX = _workbook()


@st.composite
def _damaged_xlsx(draw: st.DrawFn) -> bytes:
    data = bytearray(_XLSX)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(4, len(data)))])


@_EXAMPLES
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".txt", ".xlsx"]))
def test_random_bytes_are_one_line_or_rows_accounted_for(
    db: Session, tmp_path: Path, data: bytes, suffix: str
) -> None:
    _import_and_check(db, tmp_path, data, suffix)


@_EXAMPLES
@given(data=_csvish())
def test_csvish_files_are_one_line_or_rows_accounted_for(
    db: Session, tmp_path: Path, data: bytes
) -> None:
    _import_and_check(db, tmp_path, data, ".csv")


@_EXAMPLES
@given(data=_damaged_xlsx())
def test_damaged_workbooks_are_one_line_or_rows_accounted_for(
    db: Session, tmp_path: Path, data: bytes
) -> None:
    _import_and_check(db, tmp_path, data, ".xlsx")


# What the fuzzing found on main (each escaped as a traceback), kept as plain regression cases.
def test_a_header_row_that_is_not_readable_csv_is_one_line(db: Session, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b'""\r\n010-1234-5678;"\r"\r\n')  # a bare CR in a field of the header row
    with pytest.raises(InvalidInput, match="header row is not readable CSV"):
        import_contacts(db, make_campaign(db, "hdr"), path)


def test_a_workbook_damaged_inside_is_one_line(db: Session, tmp_path: Path) -> None:
    data = bytearray(_XLSX)
    at = data.index(b"xl/worksheets/sheet1.xml") + len(b"xl/worksheets/sheet1.xml")
    data[at + 4 : at + 12] = b"\xff" * 8  # the sheet's deflate stream: zlib.error inside
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    camp = make_campaign(db, "xl")
    with pytest.raises(InvalidInput, match="damaged XLSX workbook") as caught:
        import_contacts(db, camp, path)
    assert "\n" not in str(caught.value)
    assert camp.id is not None and _stored(db, camp.id) == 0
