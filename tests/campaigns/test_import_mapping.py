"""Column mapping at import: aliases for the usual CRM columns, --map and mapping files, and rows
without a value the campaign's script needs kept out with one line each."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlmodel import Session

from campaigns.columns import (
    HeaderSpec,
    map_columns,
    parse_map_options,
    read_mapping_file,
)
from campaigns.errors import InvalidInput
from campaigns.importer import Needs, import_contacts
from campaigns.models import Campaign
from tests.campaigns.test_import import NOW, contacts, make_campaign, read_errors, write_csv


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["客户号", "姓名", "手机号", "产品", "开户行"],
         ["customer_id", "name", "phone", "product", "bank"]),
        (["고객번호", "성명", "휴대폰", "상품", "지점"],
         ["customer_id", "name", "phone", "product", "branch"]),
        (["Customer ID", "Name", "Mobile", "Product", "Bank", "Branch"],
         ["customer_id", "name", "phone", "product", "bank", "branch"]),
        (["客户编号", "电话", "产品名称", "开户银行", "支行"],
         ["customer_id", "phone", "product", "bank", "branch"]),
    ],
)  # fmt: skip
def test_crm_header_aliases(header: list[str], expected: list[str]) -> None:
    cols = map_columns(header)
    assert cols is not None
    assert [field for _, field in cols.fields] == expected


def test_explicit_mapping_beats_aliases_and_keeps_the_rest() -> None:
    header = ["手机", "备用电话", "理财产品", "归属网点", "备注", "内部编码"]
    mapping = parse_map_options(["备用电话=phone", "理财产品=product", "归属网点=bank",
                                 "内部编码=-"])  # fmt: skip
    cols = map_columns(header, mapping)
    assert cols is not None
    assert cols.phone == 1, "the mapped column is the phone, the alias column an attribute"
    assert cols.described() == {"手机": "手机", "备用电话": "phone", "理财产品": "product",
                                "归属网点": "bank", "备注": "备注", "内部编码": "-"}  # fmt: skip
    assert (0, "手机") in cols.attributes and all(i != 5 for i, _ in cols.attributes)


def test_a_header_spelled_like_a_script_variable_is_that_variable() -> None:
    cols = map_columns(["phone", "Offer Rate", "Rate"], variables=("rate",))
    assert cols is not None
    assert cols.described() == {"phone": "phone", "Offer Rate": "Offer Rate", "Rate": "rate"}


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["产品"], "write it as COLUMN=field"),
        (["产品=pro duct"], "is not a field name"),
        (["=product"], "source column is empty"),
        (["产品=product", "名称=product"], "already taken by column '产品'"),
        (["产品=product", "产品=bank"], "already mapped to 'product'"),
    ],
)
def test_bad_map_options_are_one_clear_line(pairs: list[str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_map_options(pairs)


def test_mapping_files_yaml_and_csv(tmp_path: Path) -> None:
    yml = tmp_path / "m.yaml"
    yml.write_text("理财产品: product\n归属网点: bank\n内部编码: '-'\n", encoding="utf-8")
    assert read_mapping_file(yml) == {"理财产品": "product", "归属网点": "bank", "内部编码": "-"}
    tsv = tmp_path / "m.csv"
    tsv.write_text("source\tfield\n理财产品\tproduct\n\n归属网点\tbank\n", encoding="utf-8-sig")
    assert read_mapping_file(tsv) == {"理财产品": "product", "归属网点": "bank"}
    (tmp_path / "bad.yaml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="column: field"):
        read_mapping_file(tmp_path / "bad.yaml")
    with pytest.raises(InvalidInput, match="does not exist"):
        read_mapping_file(tmp_path / "none.yaml")


def test_a_mapped_column_missing_from_the_file_is_an_error(db: Session, tmp_path: Path) -> None:
    c = make_campaign(db)
    src = write_csv(tmp_path / "l.csv", [["phone", "产品"], ["010-1234-5678", "예금"]])
    spec = HeaderSpec({"理财产品": "product"})
    with pytest.raises(InvalidInput, match=r"no column 理财产品 .* its columns are: phone, 产品"):
        import_contacts(db, c, src, spec=spec, now=NOW)
    assert contacts(db, c) == [], "nothing is imported"


def _crm_rows() -> list[list[str]]:
    return [
        ["客户号", "姓名", "手机号", "理财产品", "开户行", "备注"],
        ["KH001", "王伟", "13812345678", "大额存单", "招商银行北京分行", "VIP"],   # 2
        ["KH002", "李娜", "13912345678", "", "招商银行上海分行", ""],              # 3 no product
        ["KH003", "", "13712345678", "理财", "招商银行广州分行", ""],              # 4 no name
        ["KH004", "", "13612345678", "", "", ""],                                  # 5 none
        ["KH005", "张敏", "13512345678", "定期", "招商银行深圳分行", ""],          # 6
        ["KH006", "张敏", "13512345678", "定期", "招商银行深圳分行", ""],          # 7 dup of 6
    ]  # fmt: skip


def test_rows_missing_a_required_variable_are_reported_not_imported(
    db: Session, tmp_path: Path
) -> None:
    c: Campaign = make_campaign(db, region="CN")
    src = write_csv(tmp_path / "crm.csv", _crm_rows(), encoding="gbk")
    spec = HeaderSpec({"理财产品": "product"}, ("name", "bank", "product", "rate"))
    needs = Needs("crm-deposit", ("name", "product", "bank"))
    got = import_contacts(db, c, src, spec=spec, needs=needs, now=NOW)
    assert (got.rows, got.imported, got.missing_variables, got.duplicates) == (6, 2, 3, 1)
    assert got.missing == {"product": 2, "name": 2, "bank": 1}
    assert got.columns == {"客户号": "customer_id", "姓名": "name", "手机号": "phone",
                           "理财产品": "product", "开户行": "bank", "备注": "备注"}  # fmt: skip
    stored = contacts(db, c)
    assert [(r.customer_id, r.name, r.attributes) for r in stored] == [
        ("KH001", "王伟", {"product": "大额存单", "bank": "招商银行北京分行", "备注": "VIP"}),
        ("KH005", "张敏", {"product": "定期", "bank": "招商银行深圳分行"}),
    ]
    errors = {int(e["line"]): e["reason"] for e in read_errors(got.errors_file)}
    assert errors[3] == ("no product, which the script crm-deposit needs: fill the column, or map "
                         "one to it with --map COLUMN=product")  # fmt: skip
    assert errors[4].startswith("no name, which")
    assert errors[5].startswith("no name, product, bank, which")
    assert errors[7] == "+8613512345678 repeats line 6"


def test_a_row_fixed_later_in_the_file_is_not_a_duplicate(db: Session, tmp_path: Path) -> None:
    """A row rejected for a missing value does not claim its number: the corrected row that
    follows it is imported."""
    c = make_campaign(db)
    rows = [["phone", "name"], ["010-1234-5678", ""], ["010-1234-5678", "김민수"]]
    got = import_contacts(db, c, write_csv(tmp_path / "l.csv", rows),
                          needs=Needs("s", ("name",)), now=NOW)  # fmt: skip
    assert (got.imported, got.missing_variables, got.duplicates) == (1, 1, 0)
    assert [r.name for r in contacts(db, c)] == ["김민수"]


def test_without_needs_nothing_is_required(db: Session, tmp_path: Path) -> None:
    c = make_campaign(db)
    src = tmp_path / "l.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["phone", "name"], ["010-1234-5678", ""]])
    assert import_contacts(db, c, src, now=NOW).imported == 1
