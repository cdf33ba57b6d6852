"""Each operation documents the refusals it can really give (app/http/openapi.py `error_statuses`), not one
blanket list: a list has no 404 or 409, a body brings 413/415/422, sign-in alone is rate-limited."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def responses(app) -> dict[str, set[int]]:
    document = app.openapi_schema.to_schema()
    return {
        f"{method.upper()} {path}": {int(status) for status in operation["responses"]}
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def _errors(responses: dict[str, set[int]], operation: str) -> set[int]:
    return {status for status in responses[operation] if status >= 400}


def test_a_list_without_path_parameters_has_no_404_and_no_409(responses):
    assert _errors(responses, "GET /api/v1/vouchers") == {400, 401, 403, 422}
    assert _errors(responses, "GET /api/v1/me/tokens") == {400, 401, 403}


def test_a_read_of_one_record_has_404_but_no_body_refusals(responses):
    assert _errors(responses, "GET /api/v1/vouchers/{voucher_id}") == {400, 401, 403, 404}


def test_a_post_with_a_body_has_413_415_422_and_409(responses):
    assert _errors(responses, "POST /api/v1/vouchers") == {400, 401, 403, 409, 413, 415, 422}


def test_a_file_body_is_not_refused_as_not_json(responses):
    errors = _errors(responses, "POST /api/v1/claims/csv")
    assert {413, 422} <= errors and 415 not in errors


def test_sign_in_is_public_and_rate_limited(responses):
    assert _errors(responses, "POST /api/v1/auth/login") == {400, 401, 413, 415, 422, 429}
    assert all(429 not in statuses for op, statuses in responses.items() if op != "POST /api/v1/auth/login")


def test_a_public_operation_has_no_role_refusal(responses):
    assert {401, 403} & _errors(responses, "POST /api/v1/webhooks/stripe") == set()


def test_what_a_handler_raises_beyond_its_route_is_declared_by_it(responses):
    """Releasing calls Stripe, which may not answer: 502, declared by the handler."""
    assert 502 in responses["POST /api/v1/payment-runs/{run_id}/release"]
    assert 502 not in responses["POST /api/v1/payment-runs/{run_id}/approve"]


def test_every_refusal_has_the_error_envelope_as_schema(app):
    document = app.openapi_schema.to_schema()
    for item in document["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, status
