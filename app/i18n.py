"""Languages, message catalogues and locale-aware formatting.

The current language lives in a context variable the web layer sets per request,
so templates, flash messages and validation errors all speak the same language.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.support import NullTranslations, Translations
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_TIMEZONE = "Asia/Shanghai"

_language: ContextVar[str] = ContextVar("language", default="zh_CN")


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


def supported(code: str | None) -> str | None:
    if not code:
        return None
    code = code.replace("-", "_")
    for known in LANGUAGES:
        if code.lower() == known.lower():
            return known
    return None


# Phones of one kind send one header: read once, not on every request.
@functools.lru_cache(maxsize=256)
def from_accept_language(header: str) -> str | None:
    """Best supported language of an Accept-Language header, by its q-values.

    Any Chinese (zh, zh-Hans, zh-TW) is served as zh_CN, any English as en.
    """
    preferred: list[tuple[float, str]] = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag.strip():
            preferred.append((quality, tag.strip()))
    for _, tag in sorted(preferred, key=lambda pair: -pair[0]):
        base = tag.replace("_", "-").split("-")[0].lower()
        if language := {"zh": "zh_CN", "en": "en"}.get(base):
            return language
    return None


@cache
def translations(language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [language], domain="messages")


def set_language(language: str) -> None:
    _language.set(language)


@contextlib.contextmanager
def language(code: str) -> Iterator[None]:
    """Speak `code` for a while (a message for someone else: a group chat, another person)."""
    token = _language.set(code)
    try:
        yield
    finally:
        _language.reset(token)


def current_language() -> str:
    return _language.get()


def gettext(message: str, **params: object) -> str:
    text = translations(_language.get()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(_language.get()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


@pass_eval_context
def template_gettext(eval_context: EvalContext, message: str, **params: object) -> str:
    """`_()` in templates: what Jinja's new-style gettext does (escape-safe, always a
    format string), in one call where Jinja's alias takes three."""
    text = translations(_language.get()).gettext(message)
    if eval_context.autoescape:
        # The catalogue is ours, not user input; the parameters are escaped by `%`.
        text = Markup(text)  # noqa: S704
    return text % params


@functools.cache
def _parsed(language: str) -> Locale:
    return Locale.parse(language)


def _locale() -> Locale:
    # Parsed once per language: pages format dozens of times and dates.
    return _parsed(_language.get())


def format_datetime(value: datetime, timezone: str = DEFAULT_TIMEZONE, style: str = "short") -> str:
    return dates.format_datetime(value, style, tzinfo=ZoneInfo(timezone), locale=_locale())


def format_time(value: datetime, timezone: str = DEFAULT_TIMEZONE) -> str:
    """Hours and minutes on the 24-hour clock, as building sites read time.

    Written the same in every language spoken here (digits and a colon), so no locale
    is consulted: every check-in's answer shows one or two.
    """
    return value.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def weekday_names() -> list[str]:
    """Monday first, as Chinese calendars start the week."""
    names = dates.get_day_names("abbreviated", locale=_locale())
    return [names[day] for day in range(7)]


def format_date(value: date | datetime, style: str = "medium") -> str:
    return dates.format_date(value, style, locale=_locale())


def format_month(value: date) -> str:
    """A month as a calendar names it: November 2026, 2026年11月."""
    return dates.format_skeleton("yMMMM", value, locale=_locale())


def format_number(value: float | int) -> str:
    return numbers.format_decimal(value, locale=_locale())


def format_percent(share: float | None) -> str:
    """A share as a whole percentage ("—" when there is nothing to divide)."""
    return "—" if share is None else numbers.format_percent(share, "#,##0%", locale=_locale())


def format_duration(seconds: float | None) -> str:
    """A time span in the one unit that reads best: 40 minutes, 5 hours, 3 days."""
    if seconds is None:
        return "—"
    return dates.format_timedelta(
        timedelta(seconds=seconds), granularity="minute", threshold=1.5, format="short", locale=_locale()
    )
