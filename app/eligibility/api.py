"""HTTP API of eligibility: programmes and their rule versions, deciding one case or a batch, stored
decisions (re-run on request)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import JSONBody, Parameter, QueryParameter

from app.core.roles import PERSONAL_DATA_ROLES, Role
from app.eligibility import describe, service
from app.eligibility.catalogue import catalogue
from app.eligibility.schemas import (
    BatchIn,
    BatchOut,
    DecisionOut,
    EvaluateIn,
    ProgrammeDetailOut,
    ProgrammeOut,
    decision_out,
)
from app.http.guards import allow, allow_staff, current_actor

DECIDERS = allow(Role.CASEWORKER, Role.ADMIN)
DECISION_READERS = allow(Role.CASEWORKER, Role.AUDITOR, Role.ADMIN)
ProgrammeId = Annotated[str, Parameter(max_length=64, description="a rule file's id, e.g. childcare_voucher")]
DecisionId = Annotated[str, Parameter(max_length=32, description="a stored decision, dec_…")]


class EligibilityController(Controller):
    path = "/api/v1/eligibility"
    tags = ["eligibility"]

    @get("/programmes", opt=allow_staff())
    async def programmes(self) -> list[ProgrammeOut]:
        """The programmes whose rule files are in force, with every version that has made a decision."""
        used = await service.list_versions()
        return [
            ProgrammeOut(**describe.summary(rule), versions_used=used.get(rule.id, []))
            for rule in catalogue().programmes()
        ]

    @get("/programmes/{programme:str}", opt=allow_staff())
    async def programme(self, programme: ProgrammeId) -> ProgrammeDetailOut:
        """A programme's rule in force: inputs, dated parameters, named values, conditions, outputs."""
        rule = catalogue().current(programme).rule
        used = await service.list_versions()
        return ProgrammeDetailOut(**describe.detail(rule), versions_used=used.get(rule.id, []))

    @post("/programmes/{programme:str}/evaluate", opt=DECIDERS, status_code=200)
    async def evaluate(
        self, request: Request, programme: ProgrammeId, data: JSONBody[EvaluateIn]
    ) -> DecisionOut:
        """Decide one case and explain it; stored (with the rule version) unless `store` is false."""
        actor = current_actor(request)
        view = await service.evaluate(actor, programme, data.input, data.date, data.participant, data.store)
        return decision_out(view, personal=True)

    @post("/programmes/{programme:str}/batch", opt=DECIDERS, status_code=200)
    async def batch(self, request: Request, programme: ProgrammeId, data: JSONBody[BatchIn]) -> BatchOut:
        """Decide up to 10,000 cases; bad cases are listed by index with the field at fault."""
        result = await service.evaluate_batch(
            current_actor(request), programme, data.cases, data.date, data.store
        )
        return BatchOut(**result)

    @get("/decisions/{decision_id:str}", opt=DECISION_READERS)
    async def decision(
        self,
        request: Request,
        decision_id: DecisionId,
        rerun: Annotated[bool, QueryParameter(description="decide again and compare")] = False,
    ) -> DecisionOut:
        """A stored decision. With rerun=true it is decided again with the same rule version, date and
        inputs, and `rerun.reproduced` says whether the result is identical."""
        view = await service.get_decision(decision_id, rerun)
        personal = current_actor(request).has_any(*PERSONAL_DATA_ROLES)
        return decision_out(view, personal)


CONTROLLERS = [EligibilityController]
