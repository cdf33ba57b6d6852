"""The parts every page shares, in a real browser: sign-in, start page, account, sign-out, 403 and 404,
security headers and language."""

from __future__ import annotations

import re

from app.core.roles import Role
from tests.e2e.browser import check_page, sign_in


def test_sign_in_page_passes_the_checks_and_refuses_a_wrong_password(page, people):
    person = people.make(Role.CASEWORKER)
    page.goto("/login")
    check_page(page)
    page.get_by_label("E-mail").fill(person.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert "Wrong e-mail or password" in page.locator("[role=alert]").inner_text()
    check_page(page)


def test_every_role_signs_in_and_finds_its_work(journey):
    expected = {
        Role.CASEWORKER: "Participants",
        Role.AUDITOR: "Audit log",
        Role.BUDGET_HOLDER: "Budget and ledger",
    }
    for role, card in expected.items():
        user = journey(role)
        assert user.page.get_by_role("heading", name=card).is_visible()
        assert user.page.get_by_role("heading", name="Your account").is_visible()
        user.check()


def test_wrong_role_sees_a_clear_403_page_and_unknown_address_a_404(journey):
    provider = journey(Role.PROVIDER)
    response = provider.page.goto("/audit")
    assert response.status == 403
    assert provider.page.get_by_role("heading", name="Not allowed").is_visible()
    provider.check()
    response = provider.page.goto("/no/such/page")
    assert response.status == 404
    assert provider.page.get_by_role("heading", name="Not found").is_visible()
    provider.check()


def test_security_headers_on_pages(page, live_server):
    response = page.goto("/login")
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_no_script_is_blocked_by_the_content_security_policy(journey):
    user = journey(Role.CASEWORKER)
    refused: list[str] = []
    user.page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    user.page.goto("/participants")
    user.page.wait_for_load_state("networkidle")
    assert refused == []


def test_account_page_changes_language_and_password_and_signs_out(journey, new_page):
    user = journey(Role.EMPLOYER)
    other_browser = new_page()
    sign_in(other_browser, user.person.email)

    user.open("/account")
    user.check()
    user.page.get_by_label("Show the pages in").select_option("fr")
    user.page.get_by_role("button", name="Save").click()
    assert user.page.get_by_role("heading", name="Votre compte").is_visible()
    user.page.get_by_label("Afficher les pages en").select_option("")
    user.page.get_by_role("button", name="Enregistrer").click()
    assert user.page.get_by_role("heading", name="Your account").is_visible()

    user.page.get_by_label("Current password", exact=True).fill("correct horse battery")
    user.page.get_by_label("New password", exact=True).fill("a new long password")
    user.page.get_by_label("New password again").fill("a new long password")
    user.page.get_by_role("button", name="Change password").click()
    assert "signed out everywhere else" in user.text()
    user.check()

    other_browser.goto("/account")  # the other browser's session has ended
    assert re.search(r"/login\?next=/account$", other_browser.url)

    user.page.get_by_role("button", name="Sign out").click()
    assert "/login" in user.page.url
    user.page.goto("/account")
    assert "/login" in user.page.url


def test_french_from_the_browser_language(new_page, people):
    person = people.make(Role.PROVIDER)
    browser_page = new_page(locale="fr-FR")
    browser_page.goto("/login")
    assert browser_page.get_by_role("heading", name="Connexion").is_visible()
    assert browser_page.locator("html").get_attribute("lang") == "fr"
    browser_page.get_by_label("Adresse e-mail").fill(person.email)
    browser_page.get_by_label("Mot de passe").fill("correct horse battery")
    browser_page.get_by_role("button", name="Connexion").click()
    assert browser_page.get_by_role("heading", name="Votre compte").is_visible()
