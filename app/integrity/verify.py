"""Every integrity check the system has, run together: the ledger's keyed chain, balances and postings;
the audit log's keyed chain; and the money kept outside the ledger (vouchers, provider claims, wage
subsidy agreements, employer claims) recomputed from the ledger. The command line and the API both
call `verify_all`, so they report the same problems.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.core import audit_chain
from app.ledger.verify import Problem, VerifyResult, verify
from app.vouchers import integrity as vouchers
from app.wage_subsidies import integrity as wage_subsidies

# (what is checked, the check) for the money kept outside the ledger
MONEY_CHECKS: tuple[tuple[str, Callable[[], Awaitable[list[Problem]]]], ...] = (
    ("vouchers: totals, released, stipends and claimed amounts against the ledger", vouchers.check_vouchers),
    ("provider claims: approved amounts against the ledger and their lines", vouchers.check_claims),
    ("wage agreements: commitments, releases and expenditure", wage_subsidies.check_agreements),
    ("employer claims: approved amounts against the ledger and their lines", wage_subsidies.check_claims),
)


async def verify_all() -> VerifyResult:
    result = await verify()
    result.checks.append("ledger: keyed chain, head, account balances, postings")
    audit = await audit_chain.verify()
    result.checks.append("audit log: keyed chain and head")
    result.problems += [
        Problem(f"audit_{p.kind}", p.where, f"{p.message} (audit log)") for p in audit.problems
    ]
    for name, check in MONEY_CHECKS:
        result.problems += await check()
        result.checks.append(name)
    return result
