"""Budget position and trial balance, for the people who hold or spend the budget and who audit it."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from app.core.roles import Role
from app.http.guards import allow
from app.ledger import queries as ledger_queries
from app.web.i18n import N_
from app.web.kit import Area, Card, page

READERS = frozenset({Role.BUDGET_HOLDER, Role.FINANCE_OFFICER, Role.APPROVER, Role.AUDITOR, Role.ADMIN})


class BudgetPages(Controller):
    path = "/budget"
    opt = allow(*READERS)
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Template:
        positions = await ledger_queries.budget_position()
        tb = await ledger_queries.trial_balance()
        return page(request, "budget/index.html", positions=positions, tb=tb)


AREA = Area(
    name="budget",
    controllers=[BudgetPages],
    cards=[
        Card(
            N_("Budget and ledger"),
            "/budget",
            N_("Budget, committed, spent and paid per fund and programme"),
            READERS,
            order=50,
        )
    ],
)
