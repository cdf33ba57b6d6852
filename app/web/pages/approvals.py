"""Finance officers' and approvers' pages: the queue of claims waiting for approval (voucher claims and
employers' wage claims), a claim's review with every line and its reason, and the decision: approve whole
or in part, or reject with a reason. Four eyes are the services' (app/core/approvals.py): these pages only
show what the approval says ("waiting for a second approver", "you approved this") and hide the buttons
of someone who may not decide; a forged post is refused by the service all the same."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from app.core import approval_queue
from app.core.actor import Actor
from app.core.db import today
from app.core.errors import GrantsError, NotFound
from app.core.money import to_minor
from app.core.roles import Role
from app.core.users import get_user
from app.http.guards import allow, current_actor
from app.registry import organisations
from app.vouchers import claims as voucher_claims
from app.wage_subsidies import wage_claims
from app.web.i18n import N_
from app.web.i18n import gettext as _
from app.web.kit import Area, Card, field_text, form_of, page
from app.web.outcomes import refusal_in_words

DECIDERS = (Role.FINANCE_OFFICER, Role.APPROVER)
PAGE_SIZE = 25
ClaimId = Annotated[str, Parameter(max_length=40)]


@dataclass(frozen=True)
class Kind:
    """A kind of claim in the queue: its approval subject, id prefix, and the domain that owns it."""

    subject: str
    prefix: str
    label: str
    reasons: str  # which reasons catalogue its lines use (app/web/outcomes.py)
    organisation: str  # provider | employer


KINDS = {
    "voucher": Kind(voucher_claims.SUBJECT, "clm", N_("Voucher claim"), "voucher", "provider"),
    "wage": Kind(wage_claims.SUBJECT, "wcl", N_("Wage claim"), "wage", "employer"),
}


def _kind_of(claim_id: str) -> Kind:
    for kind in KINDS.values():
        if claim_id.startswith(f"{kind.prefix}_"):
            return kind
    raise NotFound("claim")


async def _claim(actor: Actor, kind: Kind, claim_id: str) -> dict[str, Any]:
    if kind.prefix == "clm":
        return await voucher_claims.get(actor, claim_id)
    return await wage_claims.get(actor, claim_id)


class Names:
    """Display names of users and organisations, looked up once per page."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self._known: dict[str, str] = {}

    async def user(self, public_id: str) -> str:
        if public_id not in self._known:
            try:
                self._known[public_id] = (await get_user(public_id)).display_name
            except GrantsError:
                self._known[public_id] = public_id  # `system` or a user since removed
        return self._known[public_id]

    async def organisation(self, kind: Kind, public_id: str) -> str:
        if public_id not in self._known:
            get = (
                organisations.get_provider if kind.organisation == "provider" else organisations.get_employer
            )
            self._known[public_id] = (await get(self.actor, public_id)).name
        return self._known[public_id]


def state_in_words(actor: Actor, waiting: approval_queue.Waiting | None, claim_status: str) -> str:
    """Where the claim stands for the person reading: the approval's state in their terms."""
    if waiting is None or waiting.status != "pending":
        return ""
    if waiting.submitted_by(actor):
        return _("You submitted this: someone else decides on it.")
    if waiting.approved_by_actor(actor):
        return _("You approved this. It is waiting for a second approver.")
    if waiting.second_due:
        return _("Approved once: waiting for a second approver.")
    if waiting.required > 1:
        return _("Above the limit: it needs two approvers.")
    return _("Waiting for approval.")


