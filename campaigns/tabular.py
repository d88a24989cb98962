"""Reading a contact list: CSV in the encodings Korean and Chinese Excel writes (UTF-8, BOM,
UTF-16, GB18030/GBK, CP949), separators sniffed, header aliases in three languages, and XLSX.
`read_table` gives the header's column roles and an iterator of rows with their line numbers."""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from campaigns.columns import Columns, HeaderSpec, check_mapping_against, map_columns
from campaigns.errors import InvalidInput

__all__ = ["Columns", "HeaderSpec", "Table", "map_columns", "read_table"]
_PLAIN = HeaderSpec()

_DELIMITERS = (",", ";", "\t", "|")
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_SAVE_AS = "save it from Excel as 'CSV UTF-8' or .xlsx"


@dataclass
class Table:
    """A readable file: its header, the column roles, and (line number, cells) per data row."""

    header: list[str]
    columns: Columns
    rows: Iterator[tuple[int, list[str]]]
    total: int | None  # data rows, when known up front (for the progress bar)
    encoding: str
    broken: dict[int, str] = field(default_factory=dict)  # line -> why it could not be read
    has_nul: bool = False  # a NUL somewhere: rows are checked for it (PostgreSQL refuses NUL)

    def close(self) -> None:
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()


def _sniff(first_line: str, spec: HeaderSpec = _PLAIN) -> tuple[str, list[str], Columns | None]:
    """The separator that splits the header into a known layout (else into the most columns)."""
    best: tuple[bool, int, str, list[str], Columns | None] | None = None
    for delim in _DELIMITERS:
        cells = next(csv.reader([first_line], delimiter=delim), [])
        cols = spec.columns(cells)
        cand = (cols is not None, len(cells), delim, cells, cols)
        if best is None or cand[:2] > best[:2]:
            best = cand
    assert best is not None
    return best[2], best[3], best[4]


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip() and not line.lower().startswith("sep="):
            return line
    return ""


def _decode(data: bytes, path: Path, region: str, encoding: str | None,
            spec: HeaderSpec) -> tuple[str, str]:  # fmt: skip
    """The text of a CSV and the encoding used: BOM, UTF-8, then GB18030 / CP949 by header."""
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {path} as {encoding}: {exc}") from exc
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise InvalidInput(f"{path} starts like {enc} but is not: {exc}") from exc
    head = data[:4096]
    if b"\x00" in head.split(b"\n", 1)[0] or head.count(b"\x00") > 16:
        raise InvalidInput(f"{path} is not a CSV or XLSX file (binary content); {_SAVE_AS}")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Legacy Excel exports: GBK/GB18030 in China, CP949 in Korea. Both decode many of each
    # other's bytes, so the one whose header names a phone column wins; ties go by region.
    legacy = ["cp949", "gb18030"] if region.upper() == "KR" else ["gb18030", "cp949"]
    decoded = []
    for enc in legacy:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _sniff(_first_line(text), spec)[2] is not None:
            return text, enc
        decoded.append((text, enc))
    if decoded:
        return decoded[0]
    raise InvalidInput(
        f"cannot decode {path}: it is not UTF-8, GB18030 or CP949 text; {_SAVE_AS} "
        "(or name the encoding with --encoding)"
    )


def _columns_or_fail(header: list[str], path: Path, optional: bool,
                     spec: HeaderSpec) -> tuple[Columns, bool]:  # fmt: skip
    """The columns and whether the first row was a header."""
    if spec.mapping:
        check_mapping_against(header, spec.mapping, path)
    cols = spec.columns(header)
    if cols is not None:
        return cols, True
    if optional:
        return Columns(0), False
    raise InvalidInput(
        f"{path} has no phone column: its header is {header!r}; name one column phone, mobile, "
        "tel, 手机号, 电话 or 전화번호 (or map one: --map COLUMN=phone)"
    )


def _lines(text: str) -> Iterator[str]:
    """The text's lines with their endings, sliced lazily: io.StringIO would copy the whole file
    into a buffer four bytes a character."""
    start, end = 0, len(text)
    find = text.find
    newline = "\n" if "\n" in text or "\r" not in text else "\r"  # old Mac Excel: CR only
    while start < end:
        stop = find(newline, start)
        stop = end if stop < 0 else stop + 1
        yield text[start:stop]
        start = stop


