"""Helpers for browser journeys: signing in, and the checks every page must pass (axe-core finds no
serious or critical accessibility violation; no sideways scrolling at 1280 px nor at 390 px)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page as BrowserPage

    from tests.support import Person
else:
    BrowserPage = Any

PASSWORD = "correct horse battery"  # what tests.support.People gives every user
AXE_SCRIPT = "/static/vendor/axe-core/axe.min.js"  # served by the app: allowed by its CSP
WIDTHS = (1280, 390)  # a desktop and a phone
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def sign_in(page: BrowserPage, email: str, password: str = PASSWORD, next_path: str = "/") -> None:
    page.goto(f"/login?next={next_path}")
    form = page.locator("form[action='/login']")  # by field names, so it works in every language
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"sign-in as {email} failed: {page.locator('main').inner_text()}"


def accessibility_problems(page: BrowserPage) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now, one line each."""
    # After a click that navigates, the new document may not have a <head> yet to take the script.
    page.wait_for_load_state()
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_SCRIPT)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    problems = []
    for violation in result["violations"]:
        if violation["impact"] in BLOCKING_IMPACTS:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
            problems.append(f"{violation['impact']}: {violation['id']} ({violation['help']}) at {targets}")
    return problems


def sideways_scroll(page: BrowserPage) -> list[str]:
    """The widths at which the page itself scrolls sideways (a table scrolling in its box is fine)."""
    original = page.viewport_size
    wide = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            wide.append(f"{width} px: the page is {overflow} px too wide")
    if original:
        page.set_viewport_size(original)
    return wide


def check_page(page: BrowserPage) -> None:
    """The checks every page of a journey must pass; call it on each page the journey reaches."""
    problems = accessibility_problems(page) + sideways_scroll(page)
    assert not problems, f"{page.url}:\n" + "\n".join(problems)


@dataclass
class Journey:
    """A signed-in user's browser: `page` is Playwright's Page, `person` who is signed in."""

    page: BrowserPage
    person: Person

    def open(self, path: str) -> BrowserPage:
        self.page.goto(path)
        return self.page

    def check(self) -> None:
        check_page(self.page)

    def text(self, selector: str = "main") -> str:
        return self.page.locator(selector).inner_text()
