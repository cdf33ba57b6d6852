"""Providers' pages over HTTP: the claim form and the CSV upload reuse the claim service, say each line's
outcome in words, refuse bad input with where it is, and only providers reach them."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.roles import Role
from tests.support import post_form
from tests.vouchers.test_claims import _voucher

PASSWORD = "correct horse battery"


@pytest.fixture
def frozen_today(monkeypatch):
    monkeypatch.setattr("app.web.pages.provider.today", lambda: dt.date(2026, 4, 10))


def _sign_in(client, people, role=Role.PROVIDER):
    person = people.make(role)
    assert post_form(client, "/login", {"email": person.email, "password": PASSWORD}).status_code == 200
    return person


def _line(code, **extra):
    line = {
        "voucher_code": code,
        "child_birth_date": "2024-05-10",
        "service_start": "2026-03-02",
        "service_end": "2026-03-27",
        "days_attended": "20",
        "amount": "1040.00",
    }
    return {**line, **extra}


def _form(*lines):
    fields = {"period_start": "2026-03-01", "period_end": "2026-04-09"}
    for name in lines[0]:
        fields[name] = [line[name] for line in lines]
    return fields


def test_only_providers_reach_the_provider_pages(client, people):
    _sign_in(client, people, Role.CASEWORKER)
    for path in ("/provider", "/provider/claims", "/provider/claims/new", "/provider/statement"):
        assert client.get(path).status_code == 403, path
    assert post_form(client, "/provider/claims/new", _form(_line("X"))).status_code == 403


def test_claim_form_shows_each_line_outcome_in_words(client, people, frozen_today):
    voucher = _voucher(people)
    _sign_in(client, people)
    reduced = _line(
        voucher["code"],
        service_start="2026-03-30",
        service_end="2026-04-03",
        days_attended="5",
        amount="300.00",
    )
    wrong_child = _line(
        voucher["code"],
        child_birth_date="2024-05-11",
        service_start="2026-04-06",
        service_end="2026-04-09",
        days_attended="4",
        amount="100.00",
    )
    sent = post_form(client, "/provider/claims/new", _form(_line(voucher["code"]), reduced, wrong_child))
    assert sent.status_code == 200, sent.text
    assert "Your claim was received" in sent.text
    assert "€1,040.00" in sent.text and "€1,300.00" in sent.text
    assert "capped at the voucher&#39;s rate for the attendance" in sent.text
    assert "the date of birth does not match the voucher&#39;s holder" in sent.text
    listing = client.get("/provider/claims", params={"status": "submitted"})
    assert "waiting for approval" in listing.text and "€1,300.00" in listing.text
    home = client.get("/provider")
    assert "Claims waiting for approval" in home.text


def test_bad_form_lines_are_named_and_nothing_recorded(client, people, frozen_today):
    voucher = _voucher(people)
    _sign_in(client, people)
    bad = _line(voucher["code"], child_birth_date="10/05/2024", amount="ten")
    refused = post_form(client, "/provider/claims/new", _form(_line(voucher["code"]), bad))
    assert refused.status_code == 400
    assert "Line 2, child&#39;s date of birth: write the date as 2026-03-31" in refused.text
    assert "Line 2, amount: write the amount as a number" in refused.text
    assert "regex" not in refused.text and "RFC" not in refused.text
    assert 'value="10/05/2024"' in refused.text  # what was typed stays in the form
    assert "No claims yet." in client.get("/provider/claims").text


def test_add_a_line_without_javascript(client, people):
    _sign_in(client, people)
    longer = post_form(client, "/provider/claims/new", {**_form(_line("A"), _line("B")), "add_line": "1"})
    assert longer.status_code == 200
    assert longer.text.count('name="voucher_code"') == 3


def test_csv_upload_reports_bad_lines_then_accepts_a_good_file(client, people, frozen_today):
    voucher = _voucher(people)
    _sign_in(client, people)
    header = "voucher_code,child_birth_date,service_start,service_end,days_attended,amount\n"
    bad = (
        header
        + f"{voucher['code']},2024-05-10,2026-03-02,2026-03-27,20,1040.00\n{voucher['code']},2024-13-40,2026-03-02,2026-03-27,20,1.00\n"
    )
    period = {"period_start": "2026-03-01", "period_end": "2026-03-31"}
    refused = post_form(
        client, "/provider/claims/upload", period, files={"file": ("claim.csv", bad.encode(), "text/csv")}
    )
    assert refused.status_code == 400
    assert "Line 3, child&#39;s date of birth: write the date as 2026-03-31" in refused.text
    good = header + f"{voucher['code']},2024-05-10,2026-03-02,2026-03-27,20,1040.00\n"
    sent = post_form(
        client, "/provider/claims/upload", period, files={"file": ("claim.csv", good.encode(), "text/csv")}
    )
    assert sent.status_code == 200 and "Your claim was received" in sent.text and "accepted" in sent.text


def test_statement_downloads_the_lines(client, people, frozen_today):
    voucher = _voucher(people)
    _sign_in(client, people)
    post_form(client, "/provider/claims/new", _form(_line(voucher["code"])))
    statement = client.get("/provider/statement.csv", params={"from": "2026-03-01", "to": "2026-03-31"})
    assert statement.status_code == 200
    assert statement.headers["content-type"].startswith("text/csv")
    assert "1040.00" in statement.text and "accepted" in statement.text
    refused = client.get("/provider/statement.csv", params={"from": "March", "to": "2026-03-31"})
    assert refused.status_code == 400 and "write the date as 2026-03-31" in refused.text


def test_french_provider_pages(client, people, frozen_today):
    voucher = _voucher(people)
    _sign_in(client, people)
    sent = post_form(
        client,
        "/provider/claims/new",
        _form(_line(voucher["code"], child_birth_date="2024-05-11")),
        headers={"Accept-Language": "fr-FR,fr;q=0.9"},
    )
    assert "la date de naissance ne correspond pas" in sent.text
    assert "rejeté" in sent.text and "1\u202f040,00\xa0€" in sent.text
