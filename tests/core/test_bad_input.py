"""Bad input on every endpoint, generated from the route table and the request structs.

For each handler that takes a JSON body, starting from a valid example body, every field in turn is
left out, given a wrong type, made too long, and joined by an unknown field. Each must be refused with
400, name the field (dotted path), and write nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import msgspec
import msgspec.inspect as mi

from app.core.roles import STAFF_ROLES, Role
from app.disbursements import schemas as pay
from app.eligibility import schemas as elig
from app.http import api as core_api
from app.http.input_guard import known_query
from app.ledger import schemas as led
from app.reconciliation import schemas as rec
from app.registry import schemas as reg
from app.vouchers import schemas as vch
from app.wage_subsidies import schemas as wage
from tests.core.test_route_matrix import _guarded, _routes, _url
from tests.support import PERSON_EXAMPLE, row_counts, run

LICENCE = {"licence_number": "L-1", "valid_from": "2026-01-01", "valid_until": "2026-12-31"}
EXAMPLES: dict[type, dict[str, Any]] = {
    core_api.LoginIn: {"email": "a@example.org", "password": "secret-secret"},
    core_api.PasswordChangeIn: {"current_password": "x", "new_password": "long-enough-pw"},
    core_api.PasswordResetIn: {"new_password": "long-enough-pw"},
    core_api.TokenIn: {"name": "ci", "expires_in_days": 30},
    core_api.UserCreateIn: {
        "email": "new@example.org",
        "display_name": "New",
        "roles": ["caseworker"],
        "organisation": None,
        "password": "long-enough-pw",
    },
    core_api.UserUpdateIn: {"display_name": "N", "roles": ["approver"], "active": True},
    reg.ParticipantIn: {"personal": PERSON_EXAMPLE, "household": "hh_0000000000000000"},
    reg.ParticipantPatchIn: {
        "personal": PERSON_EXAMPLE,
        "household": "hh_0000000000000000",
        "status": "active",
    },
    reg.HouseholdIn: {"region": "North"},
    reg.ChildIn: {
        "personal": {
            "given_name": "A",
            "family_name": "B",
            "date_of_birth": "2020-01-01",
            "has_disability": False,
        }
    },
    reg.ChildPatchIn: {
        "personal": {
            "given_name": "A",
            "family_name": "B",
            "date_of_birth": "2020-01-01",
            "has_disability": False,
        }
    },
    reg.LicenceIn: LICENCE,
    reg.ProviderIn: {
        "name": "P",
        "address": "1 Road",
        "contact_email": "p@example.org",
        "contact_phone": "+1 2",
        "licence": LICENCE,
    },
    reg.ProviderPatchIn: {
        "name": "P",
        "address": "1 Road",
        "contact_email": "p@example.org",
        "contact_phone": "+1 2",
    },
    reg.EmployerIn: {
        "name": "E",
        "registration_number": "R-9",
        "address": "",
        "contact_email": "",
        "contact_phone": "",
    },
    reg.EmployerPatchIn: {
        "name": "E",
        "registration_number": "R-9",
        "address": "",
        "contact_email": "",
        "contact_phone": "",
    },
    led.DimensionIn: {"code": "ESF", "name": "European Social Fund", "currency": "EUR"},
    led.BudgetIn: {
        "fund": "ESF",
        "programme": "CHILDCARE",
        "amount": "1000.00",
        "effective_date": "2026-10-01",
        "description": "d",
        "reference_id": "r",
    },
    led.JournalIn: {
        "effective_date": "2026-10-01",
        "description": "d",
        "reference_type": "t",
        "reference_id": "r",
        "postings": [
            {"account": "1010", "fund": "ESF", "programme": "CHILDCARE", "party": "", "debit": "1.00"},
            {"account": "4100", "fund": "ESF", "programme": "CHILDCARE", "credit": "1.00"},
        ],
    },
    led.PaymentIn: {
        "fund": "ESF",
        "programme": "CHILDCARE",
        "party": "prv_abc",
        "amount": "10.00",
        "effective_date": "2026-10-01",
        "description": "d",
        "reference_id": "r",
    },
    led.ReversalIn: {"reason": "wrong", "effective_date": "2026-10-01"},
    led.CostKeyIn: {
        "programme": "CHILDCARE",
        "effective_from": "2026-07-01",
        "method": "shares",
        "shares": {"ESF": 3, "STATE": 1},
        "reason": "donors' addendum",
    },
    led.AllocateIn: {"through": "2026-06-30"},
    elig.EvaluateIn: {"input": {}, "date": "2026-03-02", "participant": None, "store": False},
    elig.BatchIn: {"cases": [{}], "date": "2026-03-02", "store": False},
    vch.IssueIn: {
        "decision": "dec_0000000000000000",
        "fund": "ESF",
        "valid_from": "2026-03-02",
        "valid_until": "2026-05-24",
        "child": None,
        "provider": None,
    },
    vch.BatchIssueIn: {
        "vouchers": [
            {
                "decision": "dec_0000000000000000",
                "fund": "ESF",
                "valid_from": "2026-03-02",
                "valid_until": "2026-05-24",
            }
        ]
    },
    vch.RevokeIn: {"reason": "moved away", "effective_date": "2026-05-01"},
    vch.ClaimApproveIn: {"lines": [1], "effective_date": "2026-04-10"},
    vch.ClaimRejectIn: {"reason": "not attended"},
    wage.PlacementIn: {
        "employer": "emp_0000000000000000",
        "participant": "par_0000000000000000",
        "role": "Clerk",
        "start_date": "2026-03-02",
        "contracted_weekly_hours": 40,
        "gross_wage": "1800.00",
    },
    wage.AgreementIn: {
        "fund": "ESF",
        "agreement_date": "2026-03-01",
        "labour_law_declaration_signed": True,
        "layoffs_same_role_last_90_days": False,
        "employed_by_employer_last_12_months": False,
    },
    wage.SeparationIn: {"end_date": "2026-05-31", "reason": "resigned"},
    wage.RepaymentIn: {"amount": "100.00", "effective_date": "2026-06-01", "reference": "BANK-1"},
    wage.WageClaimIn: {
        "period": "2026-03",
        "lines": [
            {
                "placement": "plc_0000000000000000",
                "gross_wage": "1800.00",
                "hours_worked": 160,
                "still_employed": False,
                "end_date": "2026-03-31",
                "kind": "wage",
            }
        ],
    },
    pay.RunIn: {"pay_date": "2030-01-15", "programme": "CHILDCARE", "currency": "EUR"},
    pay.ReasonIn: {"reason": "not this month"},
    rec.RunIn: {"as_of": "2030-01-15"},
    rec.AssignIn: {"assignee": "usr_0000000000000000", "due_date": "2030-01-31"},
    rec.ResolveIn: {"resolution": "accepted", "reason": "explained by the bank", "params": {}},
    rec.ReasonIn: {"reason": "not this one"},
    pay.PaymentDetailIn: {
        "method": "sepa",
        "stripe_account": "",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "holder": "Little Stars",
    },
    vch.ClaimIn: {
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "lines": [
            {
                "code": "K7QM-3XHD-9PTA-WB",
                "child_birth_date": "2024-05-10",
                "service_start": "2026-03-02",
                "service_end": "2026-03-27",
                "days_attended": 20,
                "amount": "1040.00",
            }
        ],
    },
}

WRONG_VALUE = {
    mi.StrType: 12345,
    mi.IntType: "twelve",
    mi.FloatType: "forty",
    mi.BoolType: "maybe",
    mi.DateType: "31/12/2020",
    mi.StructType: "not an object",
    mi.ListType: "not a list",
    mi.EnumType: "no-such-choice",
    mi.LiteralType: "no-such-choice",
    mi.DictType: 7,
}


def _core(t: mi.Type) -> mi.Type:
    """The type behind `X | None`, `X | UNSET` or annotations."""
    if isinstance(t, mi.Metadata):
        return _core(t.type)
    if isinstance(t, mi.UnionType):
        options = [o for o in t.types if not isinstance(o, mi.NoneType)]
        return _core(options[0])
    return t


def _set(body: dict, path: tuple[str, ...], value: Any) -> dict:
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return body


_DELETE = object()


def mutations(struct: type, example: dict, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str, dict]]:
    """(what, expected param, bad body) for every field of the struct and its nested structs."""
    yield "unknown field", ".".join((*path, "zz_unknown")), _set(example, (*path, "zz_unknown"), 1)
    info = mi.type_info(struct)
    for field in info.fields:
        fpath = (*path, field.encode_name)
        param = ".".join(fpath)
        kind = _core(field.type)
        if field.required:
            yield "missing", param, _set(example, fpath, _DELETE)
        yield "wrong type", param, _set(example, fpath, WRONG_VALUE[type(kind)])
        if isinstance(kind, mi.StrType) and kind.max_length:
            yield "too long", param, _set(example, fpath, "x" * (kind.max_length + 1))
        if isinstance(kind, mi.StrType):
            yield "NUL", param, _set(example, fpath, "a\u0000b")
            if kind.pattern and "0-9" in kind.pattern:
                yield "non-ASCII digits", param, _set(example, fpath, "\u0661\u0662\u0663")
        if isinstance(kind, mi.DateType):
            for day in ("0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"):
                yield f"date {day}", param, _set(example, fpath, day)
        if isinstance(kind, mi.StructType):
            yield from mutations(kind.cls, example, fpath)


def _body_handlers(app):
    for method, path, handler in _routes(app):
        param = handler.parsed_fn_signature.parameters.get("data")
        if (
            param is not None
            and isinstance(param.annotation, type)
            and issubclass(param.annotation, msgspec.Struct)
        ):
            yield method, path, handler, param.annotation


def _caller(handler) -> Role | None:
    from app.http.guards import declared_roles

    roles = declared_roles(handler)
    if roles is None:
        return None
    staff = sorted(roles & STAFF_ROLES)
    return staff[0] if staff else sorted(roles)[0]


def test_every_body_type_has_an_example(app):
    missing = {s.__name__ for _, _, _, s in _body_handlers(app)} - {t.__name__ for t in EXAMPLES}
    assert not missing, f"add example bodies for {missing}"


def test_bad_bodies_are_refused_with_the_field_named_and_nothing_written(app, people):
    for role in Role:
        people.make(role)
    before = run(row_counts())
    failures, tried = [], 0
    for method, path, handler, struct in _body_handlers(app):
        role = _caller(handler)
        for what, param, body in mutations(struct, EXAMPLES[struct]):
            tried += 1
            response = people.call(role, method, _url(path), json=body, headers={"Idempotency-Key": "k1"})
            error = response.json().get("error", {}) if response.status_code < 500 else {}
            if response.status_code != 400 or error.get("param") != param:
                failures.append(
                    f"{method} {path} {what} {param}: {response.status_code} param={error.get('param')!r}"
                    f" {error.get('message', response.text[:100])!r}"
                )
    assert tried > 400
    assert not failures, f"{len(failures)} of {tried}:\n" + "\n".join(failures)
    assert run(row_counts()) == before


def test_malformed_json_and_wrong_content_are_400(people):
    for body in (b"{not json", b"", b"[]", b'"text"', b"\xff\xfe"):
        response = people.call(
            Role.CASEWORKER,
            "POST",
            "/api/v1/participants",
            content=body,
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 400, body
        assert response.json()["error"]["message"]


def test_oversized_request_is_refused(people):
    huge = b'{"personal": {"given_name": "' + b"x" * (21 * 1024 * 1024) + b'"}}'
    response = people.call(
        Role.CASEWORKER,
        "POST",
        "/api/v1/participants",
        content=huge,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_bad_query_parameters_name_the_parameter(app, people):
    lists = [
        (m, p, h)
        for m, p, h in _guarded(app)
        if m == "GET" and "limit" in h.parsed_fn_signature.parameters and p.startswith("/api/")
    ]
    assert len(lists) >= 6
    for _method, path, handler in lists:
        role = _caller(handler)
        for params in ({"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"starting_after": "x" * 41}):
            response = people.call(role, "GET", _url(path), params=params)
            assert response.status_code == 400, (path, params, response.text)
            assert response.json()["error"]["param"] == next(iter(params)), (path, params)


def test_rules_checked_after_parsing_still_name_their_field(people):
    body = {"personal": dict(PERSON_EXAMPLE, date_of_birth="2990-01-01")}
    response = people.call(Role.CASEWORKER, "POST", "/api/v1/participants", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "personal.date_of_birth"
    licence = {"licence_number": "L", "valid_from": "2026-02-01", "valid_until": "2026-01-01"}
    response = people.call(Role.ADMIN, "POST", "/api/v1/providers", json={"name": "P", "licence": licence})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "licence.valid_until"


def _deep(depth: int) -> bytes:
    return b'{"zz": ' + b"[" * depth + b"]" * depth + b"}"


HOSTILE_BODIES = {
    "nested 1,000 deep": _deep(1000),
    "nested 100,000 deep": _deep(100_000),
    "invalid UTF-8 in a string": b'{"zz": "caf\xe9"}',
    "invalid UTF-8 as a key": b'{"\xff\xfe": 1}',
    "NUL in a key": b'{"a\\u0000": 1}',
}


def test_hostile_json_is_400_on_every_body_endpoint(app, people):
    """Deep nesting was a RecursionError and invalid UTF-8 a UnicodeDecodeError: both 500 (this test
    failed then)."""
    for role in Role:
        people.make(role)
    failures = []
    for method, path, handler, _struct in _body_handlers(app):
        for what, body in HOSTILE_BODIES.items():
            response = people.call(
                _caller(handler),
                method,
                _url(path),
                content=body,
                headers={"content-type": "application/json", "Idempotency-Key": "k2"},
            )
            if response.status_code != 400 or "error" not in response.json():
                failures.append(f"{method} {path} {what}: {response.status_code} {response.text[:80]}")
    assert not failures, "\n".join(failures)


def test_json_bodies_need_a_json_content_type(app, people):
    """A JSON body sent as text/plain or a form was decoded anyway (this test failed then: 201 or 400)."""
    for role in Role:
        people.make(role)
    failures = []
    for method, path, handler, struct in _body_handlers(app):
        for kind in ("text/plain", "application/x-www-form-urlencoded", None):
            headers = {"Idempotency-Key": "k3", **({"content-type": kind} if kind else {})}
            body = msgspec.json.encode(EXAMPLES[struct])
            response = people.call(_caller(handler), method, _url(path), content=body, headers=headers)
            if response.status_code != 415 or response.json()["error"]["code"] != "unsupported_media_type":
                failures.append(f"{method} {path} {kind}: {response.status_code}")
    assert not failures, "\n".join(failures)


def _api_gets(app):
    for method, path, handler in _guarded(app):
        if method == "GET" and path.startswith("/api/"):
            yield path, handler


def test_unknown_query_parameters_are_refused(app, people):
    """A misspelt filter (?statsu=paid) was ignored and everything listed (this test failed then)."""
    for role in Role:
        people.make(role)
    failures, tried = [], 0
    for path, handler in _api_gets(app):
        tried += 1
        response = people.call(_caller(handler), "GET", _url(path), params={"zz_unknown": "1"})
        error = (
            response.json().get("error", {})
            if response.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        if response.status_code != 400 or error.get("param") != "zz_unknown":
            failures.append(f"GET {path}: {response.status_code} {error}")
    assert tried >= 20
    assert not failures, "\n".join(failures)


def test_nul_and_bad_dates_in_query_parameters_are_400(app, people):
    """A NUL in a query parameter reached PostgreSQL (a 500 there; this test failed then)."""
    for role in Role:
        people.make(role)
    failures = []
    for path, handler in _api_gets(app):
        dates = set()
        names = sorted(known_query(handler))
        dates = handler.opt["_date_query"]
        for name in names:
            for value in ("a\x00b", *(("0001-01-01", "9999-12-31") if name in dates else ())):
                response = people.call(_caller(handler), "GET", _url(path), params={name: value})
                if response.status_code != 400 or response.json()["error"]["param"] != name:
                    failures.append(f"GET {path} {name}={value!r}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_every_string_at_its_longest_fits_its_column(app, people):
    """Schemas allowed longer strings than their columns (token name 200 vs varchar(100), placement role
    200 vs 120): a 500 on PostgreSQL (this test failed there). Each text field at its maximum length must
    never be a server error."""
    for role in Role:
        people.make(role)
    failures = []
    for method, path, handler, struct in _body_handlers(app):
        for param, body in _at_the_limit(struct, EXAMPLES[struct]):
            response = people.call(
                _caller(handler), method, _url(path), json=body, headers={"Idempotency-Key": f"k-{param}"}
            )
            if response.status_code >= 500:
                failures.append(f"{method} {path} {param} at its limit: {response.status_code}")
    assert not failures, "\n".join(failures)


def _at_the_limit(struct: type, example: dict, path: tuple[str, ...] = ()) -> Iterator[tuple[str, dict]]:
    for field in mi.type_info(struct).fields:
        fpath = (*path, field.encode_name)
        kind = _core(field.type)
        if isinstance(kind, mi.StrType) and kind.max_length and not kind.pattern:
            yield ".".join(fpath), _set(example, fpath, "x" * kind.max_length)
        if isinstance(kind, mi.StructType) and fpath[-1] in example:
            yield from _at_the_limit(kind.cls, example, fpath)
