"""Roster files for tests: xlsx and csv bytes, valid ID numbers, uploads."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from openpyxl import Workbook

from app.workforce import id_numbers
from tests.conftest import fetch_csrf

EN = {"accept-language": "en"}
ZH_HEADERS = ["姓名", "手机号", "身份证号", "班组", "工种", "日工资", "进场日期"]
EN_HEADERS = ["name", "phone", "id_number", "crew", "trade", "day_rate", "registered_on"]
CREW = "钢筋一班"


def id_number(n: int) -> str:
    born = date(1970, 1, 1) + timedelta(days=n)
    first17 = f"310115{born:%Y%m%d}{n % 1000:03d}"
    return first17 + id_numbers.check_digit(first17)


def wrong_check_digit(number: str) -> str:
    return number[:17] + ("1" if number[17] != "1" else "2")


def phone(n: int) -> str:
    return f"137{n:08d}"


def worker_rows(count: int, *, crew: str = CREW, day_rate: object = 300, start: int = 1) -> list[list]:
    return [[f"工人{n}", phone(n), id_number(n), crew, "", day_rate, ""] for n in range(start, start + count)]


def xlsx(rows: list[list], headers: list[str] = ZH_HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv(rows: list[list], headers: list[str] = EN_HEADERS) -> bytes:
    lines = [",".join(headers)] + [",".join(str(cell) for cell in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


async def upload(client, content: bytes, filename: str = "roster.xlsx", headers=EN):
    token = await fetch_csrf(client)
    return await client.post(
        "/roster/preview", data={"_csrf_token": token},
        files={"roster": (filename, content, "application/octet-stream")}, headers=headers,
    )


def token_in(page: str) -> str:
    return re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)


async def run_import(client, page: str, headers=EN):
    token = await fetch_csrf(client)
    return await client.post("/roster/import", data={"_csrf_token": token, "token": token_in(page)},
                             headers=headers)
