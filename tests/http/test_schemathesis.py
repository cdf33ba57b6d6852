"""Schemathesis against the app's own OpenAPI document, signed in as an admin and as a provider: no
server error, every answer conforms to its documented schema and status code.

Opt-in for now (GRANTS_SCHEMATHESIS=1): on this shared machine one example per operation took over
200 s for the first 34 operations, and the whole run has not yet been seen to pass, so it is not part of
`make test` yet. Bounded by GRANTS_SCHEMATHESIS_EXAMPLES (default 4). Done for it in the shared layers:
every /api operation documents its 4xx answers with the error envelope as their schema, the 202 answers,
and the roles it admits (app/http/openapi.py).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from app.core.roles import Role

pytestmark = pytest.mark.skipif(
    os.environ.get("GRANTS_SCHEMATHESIS") != "1", reason="opt-in: GRANTS_SCHEMATHESIS=1 (see the docstring)"
)

EXAMPLES = int(os.environ.get("GRANTS_SCHEMATHESIS_EXAMPLES", "4"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


def _schema():
    from app.main import create_app  # after conftest's pytest_configure has set the environment

    return schemathesis.openapi.from_asgi("/schema/openapi.json", create_app())


schema = _schema()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
)
def test_the_api_keeps_to_its_schema(case, people):
    for role in (Role.ADMIN, Role.PROVIDER):
        headers = {**people.make(role).headers, "Idempotency-Key": "schemathesis"}
        case.call_and_validate(headers=headers, checks=CHECKS)
