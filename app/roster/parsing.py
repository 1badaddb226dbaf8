"""Reading a roster file (.xlsx or .csv) into rows of text, headers in Chinese or English."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook, load_workbook

from app.errors import DomainError
from app.i18n import N_

# Column -> the headers that name it (compared case-insensitively). The first English
# and the first Chinese one are what the templates use.
COLUMNS = {
    "name": ("name", "姓名"),
    "phone": ("phone", "手机号", "手机号码", "电话"),
    "id_number": ("id_number", "身份证号", "身份证号码", "id number"),
    "crew": ("crew", "班组"),
    "trade": ("trade", "工种"),
    "day_rate": ("day_rate", "日工资", "工日单价", "day rate"),
    "registered_on": ("registered_on", "进场日期", "registered on"),
}
REQUIRED = ("name", "phone", "id_number", "crew")
COLUMN_LABELS = {
    "name": N_("Name"), "phone": N_("Phone number"), "id_number": N_("ID number"),
    "crew": N_("Crew"), "trade": N_("Trade"), "day_rate": N_("Day rate"),
    "rate_from": N_("Day rate applies from"), "registered_on": N_("Registered on"),
    "left_on": N_("Left on"),
}
MAX_ROWS = 20_000
# Blank lines count too: a sheet "used" down to row 1,048,576 is not read to the end.
MAX_LINES = 2 * MAX_ROWS
EXAMPLE = ("张三", "13812345678", "11010519491231002X", "钢筋一班", "钢筋工", 350, date(2026, 3, 1))
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary Excel (and Word) format


class RosterUnreadable(DomainError):
    """The file as a whole cannot be read as a roster; the message says why."""


@dataclass(frozen=True)
class RosterRow:
    line: int  # as numbered in the spreadsheet: the header is line 1 when it is on top
    fields: dict[str, str]


def _cell(value: object) -> str:
    if value is None:
        return ""
    # An Excel date cell: a date, whatever number format the sheet shows it in.
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _lines(content: bytes, filename: str):
    if content.startswith(XLS_MAGIC):
        raise RosterUnreadable(N_("This is an old Excel file (.xls). Save it as .xlsx and upload it again."))
    if content.startswith(XLSX_MAGIC):
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            for row in book.active.iter_rows(values_only=True):
                yield [_cell(value) for value in row]
        # A damaged or foreign zip fails anywhere inside openpyxl, with many error types.
        except Exception:
            raise RosterUnreadable(N_("This file is not a spreadsheet we can read.")) from None
        return
    if not filename.lower().endswith(".csv") or b"\x00" in content[:4096]:
        raise RosterUnreadable(N_("This file is not a spreadsheet we can read."))
    # Excel in Chinese saves CSV as GBK (gb18030 reads it); elsewhere it is UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterUnreadable(N_("This file is not a spreadsheet we can read."))
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            yield [cell.strip() for cell in row]
    except csv.Error:
        raise RosterUnreadable(N_("This file is not a spreadsheet we can read.")) from None


def _columns(header: list[str]) -> dict[str, int]:
    names = {alias.lower(): column for column, aliases in COLUMNS.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        column = names.get(title.strip().lower())
        if column and column not in found:
            found[column] = index
    missing = [column for column in REQUIRED if column not in found]
    if missing:
        raise RosterUnreadable(
            N_("The first row must name the columns. Missing: %(columns)s."),
            columns=", ".join(f"{COLUMNS[c][1]}/{COLUMNS[c][0]}" for c in missing),
        )
    return found


def read_roster(content: bytes, filename: str) -> list[RosterRow]:
    """The rows under the header as column -> text; blank rows skipped, line numbers kept."""
    if not content.strip():
        raise RosterUnreadable(N_("The file is empty."))
    columns: dict[str, int] | None = None
    rows: list[RosterRow] = []
    for line, cells in enumerate(_lines(content, filename), start=1):
        if line > MAX_LINES or len(rows) > MAX_ROWS:
            raise RosterUnreadable(N_("At most %(count)s workers per file."), count=MAX_ROWS)
        if not any(cells):
            continue
        if columns is None:
            columns = _columns(cells)
            continue
        rows.append(RosterRow(line, {
            column: (cells[index] if index < len(cells) else "") for column, index in columns.items()
        }))
    if columns is None:
        raise RosterUnreadable(N_("The file is empty."))
    if not rows:
        raise RosterUnreadable(N_("The file has the header row but no workers."))
    if len(rows) > MAX_ROWS:
        raise RosterUnreadable(N_("At most %(count)s workers per file."), count=MAX_ROWS)
    return rows


def template_workbook(language: str) -> bytes:
    """An empty roster with headers in one language and one example row."""
    chinese = language != "en"
    book = Workbook()
    sheet = book.active
    sheet.title = "花名册" if chinese else "Roster"
    sheet.append([aliases[1] if chinese else aliases[0] for aliases in COLUMNS.values()])
    sheet.append(EXAMPLE)
    # Text cells: Excel would show a long number as 1.1E+17 and lose its last digits.
    for cell in (sheet["B2"], sheet["C2"]):
        cell.number_format = "@"
    sheet["G2"].number_format = "yyyy-mm-dd"
    for letter in "ABCDEFG":
        sheet.column_dimensions[letter].width = 20
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
