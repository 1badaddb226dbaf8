"""Languages: every visible message translated, the right language chosen."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app import i18n
from app.accounts.tables import User
from tests import factories
from tests.conftest import fetch_csrf

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "app" / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"


def extracted_msgids() -> set[str]:
    method_map = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        str(ROOT), method_map, options, keywords=keywords, directory_filter=lambda _: True
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_has_a_chinese_translation():
    with CATALOGUE.open("rb") as file:
        catalogue = read_po(file)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalogue
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    missing = sorted(extracted_msgids() - translated)
    assert not missing, f"add these to {CATALOGUE.name} (make messages): {missing}"
    assert len(translated) > 50


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        ("zh", "zh_CN"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9,en;q=0.5", "en"),
        ("de;q=1.0, zh-Hans;q=0.9", "zh_CN"),
        ("xx-YY", None),
        ("", None),
    ],
)
def test_accept_language(header, language):
    assert i18n.from_accept_language(header) == language


async def test_unknown_browser_language_falls_back_to_the_default(client):
    page = await client.get("/login", headers={"accept-language": "xx-YY"})
    assert "登录" in page.text  # DEFAULT_LANGUAGE is zh_CN


async def test_switching_language_is_remembered(client):
    token = await fetch_csrf(client)
    answer = await client.post(
        "/language", data={"_csrf_token": token, "language": "en", "next": "/login"},
        headers={"accept-language": "zh-CN"},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    page = await client.get("/login", headers={"accept-language": "zh-CN"})
    assert "Phone number" in page.text


async def test_an_unknown_language_code_changes_nothing(client):
    token = await fetch_csrf(client)
    answer = await client.post("/language", data={"_csrf_token": token, "language": "xx"})
    assert answer.status_code == 303
    assert "fp_lang" not in client.cookies
    assert "登录" in (await client.get("/login")).text


async def test_a_persons_setting_beats_the_browser(client, sign_in_as):
    worker = await factories.user("worker")
    await sign_in_as(worker)
    token = await fetch_csrf(client)
    await client.post("/me/language", data={"_csrf_token": token, "language": "en"})
    assert (await User.objects().get(User.id == worker.id)).language == "en"
    home = await client.get("/", headers={"accept-language": "zh-CN"})
    assert "To-do" in home.text


def test_dates_and_numbers_follow_the_language():
    from datetime import UTC, datetime

    moment = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    i18n.set_language("en")
    assert i18n.format_number(12345) == "12,345"
    assert "3/2/26" in i18n.format_datetime(moment, "Asia/Shanghai")  # next day in Shanghai
    i18n.set_language("zh_CN")
    assert "2026/3/2" in i18n.format_datetime(moment, "Asia/Shanghai")


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_times_of_day_read_on_the_24_hour_clock_of_the_site(language):
    from datetime import UTC, datetime

    i18n.set_language(language)
    assert i18n.format_time(datetime(2026, 3, 1, 23, 5, tzinfo=UTC), "Asia/Shanghai") == "07:05"
    assert i18n.format_time(datetime(2026, 3, 1, 13, 45, tzinfo=UTC), "Europe/London") == "13:45"
