"""Reading a roster file (.xlsx or .csv) into rows of text, headers in Chinese or English."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

from openpyxl import Workbook, load_workbook

from app.errors import DomainError
from app.i18n import N_

# Column -> the headers that name it. The first English and Chinese ones go in templates.
COLUMNS = {
    "name": ("name", "姓名"),
    "phone": ("phone", "手机号", "手机号码", "电话"),
    "id_number": ("id_number", "身份证号", "身份证号码"),
    "crew": ("crew", "班组"),
    "trade": ("trade", "工种"),
    "day_rate": ("day_rate", "日工资", "工日单价"),
    "registered_on": ("registered_on", "进场日期"),
}
REQUIRED = ("name", "phone", "id_number", "crew")
COLUMN_LABELS = {
    "name": N_("Name"), "phone": N_("Phone number"), "id_number": N_("ID number"),
    "crew": N_("Crew"), "trade": N_("Trade"), "day_rate": N_("Day rate"),
    "rate_from": N_("Day rate applies from"), "registered_on": N_("Registered on"),
    "left_on": N_("Left on"),
}
MAX_ROWS = 20_000


class RosterUnreadable(DomainError):
    """The file is not a roster we can read; the message says why."""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _columns(header: list[str]) -> dict[str, int]:
    names = {alias.lower(): column for column, aliases in COLUMNS.items() for alias in aliases}
    found = {}
    for index, title in enumerate(header):
        column = names.get(title.strip().lower())
        if column and column not in found:
            found[column] = index
    missing = [column for column in REQUIRED if column not in found]
    if missing:
        raise RosterUnreadable(
            N_("The first row must name the columns; missing: %(columns)s."),
            columns=", ".join(f"{COLUMNS[c][0]}/{COLUMNS[c][1]}" for c in missing),
        )
    return found


def _table(content: bytes, filename: str) -> list[list[str]]:
    if content.startswith(b"PK\x03\x04"):
        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
            return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            raise RosterUnreadable(N_("This file is not a spreadsheet we can read.")) from None
    if not filename.lower().endswith(".csv") or b"\x00" in content[:4096]:
        raise RosterUnreadable(N_("This file is not a spreadsheet we can read."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterUnreadable(N_("This file is not a spreadsheet we can read."))
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def read_roster(content: bytes, filename: str) -> list[dict[str, str]]:
    """The rows under the header, each a dict of column -> text; blank rows dropped."""
    if not content:
        raise RosterUnreadable(N_("The file is empty."))
    table = [row for row in _table(content, filename) if any(row)]
    if not table:
        raise RosterUnreadable(N_("The file is empty."))
    columns = _columns(table[0])
    rows = [
        {column: (row[index] if index < len(row) else "") for column, index in columns.items()}
        for row in table[1:]
    ]
    if not rows:
        raise RosterUnreadable(N_("The file has headers but no workers."))
    if len(rows) > MAX_ROWS:
        raise RosterUnreadable(N_("At most %(count)s rows per file."), count=MAX_ROWS)
    return rows


def template_workbook(language: str) -> bytes:
    """An empty roster with headers in one language and an example row."""
    chinese = language == "zh_CN"
    book = Workbook()
    sheet = book.active
    sheet.title = "花名册" if chinese else "Roster"
    sheet.append([aliases[1] if chinese else aliases[0] for aliases in COLUMNS.values()])
    sheet.append(["张三", "13812345678", "11010519491231002X", "钢筋一班", "钢筋工", 350, "2026-03-01"])
    for column in "ABCDEFG":
        sheet.column_dimensions[column].width = 18
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
