"""Refusals say in words what to write: no regular expression and no "RFC 3339" reaches a person."""

from __future__ import annotations

from app.core.roles import Role
from app.http.wording import in_words


def test_decoder_messages_become_instructions():
    assert in_words("Invalid RFC3339 encoded date - at `$.period_start`") == "write the date as 2026-03-31"
    assert (
        in_words("Expected `str` matching regex '^\\d{4}-(0[1-9]|1[0-2])$'") == "write the month as 2026-03"
    )
    assert in_words("Expected `str` matching regex '^[A-Z]{3}$' - at `$.currency`").startswith(
        "write the currency"
    )
    assert in_words("Expected `str` matching regex '^x+$'").startswith("is not written the way")
    assert in_words("Expected `str` of length <= 100 - at `$.name`") == "is too long: at most 100"
    assert in_words("Expected `int`, got `str` - at `$.days`") == "should be a whole number"
    assert in_words("Expected `int` >= 1") == "must be 1 or more"
    assert in_words("a claim has 1 to 100,000 lines") == "a claim has 1 to 100,000 lines"  # already words


def test_api_refusals_carry_no_regex_or_rfc(people):
    bodies = [
        ("POST", "/api/v1/wage-claims", Role.EMPLOYER, {"period": "March", "lines": []}),
        (
            "POST",
            "/api/v1/claims",
            Role.PROVIDER,
            {"period_start": "31/03/2026", "period_end": "2026-03-31", "lines": []},
        ),
        (
            "POST",
            "/api/v1/ledger/funds",
            Role.BUDGET_HOLDER,
            {"code": "esf", "name": "x", "currency": "euro"},
        ),
    ]
    for method, path, role, body in bodies:
        response = people.call(role, method, path, json=body)
        assert response.status_code == 400, (path, response.text)
        error = response.json()["error"]
        said = " ".join([error["message"], *(d["message"] for d in error.get("details", []))])
        assert "regex" not in said and "RFC" not in said and "^" not in said, said
        assert "write" in said, said
    query = people.call(Role.EMPLOYER, "POST", "/api/v1/wage-claims/csv?period=March", content=b"x")
    assert (
        query.status_code == 400 and "regex" not in query.text and "write the month as 2026-03" in query.text
    )


def test_every_pattern_in_the_api_has_words(app):
    """A new pattern in a schema needs its words in app/http/wording.py (or is a choice like ^(a|b)$)."""
    import json

    from app.http.wording import pattern_in_words

    spec = json.dumps(app.openapi_schema.to_schema())
    patterns = {
        json.loads(f'"{p}"') for p in __import__("re").findall(r'"pattern": "((?:[^"\\]|\\.)*)"', spec)
    }
    assert patterns, "the OpenAPI has patterns to check"
    missing = sorted(p for p in patterns if pattern_in_words(p) is None)
    assert not missing, f"say in words what to write for: {missing}"
