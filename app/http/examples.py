"""An example of every JSON request body, shown in the OpenAPI document (app/http/openapi.py) and sent by
the schemathesis run as one of its cases.

Each example is a valid body of its type (tests/http/test_openapi.py decodes it as the app does); ids in
them have the app's shape but name no record of a real database, so sent as they are most answer 404.
"""

from __future__ import annotations

from typing import Any

from app.core.schemas import ApproveIn, RejectIn
from app.disbursements import schemas as disbursements
from app.eligibility import schemas as eligibility
from app.http import api as core
from app.ledger import schemas as ledger
from app.reconciliation import schemas as reconciliation
from app.registry import schemas as registry
from app.vouchers import schemas as vouchers
from app.wage_subsidies import schemas as wage_subsidies

ADDRESS = {"line1": "17 Juniper Lane", "city": "Marrowby", "postcode": "MB1 7QQ", "country": "GB"}
PERSON = {
    "given_name": "Ana",
    "family_name": "Moreau",
    "date_of_birth": "1990-04-17",
    "gender": "female",
    "national_id": "XQ-99887766",
    "address": ADDRESS,
    "phone": "+44 7700 900123",
    "email": "ana.moreau@example.org",
}
CHILD = {"given_name": "Lea", "family_name": "Moreau", "date_of_birth": "2023-05-10", "has_disability": False}
LICENCE = {"licence_number": "CC-2026-0042", "valid_from": "2026-01-01", "valid_until": "2028-12-31"}
ISSUE = {
    "decision": "dec_7k2m4p6q8r0s2t4v",
    "fund": "ESF-2026",
    "valid_from": "2026-03-01",
    "valid_until": "2026-08-31",
    "child": "chd_3b5d7f9h1j3l5n7p",
    "provider": "prv_2c4e6g8j0k2m4p6r",
}
HOUSEHOLD = {
    "members": [
        {
            "id": "parent",
            "role": "parent",
            "birth_date": "1990-04-01",
            "activity": "employment",
            "weekly_activity_hours": 30,
            "activity_start": "2025-06-01",
            "monthly_income": "1200.00",
        },
        {"id": "child", "role": "child", "birth_date": "2024-05-10", "weekly_care_hours": 35},
    ]
}

