"""The roster pages: upload, preview with paged problems, import, templates, access."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from app.accounts.tables import User
from app.workforce.tables import DayRate, Worker
from tests import factories
from tests.conftest import fetch_csrf
from tests.roster.sheets import (
    CREW,
    EN,
    EN_HEADERS,
    ZH_HEADERS,
    csv,
    id_number,
    phone,
    run_import,
    upload,
    worker_rows,
    wrong_check_digit,
    xlsx,
)

# A Windows program renamed to .xlsx.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 300
HTMX = {**EN, "HX-Request": "true", "HX-Target": "roster-problems"}


async def test_the_page_offers_the_form_and_both_templates(manager, client, sign_in_as):
    await sign_in_as(manager)
    page = await client.get("/roster", headers=EN)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'name="_csrf_token"' in page.text
    assert "/roster/template.xlsx?language=zh_CN" in page.text
    assert "/roster/template.xlsx?language=en" in page.text
    assert "身份证号 / id_number" in page.text and "ID number</span> · needed" in page.text


@pytest.mark.parametrize(("language", "first"), [("zh_CN", "姓名"), ("en", "name")])
async def test_templates_download_in_both_languages(manager, client, sign_in_as, language, first):
    await sign_in_as(manager)
    answer = await client.get(f"/roster/template.xlsx?language={language}")
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    assert next(load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True))[0] == first


@pytest.mark.parametrize("headers", [ZH_HEADERS, EN_HEADERS])
async def test_a_clean_file_is_previewed_then_imported(manager, crew, client, sign_in_as, headers):
    await sign_in_as(manager)
    content = xlsx(worker_rows(3), headers)
    preview = await upload(client, content)
    assert preview.status_code == 200
    assert "Every row is right. Nothing has been saved yet." in preview.text
    assert await Worker.count() == 0  # the preview writes nothing
    done = await run_import(client, preview.text)
    assert done.status_code == 303 and done.headers["location"] == "/workers"
    workers = await client.get("/workers", headers=EN)
    assert "Roster imported: 3 added, 0 updated, 0 unchanged." in workers.text
    assert await Worker.count() == 3 and await DayRate.count() == 3
    # The same file again: nothing to add, nothing to change.
    again = await upload(client, content)
    assert await run_import(client, again.text)
    workers = await client.get("/workers", headers=EN)
    assert "Roster imported: 0 added, 0 updated, 3 unchanged." in workers.text
    assert await Worker.count() == 3 and await DayRate.count() == 3


async def test_a_csv_with_a_changed_day_rate_updates_that_worker(manager, crew, client, sign_in_as):
    await sign_in_as(manager)
    await run_import(client, (await upload(client, csv(worker_rows(2)), "roster.csv")).text)
    rows = worker_rows(2)
    rows[0][5] = 450
    preview = await upload(client, csv(rows), "roster.csv")
    assert re.search(r"To update</dt><dd>1<", preview.text)
    await run_import(client, preview.text)
    workers = await client.get("/workers", headers=EN)
    assert "Roster imported: 0 added, 1 updated, 1 unchanged." in workers.text
    # Both on the same day: the new rate replaces the one of the morning.
    assert sorted(r["amount"] for r in await DayRate.select(DayRate.amount)) == [300, 450]


async def test_bad_rows_are_listed_escaped_and_nothing_is_written(manager, crew, client, sign_in_as):
    await sign_in_as(manager)
    rows = worker_rows(1) + [
        ["<script>alert(1)</script>", "1370000", id_number(2), CREW, "", "", ""],
        ["周七", phone(3), wrong_check_digit(id_number(3)), CREW, "", "", ""],
        ["吴八", phone(4), id_number(4), "<b>班</b>", "", "", ""],
    ]
    preview = await upload(client, xlsx(rows))
    text = preview.text
    assert preview.status_code == 200
    assert "<script>alert(1)</script>" not in text and "<b>班</b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Crew “&lt;b&gt;班&lt;/b&gt;”: None of your crews has this name." in text
    assert "A phone number has 11 digits and starts with 1." in text
    assert "This ID number's last character is wrong" in text
    assert "Row 3" in text and "Row 4" in text and "Row 5" in text
    assert "Import now" not in text and 'name="token"' not in text
    assert await Worker.count() == 0


async def test_ten_thousand_bad_rows_are_all_listed_page_by_page(manager, crew, client, sign_in_as):
    await sign_in_as(manager)
    rows = [[f"工人{n}", "123", id_number(n), CREW] for n in range(1, 10_001)]
    preview = await upload(client, xlsx(rows, ZH_HEADERS[:4]))
    assert preview.status_code == 200
    assert "Page 1 of 200" in preview.text
    assert "Row 51 · 工人50<" in preview.text and "Row 52 ·" not in preview.text
    here = re.search(r'href="(/roster/preview/[0-9a-f]{32})\?page=2"', preview.text).group(1)
    # htmx asks for the list alone; a plain request (or a pushed URL) gets the page.
    last = await client.get(f"{here}?page=200", headers=HTMX)
    assert last.text.lstrip().startswith('<section id="roster-problems"')
    assert "Row 10001 · 工人10000<" in last.text and "Row 9951 ·" not in last.text
    assert "Page 200 of 200" in last.text
    assert last.headers["vary"].startswith("HX-Request")
    whole = await client.get(f"{here}?page=7", headers=EN)
    assert "<html" in whole.text and "Row 302 ·" in whole.text and "Rows with problems" in whole.text
    assert await Worker.count() == 0


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (EXE, "roster.xlsx", "This file is not a spreadsheet we can read."),
        (b"", "roster.xlsx", "The file is empty."),
        (xlsx([]), "roster.xlsx", "The file has the header row but no workers."),
    ],
)
async def test_files_that_are_no_roster_are_refused_with_a_message(
    manager, client, sign_in_as, content, filename, message
):
    await sign_in_as(manager)
    kept = list_imports()
    answer = await upload(client, content, filename)
    assert answer.status_code == 422
    assert message in answer.text and 'id="roster-error"' in answer.text
    assert await Worker.count() == 0 and list_imports() == kept


async def test_a_file_over_5_mb_is_refused_with_413(manager, client, sign_in_as):
    await sign_in_as(manager)
    kept = list_imports()
    answer = await upload(client, b"name,phone\n" + b"a" * (5 * 1024 * 1024 + 10), "big.csv")
    assert answer.status_code == 413
    assert "The file is larger than 5 MB." in answer.text
    assert await Worker.count() == 0 and list_imports() == kept


async def test_a_large_upload_by_someone_else_gets_no_roster_page(client, sign_in_as, db):
    await sign_in_as(await factories.user("worker"))
    token = await fetch_csrf(client)
    answer = await client.post("/roster/preview", data={"_csrf_token": token}, headers=EN,
                               files={"roster": ("big.csv", b"a" * (6 * 1024 * 1024), "text/csv")})
    assert answer.status_code == 413 and "Roster file" not in answer.text
    client.cookies.clear()
    big = {"roster": ("big.csv", b"a" * (6 * 1024 * 1024), "text/csv")}
    answer = await client.post("/roster/preview", files=big)
    assert answer.status_code == 413 and "Roster file" not in answer.text


async def test_without_a_file_the_form_asks_for_one(manager, client, sign_in_as):
    await sign_in_as(manager)
    token = await fetch_csrf(client)
    answer = await client.post("/roster/preview", data={"_csrf_token": token},
                               files={"other": ("x", b"", "text/plain")}, headers=EN)
    assert answer.status_code == 422 and "Choose the roster file first." in answer.text


async def test_an_upload_without_the_csrf_token_is_refused(manager, client, sign_in_as):
    await sign_in_as(manager)
    await fetch_csrf(client)
    answer = await client.post("/roster/preview", files={"roster": ("r.csv", b"a", "text/csv")})
    assert answer.status_code == 403


async def test_an_upload_is_only_its_uploaders(manager, crew, client, sign_in_as, site):
    await sign_in_as(manager)
    preview = await upload(client, xlsx(worker_rows(1)))
    other = await factories.user("manager")
    await sign_in_as(other)
    answer = await run_import(client, preview.text)
    assert answer.status_code == 404
    token = await fetch_csrf(client)
    forged = await client.post("/roster/import", data={"_csrf_token": token, "token": "../../etc"})
    assert forged.status_code == 404
    assert await Worker.count() == 0


async def test_the_register_is_checked_again_at_import(manager, crew, client, sign_in_as):
    await sign_in_as(manager)
    preview = await upload(client, xlsx(worker_rows(1)))
    await factories.user("supervisor", phone=phone(1))  # meanwhile, someone took the phone
    answer = await run_import(client, preview.text)
    assert answer.status_code == 422
    assert "Nothing was imported: checked again just now, some rows have problems." in answer.text
    assert "Someone is already registered with this phone number." in answer.text
    assert await Worker.count() == 0


async def test_a_foreman_may_import_for_own_crews(site, client, sign_in_as):
    foreman = await factories.user("foreman")
    await factories.crew(site, "木工班", "木工", foreman=foreman)
    await sign_in_as(foreman)
    preview = await upload(client, xlsx(worker_rows(2, crew="木工班")))
    await run_import(client, preview.text)
    assert await Worker.count() == 2


@pytest.mark.parametrize("path", ["/roster", "/roster/template.xlsx"])
async def test_workers_may_not_import(client, sign_in_as, db, path):
    await sign_in_as(await factories.user("worker"))
    assert (await client.get(path)).status_code == 403
    token = await fetch_csrf(client)
    answer = await client.post("/roster/preview", data={"_csrf_token": token},
                               files={"roster": ("r.xlsx", xlsx(worker_rows(1)), "application/octet-stream")})
    assert answer.status_code == 403
    assert await User.count() == 1


def list_imports() -> list:
    from app.config import get_settings

    folder = get_settings().data_dir / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []
