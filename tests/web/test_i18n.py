"""Every text on the pages goes through gettext, the catalogues are in step with the code, and French is
complete: first for the pages of providers, employers and everyone's own pages, and on every page."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import Environment

from app.web import i18n

WEB = Path(i18n.__file__).parent
TEMPLATES = WEB / "templates"
# Pages whose French must be complete: the shared shell, sign-in, start page, account, providers, employers.
FRENCH_COMPLETE = (
    "base.html",
    "error.html",
    "macros.html",
    "auth/",
    "home/",
    "account/",
    "provider/",
    "employer/",
    "payments/own.html",
    "payments/_payments.html",
    "payments/_payee_details.html",
    "payments/_detail_form.html",
)
FRENCH_COMPLETE_MODULES = (
    "kit.py",
    "pages/auth.py",
    "pages/home.py",
    "pages/account.py",
    "pages/provider.py",
    "pages/employer.py",
    "outcomes.py",
    "pages/payments.py",
)
_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&[#\w]+;")
_HUMAN_ATTRIBUTE = re.compile(r'\b(?:placeholder|title|alt|aria-label)="([^"{]*[A-Za-z][^"{]*)"')


def _messages(files: tuple[str, ...] = (), modules: tuple[str, ...] = ()) -> set[str]:
    """The texts marked for translation in app/web (all of them, or those of the files named)."""
    found: set[str] = set()
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(WEB),
        [("templates/**.html", "jinja2"), ("**.py", "python")],
        {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true"}},
        keywords={"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)},
    ):
        relative = Path(filename).as_posix()
        template = relative.removeprefix("templates/")
        wanted = template.startswith(files) if relative.endswith(".html") else relative in modules
        if (not files and not modules) or wanted:
            found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def _french() -> dict[str, str]:
    with (WEB / "locales" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="fr")
    french: dict[str, str] = {}
    for message in catalog:
        if not message.id or "fuzzy" in message.flags:
            continue
        if isinstance(message.id, tuple):  # singular and plural: translated when every form is
            forms = "" if not all(message.string) else message.string[0]
            french.update(dict.fromkeys(message.id, forms))
        else:
            french[message.id] = message.string
    return french


def test_templates_have_no_text_outside_gettext():
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)  # lexing only
    problems = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        # The template's literal HTML, with every {{ … }} and {% … %} replaced by a marker.
        parts = []
        for _line, kind, value in env.lex(template.read_text()):
            if kind == "data":
                parts.append(value)
            elif kind in ("variable_begin", "block_begin"):
                parts.append("\x00")
        html = "".join(parts)
        name = template.relative_to(TEMPLATES)
        problems += [f"{name}: attribute text {a!r}" for a in _HUMAN_ATTRIBUTE.findall(html)]
        for text in _ENTITY.sub(" ", _TAG.sub(" ", html)).split("\x00"):
            if re.search(r"[A-Za-z]{2,}", text):
                problems.append(f"{name}: {text.strip()[:60]!r}")
    assert not problems, "wrap these texts in {{ _('…') }}:\n" + "\n".join(problems)


def test_catalogue_holds_every_text_of_the_pages():
    missing = sorted(_messages() - set(_french()) - {""})
    assert not missing, "run `make messages` and translate the new texts:\n" + "\n".join(missing)


def test_french_is_complete_for_providers_employers_and_everyones_pages():
    french = _french()
    untranslated = sorted(m for m in _messages(FRENCH_COMPLETE, FRENCH_COMPLETE_MODULES) if not french.get(m))
    assert not untranslated, "translate in app/web/locales/fr/LC_MESSAGES/messages.po:\n" + "\n".join(
        untranslated
    )


def test_french_is_complete_on_every_page():
    """Caseworkers', staff (finance, approvers, auditors, admins) and reconciliation pages too."""
    french = _french()
    untranslated = sorted(m for m in _messages() if m and not french.get(m))
    assert not untranslated, "translate in app/web/locales/fr/LC_MESSAGES/messages.po:\n" + "\n".join(
        untranslated
    )


def test_amounts_and_dates_in_words():
    import datetime as dt

    assert i18n.money(15_000_000, "EUR") == "€150,000.00"
    assert i18n.day(dt.date(2026, 3, 31)) == "31 March 2026"
    with i18n.language("fr"):
        assert i18n.money(15_000_000, "EUR") == "150\u202f000,00\xa0€"
        assert i18n.day(dt.date(2026, 3, 31)) == "31 mars 2026"
        assert i18n.gettext("Sign in") == "Connexion"


def test_language_from_setting_then_browser():
    assert i18n.choose_language("fr", "en-GB,en") == "fr"
    assert i18n.choose_language(None, "de-DE, fr-CA;q=0.8, en;q=0.5") == "fr"
    assert i18n.choose_language(None, "de, en;q=0.1") == "en"
    assert i18n.choose_language(None, None) == "en"
