"""Caseworkers' work on a participant after finding her: decide eligibility for a programme from her data
(a form built from the rule file's inputs), read the explanation condition by condition, issue the voucher
from that decision or record a placement and sign its wage-subsidy agreement, see a voucher, revoke it with
a reason, and print it (code, value, validity and the holder's first name only).

Every action goes through the same services as the API (app/eligibility, app/vouchers,
app/wage_subsidies); a refusal is shown next to the form that caused it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import Parameter
from litestar.response import Redirect, Template

from app.core.actor import Actor
from app.core.db import today
from app.core.errors import GrantsError, NotFound, ValidationFailed
from app.core.roles import Role
from app.eligibility import registry_input
from app.eligibility import service as eligibility
from app.eligibility.catalogue import catalogue
from app.eligibility.describe import detail
from app.http.guards import allow, current_actor
from app.ledger import dimensions
from app.registry import households, organisations, participants
from app.vouchers import service as vouchers
from app.wage_subsidies import placements
from app.web import rule_form
from app.web.i18n import gettext as _
from app.web.kit import Area, field_text, form_of, page
from app.web.outcomes import refusal_in_words

Id = Annotated[str, Parameter(max_length=40)]
# Rules decided from a participant's page; a wage subsidy is decided when its agreement is signed.
VOUCHER_PROGRAMMES = tuple(vouchers.KINDS)


def _date(form: FormMultiDict, name: str, label: str) -> dt.date:
    text = field_text(form, name, 10)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        message = _("%(field)s: write the date as 2026-03-31", field=label)
        raise ValidationFailed("invalid_date", message, name) from None


def _problems(exc: GrantsError) -> list[str]:
    """Every problem of a refusal, each with the field it is about."""
    if exc.details:
        said = [(d.param, refusal_in_words(d.code, d.message)) for d in exc.details]
        return [f"{param}: {what}" if param else what for param, what in said]
    return [refusal_in_words(exc.code, exc.message)]


async def _names(actor: Actor, participant: participants.ParticipantView) -> dict[str, str]:
    """The first and family names of a participant's household (for labelling a household's members)."""
    names = {}
    if participant.household:
        house = await households.get_household(actor, participant.household)
        for member in house.members:
            person = await participants.get(actor, member)
            if person.personal:
                names[member] = f"{person.personal['given_name']} {person.personal['family_name']}"
        for child in await households.list_children(actor, participant.household):
            if child.personal:
                names[child.id] = f"{child.personal['given_name']} {child.personal['family_name']}"
    elif participant.personal:
        names[participant.id] = f"{participant.personal['given_name']} {participant.personal['family_name']}"
    return names


def _described(programme: str) -> dict[str, Any]:
    if programme not in VOUCHER_PROGRAMMES:
        raise NotFound("programme")
    return detail(catalogue().current(programme).rule)


async def _members(actor: Actor, programme: str, participant: participants.ParticipantView) -> list[dict]:
    """A household rule's members from the registry (ids, roles, what it knows of them)."""
    if participant.household is None:
        raise ValidationFailed(
            "no_household",
            _("This rule decides a household: add the participant to a household first."),
            "household",
        )
    case = await registry_input.household_case(actor, programme, participant.household)
    return case["members"]


