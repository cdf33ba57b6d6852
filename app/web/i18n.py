"""Languages of the pages: gettext catalogues (Babel), the language of each request, and how amounts
and dates are written in it.

The language is the user's own setting when there is one, otherwise the browser's Accept-Language,
otherwise English. It is kept in a context variable for the request, so templates, filters and page
modules all translate without passing it around.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français"}  # code -> its own name
# How each language writes numbers and dates: English day-first with a 24-hour clock.
_FORMATS = {"en": "en_GB", "fr": "fr_FR"}
DEFAULT_LANGUAGE = "en"

_language: ContextVar[str] = ContextVar("grants_language", default=DEFAULT_LANGUAGE)


def N_(message: str) -> str:
    """Marks a text for the catalogue without translating it yet (module constants, card titles)."""
    return message


@cache
def translations(language: str) -> NullTranslations:
    """The catalogue of one language, compiled in memory from its .po file (no binary files in git)."""
    po_file = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not po_file.exists():
        return NullTranslations()
    with po_file.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def current_language() -> str:
    return _language.get()


def set_language(code: str) -> Token[str]:
    return _language.set(code if code in LANGUAGES else DEFAULT_LANGUAGE)


def reset_language(token: Token[str]) -> None:
    _language.reset(token)


@contextmanager
def language(code: str) -> Iterator[None]:
    token = _language.set(code if code in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _language.reset(token)


def gettext(message: str, **values: object) -> str:
    text = translations(_language.get()).gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    text = translations(_language.get()).ngettext(singular, plural, n)
    return text % {"num": n, **values}


_ = gettext


def choose_language(own_setting: str | None, accept_language: str | None) -> str:
    """The user's setting first, then the browser's preferences in their order, then English."""
    if own_setting in LANGUAGES:
        return own_setting
    for tag in _accepted(accept_language or ""):
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def _accepted(header: str) -> list[str]:
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag and weight > 0:
            weighted.append((-weight, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


# --- amounts and dates as people read them ---------------------------------------------------


def _locale() -> Locale:
    return Locale.parse(_FORMATS.get(_language.get(), "en_GB"))


def money(amount: int | str | None, currency: str = "EUR") -> str:
    """Integer minor units (or the services' decimal text, `"1500.00"`) as `€1,500.00` in English or
    `1 500,00 €` in French."""
    if amount is None or amount == "":
        return ""
    if isinstance(amount, str):
        value = Decimal(amount)
    else:
        value = Decimal(amount).scaleb(-numbers.get_currency_precision(currency))
    return numbers.format_currency(value, currency, locale=_locale())


def number(value: int | Decimal | None) -> str:
    return "" if value is None else numbers.format_decimal(value, locale=_locale())


def day(value: dt.date | str | None) -> str:
    """A date in words: `2 December 2026`, `2 décembre 2026`."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    return dates.format_date(value, format="long", locale=_locale())


def month(value: dt.date | str | None) -> str:
    """A month in words: `March 2026`."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:7] + "-01")
    return dates.format_skeleton("yMMMM", value, locale=_locale())


def moment(value: dt.datetime | None) -> str:
    """A time stamp in words, in UTC: `2 Dec 2026, 14:05 UTC`."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    when = dates.format_datetime(value.astimezone(dt.UTC), format="medium", locale=_locale())
    return f"{when} UTC"
