"""Pages of payment runs, for finance officers, approvers and releasers: runs listed and prepared, a run
reviewed (its instructions, the payees left out and why), approved by value band, rejected, cancelled,
released, its SEPA files downloaded; the bank's pain.002 status report imported; failed, rejected and
returned payments with their follow-ups; payees' payment details changed and confirmed by a second
person; and each payee's own payments and details (providers and employers).

Every action calls the same service as the API (app/disbursements), so four eyes, value bands and
refusals are the services' own; a refusal is shown as a sentence on the page it came from.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import Parameter
from litestar.response import Redirect, Template

from app.core.actor import Actor
from app.core.db import today
from app.core.errors import GrantsError, NotFound
from app.core.roles import Role
from app.core.users import get_user
from app.disbursements import details, rails, release, runs, sepa, status_import
from app.http.guards import allow, current_actor
from app.ledger import dimensions
from app.web.i18n import N_, current_language
from app.web.i18n import gettext as _
from app.web.kit import Area, Card, field_text, form_of, page

FINANCE = frozenset({Role.FINANCE_OFFICER})
DECIDERS = frozenset({Role.FINANCE_OFFICER, Role.APPROVER})
READERS = frozenset({Role.FINANCE_OFFICER, Role.APPROVER, Role.AUDITOR, Role.ADMIN, Role.BUDGET_HOLDER})
FILE_READERS = frozenset({Role.FINANCE_OFFICER, Role.AUDITOR, Role.ADMIN})
PAYEE_STAFF = frozenset({Role.FINANCE_OFFICER, Role.APPROVER, Role.AUDITOR, Role.ADMIN, Role.CASEWORKER})
DETAIL_STAFF = frozenset({Role.FINANCE_OFFICER, Role.ADMIN, Role.CASEWORKER})
PAYEES = frozenset({Role.PROVIDER, Role.EMPLOYER})
RUN_STATUSES = ("pending_approval", "approved", "releasing", "released", "cancelled")
PAGE_SIZE = 25
RUN_PAGE_PAYMENTS = 500  # a run's page lists this many payments; the API and the bank files have them all
MAX_REPORT_BYTES = 20 * 1024 * 1024
RunId = Annotated[str, Parameter(max_length=32)]
PayeeId = Annotated[str, Parameter(max_length=32)]
DetailId = Annotated[str, Parameter(max_length=32)]

RUN_WORDS = {
    "pending_approval": N_("waiting for approval"),
    "approved": N_("approved, waiting for release"),
    "releasing": N_("being released"),
    "released": N_("released"),
    "cancelled": N_("cancelled"),
}
STATE_WORDS = {
    "draft": N_("draft"),
    "approved": N_("approved"),
    "submitting": N_("being sent"),
    "submitted": N_("sent, in transit"),
    "accepted": N_("accepted by the bank, in transit"),
    "settled": N_("paid"),
    "cancelled": N_("cancelled"),
    "rejected": N_("rejected by the bank"),
    "failed": N_("failed"),
    "returned": N_("returned"),
}
PAYEE_WORDS = {
    "scheduled": N_("scheduled"),
    "in_transit": N_("on its way"),
    "paid": N_("paid"),
    "failed": N_("failed"),
    "returned": N_("returned"),
    "cancelled": N_("cancelled"),
}
DETAIL_WORDS = {
    "pending": N_("waiting for a second person to confirm"),
    "confirmed": N_("confirmed"),
    "rejected": N_("rejected"),
    "superseded": N_("replaced"),
}
LEFT_OUT_WORDS = {
    "no_payment_details": N_("no confirmed payment details"),
    "details_unconfirmed": N_("a change of payment details waits for a second person's confirmation"),
    "payee_paused": N_("payments to this payee are paused"),
    "exceeds_ledger_payable": N_("more than the ledger still owes this payee"),
}
# Why a payment failed, came back or was cancelled, by the code the bank, Stripe or the run gave.
PAYMENT_REASONS = {
    **LEFT_OUT_WORDS,
    "details_changed": N_("the payment details changed after the run was prepared"),
    "run_cancelled": N_("the payment run was cancelled"),
    "run_rejected": N_("the payment run was rejected"),
    "transfer_reversed": N_("Stripe reversed the transfer"),
    "stripe_refused": N_("Stripe refused the transfer"),
    "payout_failed": N_("the payout to the bank account failed"),
    "RJCT": N_("rejected by the bank"),
    # ISO 20022 reason codes banks give most often in status reports
    "AC01": N_("the account number is wrong (AC01)"),
    "AC04": N_("the account is closed (AC04)"),
    "AC06": N_("the account is blocked (AC06)"),
    "AG01": N_("the bank does not allow this transfer to the account (AG01)"),
    "AM04": N_("there were not enough funds (AM04)"),
    "AM05": N_("the bank took it for a duplicate (AM05)"),
    "BE04": N_("the payee's address is missing (BE04)"),
    "MD07": N_("the account holder has died (MD07)"),
    "MS02": N_("the payee's bank refused it without a reason (MS02)"),
    "MS03": N_("the bank refused it without a reason (MS03)"),
    "RC01": N_("the bank identifier (BIC) is wrong (RC01)"),
    "RR04": N_("refused for regulatory reasons (RR04)"),
}
WITH_WHO_SAID_WHY = frozenset({"run_cancelled", "run_rejected"})
METHOD_WORDS = {"sepa": N_("bank transfer (SEPA)"), "stripe": N_("Stripe Connect")}
DONE = {
    "created": N_("The run was prepared. Review it, then an approver approves it."),
    "approved": N_("Your approval was recorded."),
    "rejected": N_("The run was rejected; its payables wait for the next run."),
    "cancelled": N_("The run was cancelled; its payables wait for the next run."),
    "released": N_("The run was released."),
    "refreshed": N_("The Stripe transfers were checked again."),
    "proposed": N_("The new payment details wait for a second person to confirm them."),
    "confirmed": N_("The payment details were confirmed."),
    "detail_rejected": N_("The change of payment details was rejected."),
    "paused": N_("Payments to this payee are paused."),
    "resumed": N_("Payments to this payee resumed."),
}


def words(table: dict[str, str], key: str | None) -> str:
    return _(table[key]) if key in table else (key or "").replace("_", " ")


def payment_reason(code: str | None, reason: str = "") -> str:
    """Why a payment ended, in the page's language. English pages show the service's own sentence (it
    carries the bank's words); other languages the sentence of its code (with the reason a person typed,
    for a cancelled or rejected run), or the code the bank or Stripe gave."""
    if current_language() == "en" and reason:
        return reason
    if code in PAYMENT_REASONS:
        said = _(PAYMENT_REASONS[code])
        return f"{said}: {reason}" if code in WITH_WHO_SAID_WHY and reason else said
    return _("refused with the reason code %(code)s", code=code) if code else reason


def _words() -> dict[str, Any]:
    """What the templates call to say a state in words."""
    return {
        "run_word": lambda k: words(RUN_WORDS, k),
        "state_word": lambda k: words(STATE_WORDS, k),
        "payee_word": lambda k: words(PAYEE_WORDS, k),
        "detail_word": lambda k: words(DETAIL_WORDS, k),
        "left_out_word": lambda k: words(LEFT_OUT_WORDS, k),
        "method_word": lambda k: words(METHOD_WORDS, k),
        "payment_reason": payment_reason,
    }


def _done(request: Request) -> str:
    key = request.query_params.get("done", "")
    return _(DONE[key]) if key in DONE else ""


def _see(path: str, done: str) -> Redirect:
    return Redirect(path=f"{path}?done={done}", status_code=303)


class PaymentRunPages(Controller):
    path = "/payments"
    include_in_schema = False

    @get("/", opt=allow(*READERS))
    async def index(
        self,
        request: Request,
        status: Annotated[str | None, Parameter(max_length=20)] = None,
        after: Annotated[str | None, Parameter(max_length=40)] = None,
    ) -> Template:
        return await _runs_page(request, status, after)

    @post("/runs", opt=allow(*FINANCE), status_code=200)
    async def create(self, request: Request) -> Template | Redirect:
        form = await form_of(request)
        chosen = {
            "programme": field_text(form, "programme", 32),
            "pay_date": field_text(form, "pay_date", 10),
        }
        try:
            pay_date = dt.date.fromisoformat(chosen["pay_date"])
        except ValueError:
            return await _runs_page(request, None, None, _("Write the pay date as 2026-12-15."), chosen)
        try:
            made = await runs.create_run(current_actor(request), chosen["programme"] or None, pay_date)
        except GrantsError as exc:
            return await _runs_page(request, None, None, exc.message, chosen, exc.status_code)
        return _see(f"/payments/runs/{made['id']}", "created")

    @get("/runs/{run_id:str}", opt=allow(*READERS))
    async def run(self, request: Request, run_id: RunId) -> Template:
        return await _run_page(request, run_id)

    @post("/runs/{run_id:str}/approve", opt=allow(*DECIDERS), status_code=200)
    async def approve(self, request: Request, run_id: RunId) -> Template | Redirect:
        return await _act(request, run_id, "approved", lambda a: runs.approve_run(a, run_id))

    @post("/runs/{run_id:str}/reject", opt=allow(*DECIDERS), status_code=200)
    async def reject(self, request: Request, run_id: RunId) -> Template | Redirect:
        reason = field_text(await form_of(request), "reason", 500)
        if not reason:
            return await _run_page(request, run_id, _("Say why the run is rejected."), 400)
        return await _act(request, run_id, "rejected", lambda a: runs.reject_run(a, run_id, reason))

    @post("/runs/{run_id:str}/cancel", opt=allow(*FINANCE), status_code=200)
    async def cancel(self, request: Request, run_id: RunId) -> Template | Redirect:
        reason = field_text(await form_of(request), "reason", 500)
        if not reason:
            return await _run_page(request, run_id, _("Say why the run is cancelled."), 400)
        return await _act(request, run_id, "cancelled", lambda a: runs.cancel_run(a, run_id, reason))

    @post("/runs/{run_id:str}/release", opt=allow(*DECIDERS), status_code=200)
    async def release(self, request: Request, run_id: RunId) -> Template | Redirect:
        return await _act(request, run_id, "released", lambda a: release.release_run(a, run_id))

    @post("/runs/{run_id:str}/refresh", opt=allow(*FINANCE), status_code=200)
    async def refresh(self, request: Request, run_id: RunId) -> Template | Redirect:
        return await _act(request, run_id, "refreshed", lambda a: rails.refresh_stripe(a, run_id))

    @get("/runs/{run_id:str}/files/{seq:int}", opt=allow(*FILE_READERS), media_type="application/xml")
    async def file(
        self, request: Request, run_id: RunId, seq: Annotated[int, Parameter(ge=1, le=100_000)]
    ) -> Response[bytes]:
        runs.check_reader(current_actor(request))
        name, data = await sepa.file_bytes(run_id, seq)
        return Response(
            data,
            media_type="application/xml",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @get("/status-reports", opt=allow(*FINANCE))
    async def report_form(self, request: Request) -> Template:
        return page(request, "payments/status_report.html", result=None, message="")

    @post("/status-reports", opt=allow(*FINANCE), status_code=200)
    async def import_report(self, request: Request) -> Template:
        upload = (await form_of(request)).get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _report_page(request, None, _("Choose the status report file (XML) to import."), 400)
        data = await upload.read()
        try:
            result = await status_import.import_status(current_actor(request), data[: MAX_REPORT_BYTES + 1])
        except GrantsError as exc:
            return _report_page(request, None, exc.message, exc.status_code)
        return _report_page(request, result, "")

    @get("/problems", opt=allow(*READERS))
    async def problems(self, request: Request) -> Template:
        ended = await runs.ended_instructions(current_actor(request))
        return page(request, "payments/problems.html", ended=ended, **_words())


class PaymentDetailPages(Controller):
    """Finance's side of payees' payment details: changes waiting for a second person, and a payee."""

    path = "/payments"
    include_in_schema = False

    @get("/details", opt=allow(*DECIDERS))
    async def pending(self, request: Request) -> Template:
        return await _pending_page(request)

    @post("/details/{detail_id:str}/confirm", opt=allow(*DECIDERS), status_code=200)
    async def confirm(self, request: Request, detail_id: DetailId) -> Template | Redirect:
        try:
            await details.confirm(current_actor(request), detail_id)
        except GrantsError as exc:
            return await _pending_page(request, exc.message, exc.status_code)
        return _see("/payments/details", "confirmed")

    @post("/details/{detail_id:str}/reject", opt=allow(*DECIDERS), status_code=200)
    async def reject(self, request: Request, detail_id: DetailId) -> Template | Redirect:
        reason = field_text(await form_of(request), "reason", 500)
        if not reason:
            return await _pending_page(request, _("Say why the change is rejected."), 400)
        try:
            await details.reject(current_actor(request), detail_id, reason)
        except GrantsError as exc:
            return await _pending_page(request, exc.message, exc.status_code)
        return _see("/payments/details", "detail_rejected")

    @get("/payees/{payee:str}", opt=allow(*PAYEE_STAFF))
    async def payee(self, request: Request, payee: PayeeId) -> Template:
        return await _payee_page(request, payee)

    @post("/payees/{payee:str}/details", opt=allow(*DETAIL_STAFF), status_code=200)
    async def propose(self, request: Request, payee: PayeeId) -> Template | Redirect:
        return await _propose(request, payee, f"/payments/payees/{payee}")

    @post("/payees/{payee:str}/pause", opt=allow(*FINANCE), status_code=200)
    async def pause(self, request: Request, payee: PayeeId) -> Template | Redirect:
        reason = field_text(await form_of(request), "reason", 500)
        if not reason:
            return await _payee_page(request, payee, _("Say why payments are paused."), 400)
        return await _set_paused(request, payee, True, reason)

    @post("/payees/{payee:str}/resume", opt=allow(*FINANCE), status_code=200)
    async def resume(self, request: Request, payee: PayeeId) -> Template | Redirect:
        return await _set_paused(request, payee, False, "")


class PayeePages(Controller):
    """A provider's or employer's own payments (paid, on its way, failed and why) and payment details."""

    path = "/payee"
    opt = allow(*PAYEES)
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Template:
        return await _own_page(request)

    @post("/details", status_code=200)
    async def propose(self, request: Request) -> Template | Redirect:
        return await _propose(request, _own(current_actor(request)), "/payee")


# --- pages ---------------------------------------------------------------------------------------------


async def _runs_page(
    request: Request,
    status: str | None,
    after: str | None,
    message: str = "",
    chosen: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    actor = current_actor(request)
    shown = status if status in RUN_STATUSES else None
    rows, more = await runs.list_runs(actor, shown, PAGE_SIZE, after)
    programmes = await dimensions.list_all("programme") if actor.has_any(*FINANCE) else []
    return page(
        request,
        "payments/index.html",
        status_code,
        rows=rows,
        more=more,
        status=shown,
        statuses=RUN_STATUSES,
        programmes=programmes,
        chosen=chosen or {"programme": "", "pay_date": today().isoformat()},
        message=message,
        done=_done(request),
        **_words(),
    )


async def _run_page(request: Request, run_id: str, message: str = "", status_code: int = 200) -> Template:
    actor = current_actor(request)
    view = await runs.get_run(actor, run_id, with_instructions=True, instruction_limit=RUN_PAGE_PAYMENTS)
    return page(
        request,
        "payments/run.html",
        status_code,
        run=view,
        people=await _people([view["created_by"], *view["approved_by"], view["released_by"] or ""]),
        can=_can(actor, view),
        message=message,
        done=_done(request),
        **_words(),
    )


async def _people(user_ids: list[str]) -> dict[str, str]:
    """The names of the few people a page mentions (preparer, approvers, releaser), by user id."""
    names = {}
    for user_id in sorted({u for u in user_ids if u}):
        try:
            names[user_id] = (await get_user(user_id)).display_name
        except NotFound:
            names[user_id] = user_id  # a system actor
    return names


def _can(actor: Actor, run: dict[str, Any]) -> dict[str, bool]:
    """Which buttons this person sees; the services refuse what the buttons do not show anyway."""
    mine = actor.public_id == run["created_by"] or actor.public_id in run["approved_by"]
    deciding = actor.has_any(*DECIDERS)
    return {
        "approve": deciding and run["status"] == "pending_approval" and not mine,
        "reject": deciding and run["status"] == "pending_approval" and actor.public_id != run["created_by"],
        "cancel": actor.has_any(*FINANCE) and run["status"] in ("pending_approval", "approved"),
        "release": deciding and run["status"] in ("approved", "releasing") and not mine,
        "refresh": actor.has_any(*FINANCE) and run["status"] == "released" and "stripe" in _methods(run),
        "files": actor.has_any(*FILE_READERS) and bool(run["files"]),
    }


def _methods(run: dict[str, Any]) -> set[str]:
    return {i["method"] for i in run.get("instruction_list", [])}


async def _act(request: Request, run_id: str, done: str, action: Any) -> Template | Redirect:
    try:
        await action(current_actor(request))
    except NotFound:
        raise
    except GrantsError as exc:
        return await _run_page(request, run_id, exc.message, exc.status_code)
    return _see(f"/payments/runs/{run_id}", done)


def _report_page(request: Request, result: dict | None, message: str, status_code: int = 200) -> Template:
    return page(request, "payments/status_report.html", status_code, result=result, message=message)


async def _pending_page(request: Request, message: str = "", status_code: int = 200) -> Template:
    changes = await details.pending_changes()
    return page(
        request,
        "payments/details.html",
        status_code,
        changes=changes,
        people=await _people([c["created_by"] for c in changes]),
        message=message,
        done=_done(request),
        **_words(),
    )


async def _payee_page(
    request: Request, payee: str, message: str = "", status_code: int = 200, entered: dict | None = None
) -> Template:
    actor = current_actor(request)
    view = await details.payee_view(actor, payee)
    payments = await runs.payments_for_payee(actor, payee, limit=50)
    return page(
        request,
        "payments/payee.html",
        status_code,
        payee=view,
        payments=payments,
        can_enter=_may_enter(actor, payee),
        can_pause=actor.has_any(*FINANCE),
        action=f"/payments/payees/{payee}/details",
        entered=entered or {"method": "sepa"},
        message=message,
        done=_done(request),
        **_words(),
    )


def _may_enter(actor: Actor, payee: str) -> bool:
    if payee.startswith("par_"):
        return actor.has_any(Role.CASEWORKER)
    return actor.has_any(Role.FINANCE_OFFICER, Role.ADMIN)


async def _own_page(
    request: Request, message: str = "", status_code: int = 200, entered: dict | None = None
) -> Template:
    actor = current_actor(request)
    payee = _own(actor)
    return page(
        request,
        "payments/own.html",
        status_code,
        payee=await details.payee_view(actor, payee),
        payments=await runs.payments_for_payee(actor, payee, limit=50),
        action="/payee/details",
        entered=entered or {"method": "sepa"},
        message=message,
        done=_done(request),
        **_words(),
    )


def _own(actor: Actor) -> str:
    if not actor.organisation_public_id:
        raise NotFound("payee")
    return actor.organisation_public_id


async def _propose(request: Request, payee: str, back: str) -> Template | Redirect:
    form = await form_of(request)
    entered = {
        name: field_text(form, name, 80) for name in ("method", "iban", "bic", "holder", "stripe_account")
    }
    try:
        await details.propose(
            current_actor(request),
            payee,
            entered["method"],
            stripe_account=entered["stripe_account"],
            iban=entered["iban"],
            bic=entered["bic"],
            holder=entered["holder"],
        )
    except GrantsError as exc:
        if back == "/payee":
            return await _own_page(request, exc.message, exc.status_code, entered)
        return await _payee_page(request, payee, exc.message, exc.status_code, entered)
    return _see(back, "proposed")


async def _set_paused(request: Request, payee: str, paused: bool, reason: str) -> Template | Redirect:
    try:
        await details.set_paused(current_actor(request), payee, paused, reason)
    except GrantsError as exc:
        return await _payee_page(request, payee, exc.message, exc.status_code)
    return _see(f"/payments/payees/{payee}", "paused" if paused else "resumed")


async def _pending_count(actor: Actor) -> list[tuple[str, str]]:
    waiting, _more = await runs.list_runs(actor, "pending_approval", 100, None)
    approved, _more = await runs.list_runs(actor, "approved", 100, None)
    return [
        (_("Runs waiting for approval"), str(len(waiting))),
        (_("Runs waiting for release"), str(len(approved))),
    ]


AREA = Area(
    name="payments",
    controllers=[PaymentRunPages, PaymentDetailPages, PayeePages],
    cards=[
        Card(
            N_("Payment runs"),
            "/payments",
            N_("Prepare, approve and release payments; bank files and status reports"),
            READERS,
            20,
            _pending_count,
        ),
        Card(
            N_("Payment details to confirm"),
            "/payments/details",
            N_("Changes of payees' bank details wait for a second person"),
            DECIDERS,
            21,
        ),
        Card(
            N_("Your payments"),
            "/payee",
            N_("What was paid to you, what is on its way, and your bank details"),
            PAYEES,
            15,
        ),
    ],
)