class EligibilityPages(Controller):
    path = "/participants/{participant_id:str}"
    opt = allow(Role.CASEWORKER)
    include_in_schema = False

    @get("/eligibility/{programme:str}")
    async def form(self, request: Request, participant_id: Id, programme: Id) -> Template:
        actor = current_actor(request)
        person = await participants.get(actor, participant_id)
        described = _described(programme)
        case: dict[str, Any] = {}
        problems: list[str] = []
        if described.get("members"):
            try:
                case = {"members": await _members(actor, programme, person)}
            except GrantsError as exc:
                problems = _problems(exc)
        return await self._render(request, person, described, case, today(), problems)

    @post("/eligibility/{programme:str}", status_code=200)
    async def decide(self, request: Request, participant_id: Id, programme: Id) -> Template | Redirect:
        actor = current_actor(request)
        person = await participants.get(actor, participant_id)
        described = _described(programme)
        form = await form_of(request)
        members = await _members(actor, programme, person) if described.get("members") else []
        case = rule_form.case_from(described, form, members)
        as_of = today()
        try:
            as_of = _date(form, "as_of", _("Decision date"))
            decision = await eligibility.evaluate(actor, programme, case, as_of, participant_id)
        except GrantsError as exc:
            return await self._render(request, person, described, case, as_of, _problems(exc), 400)
        return Redirect(path=f"/decisions/{decision['id']}", status_code=303)

    async def _render(
        self,
        request: Request,
        person: participants.ParticipantView,
        described: dict[str, Any],
        case: dict[str, Any],
        as_of: dt.date,
        problems: list[str],
        status: int = 200,
    ) -> Template:
        names = await _names(current_actor(request), person)
        return page(
            request,
            "casework/eligibility.html",
            status,
            p=person,
            form=rule_form.build(described, case),
            names=names,
            as_of=as_of,
            problems=problems,
        )

    @get("/placement")
    async def placement_form(self, request: Request, participant_id: Id) -> Template:
        return await _placement_form(request, participant_id, {}, [])

    @post("/placement", status_code=200)
    async def record_placement(self, request: Request, participant_id: Id) -> Template | Redirect:
        actor = current_actor(request)
        form = await form_of(request)
        try:
            hours = field_text(form, "weekly_hours", 10)
            if not hours.replace(".", "", 1).isdigit():
                raise ValidationFailed(
                    "invalid_hours", _("Write the weekly hours as a number, e.g. 38"), "hours"
                )
            made = await placements.create_placement(
                actor,
                placements.PlacementIn(
                    field_text(form, "employer", 40),
                    participant_id,
                    field_text(form, "role", 100),
                    _date(form, "start_date", _("First day of work")),
                    round(float(hours) * 100),
                    field_text(form, "gross_wage", 20),
                ),
            )
        except GrantsError as exc:
            return await _placement_form(request, participant_id, dict(form.items()), _problems(exc), 400)
        return Redirect(path=f"/placements/{made['id']}", status_code=303)


async def _placement_form(
    request: Request, participant_id: str, form: dict, problems: list[str], status: int = 200
) -> Template:
    actor = current_actor(request)
    person = await participants.get(actor, participant_id)
    employers = (await organisations.list_employers(actor, 100, None)).rows
    return page(
        request,
        "casework/placement_form.html",
        status,
        p=person,
        employers=employers,
        form=form,
        problems=problems,
    )


class DecisionPages(Controller):
    path = "/decisions"
    opt = allow(Role.CASEWORKER)
    include_in_schema = False

    @get("/{decision_id:str}")
    async def show(self, request: Request, decision_id: Id) -> Template:
        return await _decision_page(request, decision_id, {}, [])

    @post("/{decision_id:str}/voucher", status_code=200)
    async def issue(self, request: Request, decision_id: Id) -> Template | Redirect:
        actor = current_actor(request)
        form = await form_of(request)
        try:
            request_ = vouchers.IssueRequest(
                decision_id,
                field_text(form, "fund", 40),
                _date(form, "valid_from", _("Valid from")),
                _date(form, "valid_until", _("Valid until")),
                child=field_text(form, "child", 40) or None,
                provider=field_text(form, "provider", 40) or None,
                stipend=field_text(form, "stipend") == "on",
            )
            issued = (await vouchers.issue_many(actor, [request_]))[0]
        except GrantsError as exc:
            return await _decision_page(request, decision_id, dict(form.items()), _problems(exc), 400)
        return Redirect(path=f"/vouchers/{issued['id']}?issued=1", status_code=303)


async def _decision_page(
    request: Request, decision_id: str, form: dict, problems: list[str], status: int = 200
) -> Template:
    actor = current_actor(request)
    decision = await eligibility.get_decision(decision_id)
    person = await participants.get(actor, decision["participant"]) if decision["participant"] else None
    names = await _names(actor, person) if person else {}
    kind = vouchers.KINDS.get(decision["programme"])
    issued = []
    if decision["participant"]:
        issued = (await vouchers.list_vouchers(None, decision["participant"], 100, None))[0]
    used = [v for v in issued if v["decision"] == decision_id]
    children, providers = [], []
    if kind is not None and decision["eligible"]:
        if kind.name == "childcare" and person and person.household:
            # one voucher per child the decision covers, until each has one
            covered = {m["id"] for m in decision.get("members") or [] if m.get("eligible")}
            done = {v["child"] for v in used}
            children = [
                c
                for c in await households.list_children(actor, person.household)
                if (not covered or c.id in covered) and c.id not in done
            ]
        providers = (await organisations.list_providers(actor, 100, None, service=kind.name)).rows
    may_issue = (
        kind is not None
        and decision["eligible"]
        and (bool(children) or (not used and kind.name != "childcare"))
    )
    start = dt.date.fromisoformat(decision["as_of"])
    return page(
        request,
        "casework/decision.html",
        status,
        decision=decision,
        rule=catalogue().current(decision["programme"]).rule,
        p=person,
        names=names,
        kind=kind,
        children=children,
        providers=providers,
        funds=await dimensions.list_all("fund"),
        used=used,
        may_issue=may_issue,
        form=form,
        problems=problems,
        suggested_until=start + dt.timedelta(days=12 * 7 - 1 if kind and kind.period == "week" else 90),
    )


