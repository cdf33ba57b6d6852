"""The OpenAPI document describes every operation: a description saying what it does and who may call it,
an example of every JSON request body that the app itself accepts, and only the app's own routes."""

from __future__ import annotations

import msgspec
import pytest

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def document(app) -> dict:
    return app.openapi_schema.to_schema()


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_every_operation_says_what_it_does_and_who_may_call_it(document):
    missing = []
    for method, path, operation in _operations(document):
        first, _, rest = (operation.get("description") or "").partition("\n\n")
        says_what = bool(first) and not first.startswith(("Roles allowed", "Open to", "Closed to"))
        says_who = not path.startswith("/api/") or any(
            text in rest for text in ("Roles allowed: ", "Open to everyone", "Closed to every role")
        )
        if not (says_what and says_who):
            missing.append(f"{method} {path}")
    assert missing == []


def test_every_request_body_has_an_example_the_app_accepts(app, document):
    """A workbook (binary) is the one body that cannot be shown as an example."""
    missing = [
        f"{method} {path} {media_type}"
        for method, path, operation in _operations(document)
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items()
        if "example" not in content and not media_type.endswith("spreadsheetml.sheet")
    ]
    assert missing == []
    body_types = {
        handler.parsed_fn_signature.parameters["data"].annotation
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        if route.path.startswith("/api/") and "data" in handler.parsed_fn_signature.parameters
    }
    for body_type in body_types:  # each example is a valid body, decoded as the app decodes one
        msgspec.json.decode(msgspec.json.encode(body_type.example), type=body_type)


def test_the_document_describes_the_app_not_its_own_viewer(document):
    """Litestar's schema viewer (/schema/…) answered 404 for paths it did not document: it is no part of
    the API, so it is left out of the document, as the pages are."""
    assert sorted({path.split("/")[1] for path in document["paths"]}) == ["api", "health"]


def test_every_file_example_is_a_file_the_app_reads():
    """The text files shown as examples parse with the app's own readers (which refuse a bad file)."""
    from app.disbursements import api as disbursements_api
    from app.disbursements import pain002
    from app.reconciliation import api as reconciliation_api
    from app.reconciliation import camt
    from app.vouchers import api as vouchers_api
    from app.vouchers import claim_csv
    from app.wage_subsidies import api as wage_subsidies_api
    from app.wage_subsidies import payroll_csv

    assert len(claim_csv.parse(vouchers_api.CLAIM_CSV_EXAMPLE.encode())) == 1
    assert len(payroll_csv.parse(wage_subsidies_api.PAYROLL_CSV_EXAMPLE.encode())) == 1
    assert len(camt.parse(reconciliation_api.STATEMENT_EXAMPLE.encode()).entries) == 1
    assert pain002.parse(disbursements_api.PAIN002_EXAMPLE.encode()).original_message_id
