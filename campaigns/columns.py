"""Which column of a contact list is which field: header aliases, the user's column mapping.

A column is one of the built-in fields (phone, name, customer_id, time_zone), a named contact
variable (`product`, `bank`: kept in the contact's attributes and used by prompt templates), or
skipped (`-`). An explicit mapping (`--map 产品=product`, a mapping file) wins over the aliases;
a header that is neither mapped nor an alias is kept as an attribute under its own text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from campaigns.errors import InvalidInput

BUILTIN = ("phone", "name", "customer_id", "time_zone")
SKIP = "-"


def key(cell: str) -> str:
    """A header compared loosely: lower case without spaces, underscores, dashes or dots."""
    return re.sub(r"[\s_.\-]+", "", cell.strip().lstrip("\ufeff").lower())


def _table(spec: dict[str, str]) -> dict[str, frozenset[str]]:
    return {field: frozenset(key(n) for n in names.split()) for field, names in spec.items()}


# Built-in fields: the first column that matches takes the field.
_ROLE_ALIASES = _table({
    "phone": "phone phonenumber phoneno mobile mobilephone mobileno mobilenumber tel "
    "telephone cell cellphone msisdn 手机 手机号 手机号码 电话 电话号码 联系电话 移动电话 "
    "전화번호 휴대폰 휴대폰번호 휴대전화 핸드폰 연락처 전화",
    "name": "name fullname customername 姓名 名字 客户姓名 客户名称 이름 성명 고객명",
    "customer_id": "customerid custid clientid accountid id 客户号 客户编号 客户id 客户代码 "
    "고객번호 고객id 고객코드",
    "time_zone": "timezone tz 时区 시간대",
})  # fmt: skip
# The variables bank CRMs export most, named as the bundled scripts name them.
_VARIABLE_ALIASES = _table({
    "product": "product productname 产品 产品名称 产品名 상품 상품명",
    "bank": "bank bankname 开户行 开户银行 银行 은행 은행명 개설은행",
    "branch": "branch branchname 支行 分行 网点 开户网点 지점 영업점 지점명",
})  # fmt: skip


@dataclass(frozen=True)
class Columns:
    """Where the built-in fields are; `attributes` are (column, variable name) for the rest."""

    phone: int
    name: int | None = None
    customer_id: int | None = None
    time_zone: int | None = None
    attributes: tuple[tuple[int, str], ...] = ()
    fields: tuple[tuple[str, str], ...] = ()  # (header, field) per column, "-" when skipped

    def described(self) -> dict[str, str]:
        return dict(self.fields)


def _label(cell: str, i: int) -> str:
    return cell.strip().lstrip("\ufeff") or f"column_{i + 1}"


def _explicit(header: Sequence[str], mapping: Mapping[str, str]) -> dict[int, str]:
    """Column index -> field for the user's mapping (exact header first, then loosely)."""
    by_key = {key(src): dst for src, dst in mapping.items()}
    out: dict[int, str] = {}
    for i, cell in enumerate(header):
        dst = mapping.get(cell.strip().lstrip("\ufeff"))
        if dst is None:
            dst = by_key.get(key(cell))
        if dst is not None:
            out[i] = dst
    return out


def map_columns(header: Sequence[str], mapping: Mapping[str, str] | None = None,
                variables: Iterable[str] = ()) -> Columns | None:  # fmt: skip
    """The column roles of a header row, or None when it has no phone column.

    `variables` are the script's variable names: a header spelled like one (`Rate` for `rate`)
    is taken as that variable."""
    explicit = _explicit(header, mapping or {})
    var_keys = {key(v): v for v in variables}
    found = {dst: i for i, dst in explicit.items() if dst in BUILTIN}
    taken = {dst for dst in explicit.values() if dst not in BUILTIN}
    fields: list[tuple[str, str]] = []
    attributes: list[tuple[int, str]] = []
    for i, cell in enumerate(header):
        k = key(cell)
        dst = explicit.get(i)
        if dst is None:
            role = next((r for r, names in _ROLE_ALIASES.items() if k in names), None)
            if role is not None and role not in found:
                found[role] = i
                dst = role
        if dst is None:
            alias = next((f for f, names in _VARIABLE_ALIASES.items() if k in names), None)
            alias = alias or var_keys.get(k)
            if alias is not None and alias not in taken:
                taken.add(alias)
                dst = alias
        if dst is None:
            dst = _label(cell, i)
            taken_labels = {a for _, a in attributes} | taken
            if dst in taken_labels:
                dst = f"{dst}_{i + 1}"
        if dst not in BUILTIN and dst != SKIP:
            attributes.append((i, dst))
        fields.append((_label(cell, i), dst))
    if "phone" not in found:
        return None
    return Columns(found["phone"], found.get("name"), found.get("customer_id"),
                   found.get("time_zone"), tuple(attributes), tuple(fields))  # fmt: skip