class VoucherPages(Controller):
    path = "/vouchers"
    opt = allow(Role.CASEWORKER)
    include_in_schema = False

    @get("/{voucher_id:str}")
    async def show(self, request: Request, voucher_id: Id) -> Template:
        return await _voucher_page(request, voucher_id, None)

    @post("/{voucher_id:str}/revoke", status_code=200)
    async def revoke(self, request: Request, voucher_id: Id) -> Template | Redirect:
        reason = field_text(await form_of(request), "reason", 300)
        if not reason:
            return await _voucher_page(request, voucher_id, _("Say why the voucher is revoked."), 400)
        try:
            await vouchers.revoke(current_actor(request), voucher_id, reason, today())
        except GrantsError as exc:
            return await _voucher_page(
                request, voucher_id, refusal_in_words(exc.code, exc.message), exc.status_code
            )
        return Redirect(path=f"/vouchers/{voucher_id}?revoked=1", status_code=303)

    @get("/{voucher_id:str}/print")
    async def printable(self, request: Request, voucher_id: Id) -> Template:
        actor = current_actor(request)
        voucher = await vouchers.get(voucher_id, with_code=True)
        return page(
            request,
            "casework/voucher_print.html",
            voucher=voucher,
            holder=await _holder_first_name(actor, voucher),
        )


async def _holder_first_name(actor: Actor, voucher: dict[str, Any]) -> str:
    """The first name of whom the voucher is for: the child for childcare, else the participant."""
    if voucher.get("child"):
        child = await households.get_child(actor, voucher["child"])
        return (child.personal or {}).get("given_name", "")
    person = await participants.get(actor, voucher["participant"])
    return (person.personal or {}).get("given_name", "")


async def _voucher_page(
    request: Request, voucher_id: str, problem: str | None, status: int = 200
) -> Template:
    actor = current_actor(request)
    voucher = await vouchers.get(voucher_id)
    person = await participants.get(actor, voucher["participant"])
    return page(
        request,
        "casework/voucher.html",
        status,
        voucher=voucher,
        p=person,
        holder=await _holder_first_name(actor, voucher),
        open=voucher["status"] in vouchers.OPEN_STATUSES,
        problem=problem,
        issued=request.query_params.get("issued") == "1",
        revoked=request.query_params.get("revoked") == "1",
    )


class PlacementPages(Controller):
    path = "/placements"
    opt = allow(Role.CASEWORKER)
    include_in_schema = False

    @get("/{placement_id:str}")
    async def show(self, request: Request, placement_id: Id) -> Template:
        return await _placement_page(request, placement_id, {}, [])

    @post("/{placement_id:str}/agreement", status_code=200)
    async def sign(self, request: Request, placement_id: Id) -> Template | Redirect:
        actor = current_actor(request)
        form = await form_of(request)
        try:
            terms = placements.AgreementIn(
                field_text(form, "fund", 40),
                _date(form, "agreement_date", _("Date of the agreement")),
                field_text(form, "labour_law_declaration_signed") == "on",
                field_text(form, "layoffs_same_role_last_90_days") == "on",
                field_text(form, "employed_by_employer_last_12_months") == "on",
            )
            await placements.sign_agreement(actor, placement_id, terms)
        except GrantsError as exc:
            return await _placement_page(
                request, placement_id, dict(form.items()), _problems(exc), exc.status_code
            )
        return Redirect(path=f"/placements/{placement_id}?signed=1", status_code=303)


async def _placement_page(
    request: Request, placement_id: str, form: dict, problems: list[str], status: int = 200
) -> Template:
    actor = current_actor(request)
    placement = await placements.get_placement(actor, placement_id)
    employer = await organisations.get_employer(actor, placement["employer"])
    return page(
        request,
        "casework/placement.html",
        status,
        placement=placement,
        employer=employer,
        funds=await dimensions.list_all("fund"),
        form=form,
        problems=problems,
        today=today(),
        signed=request.query_params.get("signed") == "1",
    )


AREA = Area(name="casework", controllers=[EligibilityPages, DecisionPages, VoucherPages, PlacementPages])
