"""Roster import: preview lists every problem, nothing written until clean, then one go."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from app.accounts.tables import User
from app.roster import services
from app.roster.parsing import RosterUnreadable, read_roster
from app.workforce import id_numbers
from app.workforce.tables import DayRate, Worker
from tests import factories
from tests.conftest import fetch_csrf

EN = {"accept-language": "en"}
ZH_HEADERS = ["姓名", "手机号", "身份证号", "班组", "工种", "日工资"]
EN_HEADERS = ["name", "phone", "id_number", "crew", "trade", "day_rate"]


def id_number(n: int) -> str:
    first17 = f"31011519900307{n:03d}"
    return first17 + id_numbers.check_digit(first17)


def xlsx(rows: list[list], headers: list[str] = ZH_HEADERS) -> bytes:
    book = Workbook()
    book.active.append(headers)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_rows(count: int, crew: str = "钢筋一班") -> list[list]:
    return [[f"工人{n}", f"1371000{n:04d}", id_number(n), crew, "", 300] for n in range(1, count + 1)]


@pytest.fixture
async def manager(db):
    manager = await factories.user("manager")
    site = await factories.site("一号工地", members=(manager,))
    await factories.crew(site, "钢筋一班", "钢筋工")
    return manager


async def upload(client, content: bytes, filename: str = "roster.xlsx", headers=EN):
    token = await fetch_csrf(client)
    return await client.post(
        "/roster/preview", data={"_csrf_token": token},
        files={"roster": (filename, content, "application/octet-stream")}, headers=headers,
    )


def token_of(page: str) -> str:
    return re.search(r"/roster/import/([0-9a-f]{32})", page).group(1)


async def test_clean_file_imports_in_one_go_and_again_changes_nothing(manager, client, sign_in_as):
    await sign_in_as(manager)
    content = xlsx(good_rows(3))
    preview = await upload(client, content)
    assert preview.status_code == 200 and "The file is clean" in preview.text
    assert await Worker.count() == 0  # the preview writes nothing
    token = await fetch_csrf(client)
    done = await client.post(f"/roster/import/{token_of(preview.text)}", data={"_csrf_token": token},
                             headers=EN)
    assert "3 workers added, 0 updated, 0 unchanged." in done.text
    workers = await Worker.select(Worker.trade, Worker.id_number_masked)
    assert {w["trade"] for w in workers} == {"钢筋工"}
    assert all("*" in w["id_number_masked"] for w in workers)
    assert await DayRate.count() == 3
    again = await upload(client, content)
    done = await client.post(f"/roster/import/{token_of(again.text)}", data={"_csrf_token": token},
                             headers=EN)
    assert "0 workers added, 0 updated, 3 unchanged." in done.text
    assert await Worker.count() == 3 and await DayRate.count() == 3


async def test_a_changed_day_rate_updates_that_worker(manager):
    rows = [dict(zip(EN_HEADERS, map(str, r), strict=True)) for r in good_rows(2)]
    await services.import_roster(manager, rows, today=date(2026, 3, 1), device="d")
    rows[1]["day_rate"] = "420"
    plan = await services.import_roster(manager, rows, today=date(2026, 4, 1), device="d")
    assert (len(plan.new), len(plan.changed), plan.unchanged) == (0, 1, 1)
    assert await DayRate.count() == 3


async def test_every_problem_is_listed_and_nothing_written(manager, client, sign_in_as):
    await sign_in_as(manager)
    bad_check = id_number(5)[:17] + ("0" if id_number(5)[17] != "0" else "1")
    rows = good_rows(2) + [
        ["", "13710009991", id_number(3), "钢筋一班", "", ""],          # no name
        ["<b>坏</b>", "1371000", id_number(4), "钢筋一班", "", ""],     # short phone
        ["赵五", "13710009993", bad_check, "钢筋一班", "", ""],          # bad check digit
        ["钱六", "13710009994", id_number(6), "不存在的班组", "", ""],   # unknown crew
        ["孙七", "13710000001", id_number(1), "钢筋一班", "", ""],       # same as row 2
    ]
    preview = await upload(client, xlsx(rows))
    text = preview.text
    assert "Enter the name." in text
    assert "A phone number has 11 digits" in text and "&lt;b&gt;坏&lt;/b&gt;" not in text
    assert "last character is wrong" in text
    assert "Unknown crew: 不存在的班组." in text
    assert "Same as row 2." in text
    assert "Import now" not in text
    assert await Worker.count() == 0


async def test_thousands_of_problems_are_paged(manager, client, sign_in_as):
    await sign_in_as(manager)
    rows = [[f"工人{n}", "123", id_number(n), "钢筋一班"] for n in range(1, 121)]
    preview = await upload(client, xlsx(rows, ZH_HEADERS[:4]))
    assert "Page 1 of 3" in preview.text
    token = re.search(r"/roster/preview/([0-9a-f]{32})", preview.text).group(1)
    page3 = await client.get(f"/roster/preview/{token}?page=3", headers={
        **EN, "HX-Request": "true", "HX-Target": "roster-problems"})
    assert page3.text.lstrip().startswith('<section id="roster-problems"')
    assert "Row 121" in page3.text and "Row 2 " not in page3.text


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "roster.exe.xlsx", "not a spreadsheet"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "roster.csv", "not a spreadsheet"),
        (b"", "roster.xlsx", "The file is empty."),
        ("姓名,手机号,身份证号,班组\n".encode(), "roster.csv", "headers but no workers"),
        (b"who,what\nx,y\n", "roster.csv", "missing: name/姓名"),
    ],
)
async def test_unreadable_files_get_a_clear_message(manager, client, sign_in_as, content, filename, message):
    await sign_in_as(manager)
    answer = await upload(client, content, filename)
    assert answer.status_code == 422
    assert message in answer.text
    assert await Worker.count() == 0


async def test_csv_with_english_headers_reads_like_xlsx():
    content = "name,phone,id_number,crew\n王五,13700000001,11010519491231002X,钢筋一班\n".encode()
    assert read_roster(content, "r.csv") == [
        {"name": "王五", "phone": "13700000001", "id_number": "11010519491231002X", "crew": "钢筋一班"}
    ]
    with pytest.raises(RosterUnreadable):
        read_roster(b"\x00\x01garbage", "r.csv")


async def test_files_over_5_mb_are_refused_with_413(manager, client, sign_in_as):
    await sign_in_as(manager)
    answer = await upload(client, b"a" * (6 * 1024 * 1024), "big.csv")
    assert answer.status_code == 413
    assert "too large" in answer.text


async def test_a_phone_of_another_person_is_a_problem(manager):
    await factories.user("supervisor", phone="13710000001")
    rows = [dict(zip(EN_HEADERS, map(str, r), strict=True)) for r in good_rows(1)]
    plan = await services.plan_import(manager, rows, today=date(2026, 3, 1))
    assert [p.column for p in plan.problems] == ["phone"]
    assert await User.count() == 2


async def test_templates_download_in_both_languages(manager, client, sign_in_as):
    await sign_in_as(manager)
    for language, first in (("zh_CN", "姓名"), ("en", "name")):
        answer = await client.get(f"/roster/template.xlsx?language={language}")
        sheet = load_workbook(io.BytesIO(answer.content)).active
        assert next(sheet.iter_rows(values_only=True))[0] == first
        assert read_roster(answer.content, "t.xlsx")[0]["name"] == "张三"


async def test_workers_cannot_import(client, sign_in_as):
    await sign_in_as(await factories.user("worker"))
    assert (await client.get("/roster")).status_code == 403