REQUEST_EXAMPLES: dict[type, dict[str, Any]] = {
    core.LoginIn: {"email": "ana@example.org", "password": "correct horse battery"},
    core.PasswordChangeIn: {
        "current_password": "correct horse battery",
        "new_password": "staple battery horse",
    },
    core.TokenIn: {"name": "nightly export", "expires_in_days": 90},
    core.UserCreateIn: {
        "email": "ana@example.org",
        "display_name": "Ana Moreau",
        "roles": ["caseworker"],
        "password": "correct horse battery",
    },
    core.UserUpdateIn: {
        "display_name": "Ana Moreau-Lind",
        "roles": ["caseworker", "auditor"],
        "active": True,
    },
    core.PasswordResetIn: {"new_password": "staple battery horse"},
    registry.ParticipantIn: {"personal": PERSON},
    registry.ParticipantPatchIn: {
        "personal": {"phone": "+44 7700 900456"},
        "household": "hh_5d7f9h1j3l5n7p9r",
    },
    registry.HouseholdIn: {"region": "North"},
    registry.ChildIn: {"personal": CHILD},
    registry.ChildPatchIn: {"personal": {"has_disability": True}},
    registry.LicenceIn: LICENCE,
    registry.ProviderIn: {
        "name": "Little Acorns Nursery",
        "service": "childcare",
        "address": "3 Oak Row, Marrowby",
        "contact_email": "office@littleacorns.example",
        "contact_phone": "+44 1632 960123",
        "licence": LICENCE,
    },
    registry.ProviderPatchIn: {"contact_phone": "+44 1632 960999"},
    registry.EmployerIn: {
        "name": "Marrowby Bakery Ltd",
        "registration_number": "GB-0123456",
        "address": "8 Mill Street, Marrowby",
        "contact_email": "hr@marrowbybakery.example",
        "contact_phone": "+44 1632 960456",
    },
    registry.EmployerPatchIn: {"contact_email": "payroll@marrowbybakery.example"},
    ledger.DimensionIn: {"code": "ESF-2026", "name": "European Social Fund 2026", "currency": "EUR"},
    ledger.JournalIn: {
        "effective_date": "2026-03-02",
        "description": "Bank charges for March",
        "postings": [
            {"account": "5100", "fund": "ESF-2026", "programme": "CHILDCARE", "debit": "12.50"},
            {"account": "1010", "fund": "ESF-2026", "programme": "CHILDCARE", "credit": "12.50"},
        ],
        "reference_type": "manual",
        "reference_id": "ticket-118",
    },
    ledger.BudgetIn: {
        "fund": "ESF-2026",
        "programme": "CHILDCARE",
        "amount": "250000.00",
        "effective_date": "2026-01-01",
        "description": "2026 childcare allocation",
    },
    ledger.PaymentIn: {
        "fund": "ESF-2026",
        "programme": "CHILDCARE",
        "party": "prv_2c4e6g8j0k2m4p6r",
        "amount": "1250.00",
        "effective_date": "2026-03-02",
        "description": "March childcare payment",
    },
    ledger.ReversalIn: {"reason": "booked twice", "effective_date": "2026-03-03"},
    eligibility.BatchIn: {"cases": [HOUSEHOLD], "date": "2026-03-02", "store": False},
    eligibility.EvaluateIn: {"input": HOUSEHOLD, "date": "2026-03-02", "store": False},
    vouchers.IssueIn: ISSUE,
    vouchers.BatchIssueIn: {"vouchers": [ISSUE]},
    vouchers.RevokeIn: {"reason": "the family moved out of the region", "effective_date": "2026-04-01"},
    vouchers.ClaimIn: {
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "lines": [
            {
                "code": "CV-7K2M-4P6Q",
                "child_birth_date": "2023-05-10",
                "service_start": "2026-03-01",
                "service_end": "2026-03-31",
                "days_attended": 20,
                "amount": "260.00",
            }
        ],
    },
    ApproveIn: {"lines": [1, 2], "effective_date": "2026-04-02"},
    RejectIn: {"reason": "the attendance register is missing"},
    wage_subsidies.PlacementIn: {
        "employer": "emp_4e6g8j0k2m4p6r8t",
        "participant": "par_6g8j0k2m4p6r8t0v",
        "role": "Baker's assistant",
        "start_date": "2026-02-02",
        "contracted_weekly_hours": 30,
        "gross_wage": "1800.00",
    },
    wage_subsidies.SeparationIn: {"end_date": "2026-06-30", "reason": "the contract ended"},
    wage_subsidies.AgreementIn: {
        "fund": "ESF-2026",
        "agreement_date": "2026-02-01",
        "labour_law_declaration_signed": True,
        "layoffs_same_role_last_90_days": False,
        "employed_by_employer_last_12_months": False,
    },
    wage_subsidies.WageClaimIn: {
        "period": "2026-03",
        "lines": [{"placement": "plc_8j0k2m4p6r8t0v2x", "gross_wage": "1800.00", "hours_worked": 130.5}],
    },
    wage_subsidies.RepaymentIn: {
        "amount": "300.00",
        "effective_date": "2026-05-04",
        "reference": "BANK-5521",
    },
    disbursements.ReasonIn: {"reason": "the bank details are being checked"},
    disbursements.RunIn: {"pay_date": "2026-03-06", "programme": "CHILDCARE", "currency": "EUR"},
    disbursements.PaymentDetailIn: {
        "method": "sepa",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "holder": "Little Acorns Nursery",
    },
    reconciliation.AssignIn: {"assignee": "usr_0k2m4p6r8t0v2x4z", "due_date": "2026-03-13"},
    reconciliation.ReasonIn: {"reason": "the statement line belongs to another account"},
    reconciliation.ResolveIn: {
        "resolution": "matched_by_hand",
        "reason": "the provider was paid in two parts",
        "params": {"instruction": "pin_2m4p6r8t0v2x4z6b"},
    },
    reconciliation.RunIn: {"as_of": "2026-03-31"},
}
