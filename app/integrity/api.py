"""`GET /api/v1/ledger/verify`: every integrity check (app/integrity/verify.py), as `grants ledger verify`."""

from __future__ import annotations

from litestar import Controller, get

from app.core.roles import Role
from app.http.guards import allow
from app.integrity.verify import verify_all
from app.ledger.schemas import ProblemOut, VerifyOut


class VerifyController(Controller):
    path = "/api/v1/ledger"
    tags = ["ledger"]

    @get("/verify", opt=allow(Role.AUDITOR, Role.FINANCE_OFFICER, Role.ADMIN))
    async def verify(self) -> VerifyOut:
        """Every integrity check: the ledger's keyed chain and balances, the audit log's chain, and the
        money kept outside the ledger (vouchers, claims, agreements) recomputed from it. Names each
        problem found; `checks` lists what was checked."""
        result = await verify_all()
        return VerifyOut(
            ok=result.ok,
            entries=result.entries,
            postings=result.postings,
            head_hash=result.head_hash,
            checks=result.checks,
            problems=[ProblemOut(kind=p.kind, where=p.where, message=p.message) for p in result.problems],
        )


CONTROLLERS = [VerifyController]
