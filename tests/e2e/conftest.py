"""Browser tests: a live server of the app on a free port (against the test database, SQLite or
PostgreSQL, as GRANTS_TEST_DB says) and Debian's Chromium driven by Playwright.

One server and one browser per test session; each test gets a fresh browser context (its own cookies)
and, like every test, an emptied database. See docs/pages.md for how to write a journey.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from app.core.roles import Role
from tests.e2e.browser import BrowserPage, Journey, sign_in

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def _chromium() -> str:
    for candidate in CHROMIUM_CANDIDATES:
        if shutil.which(candidate):
            return candidate
    raise pytest.UsageError("Chromium is not installed: run `make browser-deps` (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The app served by uvicorn in a thread of this process, so it shares the test database and the
    in-process caches that emptying the tables resets."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    assert httpx.get(f"{base_url}/health", timeout=10).status_code == 200
    yield base_url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=_chromium(), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable[..., BrowserPage]]:
    """Opens a fresh browser (own cookies) on the live server; `new_page(locale="fr-FR")` for another
    language. Every page opened is closed after the test."""
    contexts = []

    def open_page(locale: str = "en-GB") -> BrowserPage:
        context = browser.new_context(
            base_url=live_server, viewport={"width": 1280, "height": 900}, locale=locale
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> BrowserPage:
    return new_page()


@pytest.fixture
def people(app, live_server):
    """Users of every role (password `correct horse battery`) with API tokens, as in the other tests:
    `people.call(Role.X, "POST", "/api/v1/…", json=…)` sets up data through the API (in-process client)."""
    from litestar.testing import TestClient

    from tests.support import People

    with TestClient(app, base_url="http://testserver.local") as client:
        yield People(client)


@pytest.fixture
def journey(new_page, people) -> Callable[..., Journey]:
    """`journey(Role.PROVIDER)` signs a new user of that role in through the sign-in form and returns a
    Journey: the Playwright page, the person, and the checks every page must pass (`journey.check()`)."""

    def start(role: Role, locale: str = "en-GB", key: str | None = None) -> Journey:
        person = people.make(role, key=key)
        browser_page = new_page(locale=locale)
        sign_in(browser_page, person.email)
        return Journey(browser_page, person)

    return start
