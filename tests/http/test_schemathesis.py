"""Schemathesis against the app's own OpenAPI document, signed in as an admin and as a provider: no
server error, every answer conforms to its documented schema and status code.

One pytest test per operation (so a failure names it, and parallel workers can share them out), each
sending the operation's documented request example, then GRANTS_SCHEMATHESIS_EXAMPLES (default 2) valid
and as many invalid generated requests, derandomized, so that every run and every worker sends the same
cases and the whole costs a couple of minutes. GRANTS_SCHEMATHESIS=0 skips it (e.g. for a quick local
run). Mutating operations create data; the suite's autouse fixture empties the database before each test,
so no operation depends on what another left behind or on the order the tests run in.
"""

from __future__ import annotations

import itertools
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from app.core.roles import Role

pytestmark = pytest.mark.skipif(
    os.environ.get("GRANTS_SCHEMATHESIS") == "0", reason="GRANTS_SCHEMATHESIS=0 turns it off"
)

EXAMPLES = int(os.environ.get("GRANTS_SCHEMATHESIS_EXAMPLES", "2"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
_keys = itertools.count()


def _schema() -> schemathesis.BaseSchema:
    from app.main import create_app  # after conftest's pytest_configure has set the environment

    return schemathesis.openapi.from_asgi("/schema/openapi.json", create_app())


SCHEMA = _schema()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def _strategies(operation) -> list[tuple[st.SearchStrategy, int]]:
    """The operation's documented examples (one case each), then valid and invalid generated requests."""
    explicit = [(strategy, 1) for strategy in SCHEMA.get_strategies_from_examples(operation)]
    generated = [(operation.as_strategy(generation_mode=mode), EXAMPLES) for mode in GenerationMode]
    return explicit + generated


def _signed_in(role: Role, organisation: str | None) -> dict[str, str]:
    """A user of the role with a token and no password (hashing one costs more than the requests)."""
    from app.core.credentials import create_token
    from app.core.users import create_user
    from tests.support import SYSTEM, run

    user = run(
        create_user(
            SYSTEM,
            email=f"{role.value}@example.org",
            display_name=f"Schemathesis {role.value}",
            roles=frozenset({role}),
            organisation=organisation,
        )
    )
    _, secret = run(create_token(SYSTEM, user.id, "schemathesis"))
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def signed_in() -> dict[Role, dict[str, str]]:
    from app.registry import organisations
    from tests.support import SYSTEM, run

    provider = run(organisations.create_provider(SYSTEM, name="Schemathesis Provider")).id
    return {Role.ADMIN: _signed_in(Role.ADMIN, None), Role.PROVIDER: _signed_in(Role.PROVIDER, provider)}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_the_operation_keeps_to_its_schema(operation, signed_in):
    def call(case) -> None:
        for role, headers in signed_in.items():
            key = {"Idempotency-Key": f"schemathesis-{next(_keys)}"}  # fresh: a reused one is a 409
            try:
                case.call_and_validate(headers={**headers, **key}, checks=CHECKS)
            except Exception as failure:
                failure.add_note(f"signed in as {role.value}")
                raise

    for strategy, count in _strategies(operation):
        run = settings(
            max_examples=count,
            deadline=None,
            derandomize=True,  # the same cases on every run and every worker
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
        )(given(case=strategy)(call))
        run()