@dataclass(frozen=True)
class HeaderSpec:
    """How to read a header: the user's column mapping and the script's variable names."""

    mapping: Mapping[str, str] = field(default_factory=dict)
    variables: tuple[str, ...] = ()

    def columns(self, header: Sequence[str]) -> Columns | None:
        return map_columns(header, self.mapping, self.variables)


def check_mapping_against(header: Sequence[str], mapping: Mapping[str, str], path: Path) -> None:
    """Every mapped column must be in the file: a misspelt header would silently map nothing."""
    present = {key(c) for c in header}
    absent = [src for src in mapping if key(src) not in present]
    if absent:
        shown = ", ".join(c.strip() for c in header if c.strip())
        raise InvalidInput(
            f"{path} has no column {', '.join(absent)} named in the column mapping; "
            f"its columns are: {shown}"
        )


def _check_field(source: str, field: str, where: str) -> str:
    field = field.strip()
    if not source.strip():
        raise InvalidInput(f"{where}: the source column is empty; write it as COLUMN=field")
    if field != SKIP and not field.isidentifier():
        raise InvalidInput(
            f"{where}: {field!r} is not a field name: use phone, name, customer_id, time_zone, "
            "a script variable such as product, or - to skip the column"
        )
    return field


def parse_map_options(pairs: Iterable[str]) -> dict[str, str]:
    """`--map 产品=product` options, in order; a column given twice is an error."""
    out: dict[str, str] = {}
    for pair in pairs:
        src, sep, dst = pair.partition("=")
        if not sep:
            raise InvalidInput(f"--map {pair!r}: write it as COLUMN=field, e.g. --map 产品=product")
        add_mapping(out, src.strip(), _check_field(src, dst, f"--map {pair!r}"), f"--map {pair!r}")
    return out


def add_mapping(out: dict[str, str], src: str, dst: str, where: str) -> None:
    if src in out and out[src] != dst:
        raise InvalidInput(f"{where}: column {src!r} is already mapped to {out[src]!r}")
    clash = next((s for s, d in out.items() if d == dst and s != src and d != SKIP), None)
    if clash is not None:
        raise InvalidInput(f"{where}: field {dst!r} is already taken by column {clash!r}")
    out[src] = dst


def read_mapping_file(path: Path) -> dict[str, str]:
    """A mapping file: YAML (`产品: product`) or CSV/TSV (`source,field` per line)."""
    if not path.is_file():
        raise InvalidInput(f"mapping file {path} does not exist or is not a file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"mapping file {path} is not UTF-8 text: save it as UTF-8") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        pairs = _yaml_pairs(text, path)
    else:
        pairs = _csv_pairs(text, path)
    out: dict[str, str] = {}
    for line, src, dst in pairs:
        where = f"{path} line {line}"
        add_mapping(out, src.strip(), _check_field(src, dst, where), where)
    if not out:
        raise InvalidInput(f"mapping file {path} maps no column: write one `column: field` a line")
    return out


def _yaml_pairs(text: str, path: Path) -> list[tuple[int, str, str]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"mapping file {path} is not valid YAML: {exc}".splitlines()[0]) from exc
    if data is None:
        return []
    if not isinstance(data, dict):
        raise InvalidInput(f"mapping file {path} must be `column: field` lines (a YAML mapping)")
    return [(i + 1, str(k), str(v)) for i, (k, v) in enumerate(data.items())]


def _csv_pairs(text: str, path: Path) -> list[tuple[int, str, str]]:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delim = max((",", "\t", ";"), key=first.count)
    out: list[tuple[int, str, str]] = []
    for n, row in enumerate(csv.reader(text.splitlines(), delimiter=delim), 1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) < 2:
            raise InvalidInput(f"{path} line {n}: write the source column, then the field")
        if not out and key(cells[0]) in ("source", "column", "header") and key(cells[1]) in (
            "field", "target", "variable"):  # fmt: skip
            continue  # a header row
        out.append((n, cells[0], cells[1]))
    return out