def _csv_table(text: str, enc: str, path: Path, header_optional: bool,
               spec: HeaderSpec) -> Table:  # fmt: skip
    hint = text[:6].rstrip("\r\n")
    if hint.lower().startswith("sep=") and len(hint) == 5:
        delim = hint[4]  # Excel's separator hint line, "sep=;"
    else:
        delim = _sniff(_first_line(text), spec)[0]
    reader = csv.reader(_lines(text), delimiter=delim)
    first: list[str] = []
    try:
        for first in reader:
            if reader.line_num == 1 and first and first[0].lower().startswith("sep="):
                continue
            if any(c.strip() for c in first):
                break
    except csv.Error as exc:  # found by fuzzing: it escaped as a traceback
        raise InvalidInput(
            f"{path} line {reader.line_num}: the header row is not readable CSV ({exc}); "
            "save the list again as CSV (UTF-8) with one header row"
        ) from exc
    if not first:
        raise InvalidInput(f"{path} is empty: it needs a header row and one contact per row")
    cols, had_header = _columns_or_fail(first, path, header_optional, spec)
    header_line = reader.line_num
    broken: dict[int, str] = {}

    def rows() -> Iterator[tuple[int, list[str]]]:
        start = header_line
        if not had_header:
            yield header_line, first
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # the reader goes on with the next line
                line, start = start + 1, reader.line_num
                broken[line] = f"unreadable CSV row: {exc}"
                yield line, []
                continue
            line, start = start + 1, reader.line_num
            if cells and (cells[0].strip() or any(c.strip() for c in cells)):
                yield line, cells

    total = max(text.count("\n") - header_line + (0 if had_header else 1), 0)
    return Table(first if had_header else [], cols, rows(), total, enc, broken, "\x00" in text)


def _xl_str(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone typed into a number cell
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _xlsx_table(path: Path, header_optional: bool, spec: HeaderSpec) -> Table:
    import openpyxl  # only when a workbook comes: it is slow to import
    from openpyxl.utils.exceptions import InvalidFileException

    # A damaged workbook fails deep inside zipfile, zlib or the XML parser, with whatever error
    # they raise (fuzzing found zlib.error, BadZipFile, EOFError, XML syntax errors): any of
    # them, on opening or on any row, is one line saying the workbook is unreadable. openpyxl
    # reads from memory (the compressed file; rows still stream): no file handle is left open
    # when it fails half-way through opening, nor by a caller that never reads the rows.
    wb = None

    def close() -> None:
        if wb is not None:
            wb.close()

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it cannot read
            data = io.BytesIO(path.read_bytes())
            wb = openpyxl.load_workbook(data, read_only=True, data_only=True)
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise InvalidInput(f"{path} has no worksheet; {_SAVE_AS}")
        numbered = enumerate(([_xl_str(v) for v in r] for r in ws.iter_rows(values_only=True)), 1)
        header_line, first = next(
            ((n, r) for n, r in numbered if any(c.strip() for c in r)), (0, [])
        )
        if not first:
            raise InvalidInput(
                f"{path} has no rows: it needs a header row and one contact per row"
            )
        cols, had_header = _columns_or_fail(first, path, header_optional, spec)
    except InvalidInput:
        close()
        raise
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        close()
        raise InvalidInput(f"{path} is not a readable XLSX workbook ({exc}); {_SAVE_AS}") from exc
    except Exception as exc:  # see above: the parsers' errors are not a set
        close()
        raise _unreadable(path, exc, None) from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        n = header_line
        try:
            if not had_header:
                yield header_line, first
            for n, cells in numbered:
                if any(c.strip() for c in cells):
                    yield n, cells
        except InvalidInput:
            raise
        except Exception as exc:  # a damaged sheet: see above
            raise _unreadable(path, exc, n + 1) from exc
        finally:
            close()

    total = (ws.max_row - header_line) if ws.max_row else None
    return Table(first if had_header else [], cols, rows(), total, "xlsx")


def _unreadable(path: Path, exc: Exception, row: int | None) -> InvalidInput:
    where = f" at row {row}" if row is not None else ""
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
    return InvalidInput(f"{path} is a damaged XLSX workbook{where} ({detail}); {_SAVE_AS}")


def read_table(path: Path, *, region: str = "KR", encoding: str | None = None,
               header_optional: bool = False, spec: HeaderSpec = _PLAIN) -> Table:  # fmt: skip
    """Open a contact file. Without `header_optional`, a file with no phone column is an error;
    with it (do-not-call lists) the first column is taken as the phone and row 1 is data.
    `spec` maps columns to fields beyond the header aliases (see campaigns/columns.py)."""
    if not path.is_file():
        raise InvalidInput(f"{path} does not exist or is not a file")
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(_XLSX_MAGIC):
        return _xlsx_table(path, header_optional, spec)
    if head.startswith(_XLS_MAGIC):
        raise InvalidInput(f"{path} is an old binary .xls workbook; {_SAVE_AS}")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise InvalidInput(f"{path} is named like a workbook but is not one; {_SAVE_AS}")
    text, enc = _decode(path.read_bytes(), path, region, encoding, spec)
    return _csv_table(text, enc, path, header_optional, spec)