def _minor_filter(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return to_minor(text, "EUR", "min_amount")
    except GrantsError:
        return None


class ApprovalPages(Controller):
    path = "/approvals"
    opt = allow(*DECIDERS)
    include_in_schema = False

    @get("/")
    async def queue(
        self,
        request: Request,
        kind: Annotated[str | None, Parameter(max_length=10)] = None,
        stage: Annotated[str | None, Parameter(max_length=10)] = None,
        min_amount: Annotated[str | None, Parameter(max_length=20)] = None,
        starting_after: Annotated[str | None, Parameter(max_length=40)] = None,
    ) -> Template:
        actor = current_actor(request)
        kinds = [KINDS[kind]] if kind in KINDS else list(KINDS.values())
        minimum = _minor_filter(min_amount)
        problem = None
        if min_amount and minimum is None:
            problem = _("Write the smallest amount as a number, e.g. 5000.00.")
        found = await approval_queue.pending(
            actor,
            [k.subject for k in kinds],
            limit=PAGE_SIZE,
            starting_after=starting_after or None,
            stage=stage if stage in approval_queue.STAGES else None,
            min_amount_minor=minimum,
        )
        names = Names(actor)
        rows = [await self._row(actor, names, waiting) for waiting in found.rows]
        filters = {"kind": kind or "", "stage": stage or "", "min_amount": min_amount or ""}
        more = None
        if found.has_more:
            query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
            more = f"/approvals?{query}&starting_after={found.rows[-1].id}"
        return page(request, "approvals/queue.html", rows=rows, filters=filters, more=more, problem=problem)

    async def _row(self, actor: Actor, names: Names, waiting: approval_queue.Waiting) -> dict[str, Any]:
        kind = next(k for k in KINDS.values() if k.subject == waiting.subject_type)
        claim = await _claim(actor, kind, waiting.subject_id)
        party = claim.get("provider") or claim.get("employer")
        return {
            "waiting": waiting,
            "kind": kind,
            "claim": claim,
            "organisation": await names.organisation(kind, party),
            "submitter": await names.user(waiting.prepared_by[0]) if waiting.prepared_by else "",
            "state": state_in_words(actor, waiting, claim["status"]),
        }

    @get("/{claim_id:str}")
    async def review(self, request: Request, claim_id: ClaimId) -> Template:
        return await _review(request, claim_id)

    @post("/{claim_id:str}/approve", status_code=200)
    async def approve(self, request: Request, claim_id: ClaimId) -> Template | Redirect:
        actor = current_actor(request)
        kind = _kind_of(claim_id)
        form = await form_of(request)
        lines = None
        if field_text(form, "scope") == "lines":
            chosen = [v for v in form.getall("line", []) if isinstance(v, str) and v.isdigit()]
            if not chosen:
                return await _review(request, claim_id, _("Tick the lines to approve."), 400)
            lines = sorted({int(v) for v in chosen})
        try:
            if kind.prefix == "clm":
                await voucher_claims.approve(actor, claim_id, lines, today())
            else:
                await wage_claims.approve(actor, claim_id, lines, today())
        except GrantsError as exc:
            return await _review(request, claim_id, refusal_in_words(exc.code, exc.message), exc.status_code)
        return Redirect(path=f"/approvals/{claim_id}?done=approved", status_code=303)

    @post("/{claim_id:str}/reject", status_code=200)
    async def reject(self, request: Request, claim_id: ClaimId) -> Template | Redirect:
        actor = current_actor(request)
        kind = _kind_of(claim_id)
        reason = field_text(await form_of(request), "reason", 500)
        if not reason:
            return await _review(request, claim_id, _("Say why the claim is rejected."), 400)
        try:
            if kind.prefix == "clm":
                await voucher_claims.reject(actor, claim_id, reason)
            else:
                await wage_claims.reject(actor, claim_id, reason, today())
        except GrantsError as exc:
            return await _review(request, claim_id, refusal_in_words(exc.code, exc.message), exc.status_code)
        return Redirect(path=f"/approvals/{claim_id}?done=rejected", status_code=303)


async def _review(request: Request, claim_id: str, problem: str | None = None, status: int = 200) -> Template:
    actor = current_actor(request)
    kind = _kind_of(claim_id)
    claim = await _claim(actor, kind, claim_id)
    waiting = await approval_queue.for_subject(actor, kind.subject, claim_id)
    names = Names(actor)
    party = claim.get("provider") or claim.get("employer")
    approvers = [await names.user(u) for u in waiting.approved_by] if waiting else []
    done = request.query_params.get("done")
    notice = {"approved": _("Your approval is recorded."), "rejected": _("The claim is rejected.")}.get(
        done or ""
    )
    return page(
        request,
        "approvals/review.html",
        status,
        claim=claim,
        kind=kind,
        waiting=waiting,
        may_decide=waiting is not None and waiting.may_decide(actor),
        state=state_in_words(actor, waiting, claim["status"]),
        organisation=await names.organisation(kind, party),
        submitter=await names.user(waiting.prepared_by[0]) if waiting and waiting.prepared_by else "",
        approvers=approvers,
        payable=[line for line in claim["lines"] if line["outcome"] != "rejected"],
        problem=problem,
        notice=notice,
    )


async def _waiting_count(actor: Actor) -> list[tuple[str, str]]:
    found = await approval_queue.pending(actor, [k.subject for k in KINDS.values()], limit=99)
    mine = sum(1 for w in found.rows if w.may_decide(actor))
    return [(_("Waiting for you"), f"{mine}{'+' if found.has_more else ''}")]


AREA = Area(
    name="approvals",
    controllers=[ApprovalPages],
    cards=[
        Card(
            N_("Approvals"),
            "/approvals",
            N_("Claims waiting for approval: review every line, approve or reject"),
            frozenset(DECIDERS),
            order=20,
            figures=_waiting_count,
        )
    ],
)
