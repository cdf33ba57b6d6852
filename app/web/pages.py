"""Pages for people: sign-in, a dashboard by role, participants (search, register, view), audit log."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import Redirect, Template

from app.core import audit, credentials
from app.core.actor import Actor
from app.core.errors import GrantsError
from app.core.rate_limits import RateLimited
from app.core.roles import Role
from app.core.settings import get_settings
from app.http.api import session_cookie_header
from app.http.auth_middleware import SESSION_COOKIE
from app.http.guards import PUBLIC, allow, allow_everyone_signed_in, client_address, current_actor
from app.ledger import queries as ledger_queries
from app.ledger.schemas import position_out, trial_balance_out
from app.registry import participants
from app.registry.personal import Gender, ParticipantPersonal

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

BUDGET_CARD = ("Budget and ledger", "/budget", "Budget, committed, spent and paid per fund and programme")

# What each role finds on its dashboard: (title, link, description).
DASHBOARD: dict[Role, list[tuple[str, str, str]]] = {
    Role.CASEWORKER: [
        ("Participants", "/participants", "Find, register and update participants"),
    ],
    Role.AUDITOR: [BUDGET_CARD, ("Audit log", "/audit", "Every change: who, what, when")],
    Role.ADMIN: [BUDGET_CARD, ("Audit log", "/audit", "Every change: who, what, when")],
    Role.BUDGET_HOLDER: [BUDGET_CARD],
    Role.FINANCE_OFFICER: [BUDGET_CARD],
    Role.APPROVER: [BUDGET_CARD],
}
API_LINK = ("API documentation", "/schema", "Every endpoint, with a form to try it")


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect after sign-in would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


def _page(name: str, request: Request, **context: Any) -> Template:
    actor: Actor | None = request.scope.get("user")
    return Template(template_name=name, context={"actor": actor, **context})


class AuthPages(Controller):
    opt = PUBLIC
    include_in_schema = False

    @get("/login")
    async def login_form(
        self, request: Request, next: Annotated[str | None, Parameter(max_length=300)] = None
    ) -> Template:
        return _page("login.html", request, next=_safe_next(next), error=None)

    @post("/login", status_code=200)
    async def login(self, request: Request, data: Form) -> Template | Redirect:
        target = _safe_next(data.get("next"))
        try:
            _, secret = await credentials.login(
                data.get("email", "")[:254],
                data.get("password", "")[:200],
                get_settings().session_max_age_s,
                client_address(request),
            )
        except RateLimited:
            raise  # the error page, with 429 and Retry-After
        except GrantsError as exc:
            return Template(
                template_name="login.html",
                context={
                    "actor": None,
                    "next": target,
                    "error": exc.message,
                    "email": data.get("email", ""),
                },
                status_code=401,
            )
        return Redirect(path=target, headers=session_cookie_header(secret), status_code=303)


class SignedInPages(Controller):
    include_in_schema = False

    @post("/logout", opt=allow_everyone_signed_in(), status_code=303)
    async def logout(self, request: Request) -> Redirect:
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            await credentials.logout(secret)
        return Redirect(path="/login", headers=session_cookie_header(None), status_code=303)

    @get("/", opt=allow_everyone_signed_in())
    async def dashboard(self, request: Request) -> Template:
        actor = current_actor(request)
        cards: list[tuple[str, str, str]] = []
        for role in sorted(actor.roles):
            cards.extend(c for c in DASHBOARD.get(role, []) if c not in cards)
        cards.append(API_LINK)
        return _page("dashboard.html", request, cards=cards)


class ParticipantPages(Controller):
    path = "/participants"
    opt = allow(Role.CASEWORKER)
    include_in_schema = False

    @get("/")
    async def index(
        self, request: Request, q: Annotated[str | None, Parameter(max_length=40)] = None
    ) -> Template:
        rows, error = await _search(current_actor(request), q)
        template = "participants_rows.html" if request.headers.get("hx-request") else "participants.html"
        return _page(template, request, rows=rows, q=q or "", error=error, genders=list(Gender))

    @post("/", status_code=200)
    async def register(self, request: Request, data: Form) -> Template | Redirect:
        actor = current_actor(request)
        try:
            personal = _personal_from_form(data)
            view = await participants.register(actor, personal)
        except (GrantsError, msgspec.ValidationError) as exc:
            message = exc.message if isinstance(exc, GrantsError) else str(exc)
            rows, _ = await _search(actor, None)
            return Template(
                template_name="participants.html",
                context={
                    "actor": actor,
                    "rows": rows,
                    "q": "",
                    "error": None,
                    "form_error": message,
                    "form": data,
                    "genders": list(Gender),
                },
                status_code=400,
            )
        return Redirect(path=f"/participants/{view.id}", status_code=303)

    @get("/{participant_id:str}")
    async def detail(
        self, request: Request, participant_id: Annotated[str, Parameter(max_length=40)]
    ) -> Template:
        view = await participants.get(current_actor(request), participant_id)
        events = await audit.list_events(20, None, entity_id=participant_id)
        return _page("participant.html", request, p=view, events=events.rows)


async def _search(actor: Actor, q: str | None) -> tuple[list, str | None]:
    try:
        page = await participants.search(actor, limit=50, id_prefix=q or None)
    except GrantsError as exc:
        return [], exc.message
    return page.rows, None


def _personal_from_form(form: dict[str, str]) -> ParticipantPersonal:
    """The form's flat fields as the same struct the API validates."""
    address = None
    if form.get("address_line1"):
        address = {
            "line1": form.get("address_line1", ""),
            "city": form.get("address_city", ""),
            "postcode": form.get("address_postcode", ""),
            "country": form.get("address_country", "").upper(),
        }
    raw = {
        "given_name": form.get("given_name", "").strip(),
        "family_name": form.get("family_name", "").strip(),
        "date_of_birth": form.get("date_of_birth", ""),
        "gender": form.get("gender", ""),
        "national_id": form.get("national_id", "").strip() or None,
        "address": address,
        "phone": form.get("phone", "").strip(),
        "email": form.get("email", "").strip(),
    }
    return msgspec.convert(raw, ParticipantPersonal, strict=False)


class AuditPages(Controller):
    path = "/audit"
    opt = allow(Role.AUDITOR, Role.ADMIN)
    include_in_schema = False

    @get("/")
    async def index(
        self,
        request: Request,
        entity_id: Annotated[str | None, Parameter(max_length=64)] = None,
        starting_after: Annotated[str | None, Parameter(max_length=40)] = None,
    ) -> Template:
        page = await audit.list_events(50, starting_after, entity_id=entity_id or None)
        return _page(
            "audit.html",
            request,
            events=page.rows,
            has_more=page.has_more,
            entity_id=entity_id or "",
        )


class BudgetPages(Controller):
    path = "/budget"
    opt = allow(Role.BUDGET_HOLDER, Role.FINANCE_OFFICER, Role.APPROVER, Role.AUDITOR, Role.ADMIN)
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Template:
        positions = [position_out(p) for p in await ledger_queries.budget_position()]
        tb = trial_balance_out(await ledger_queries.trial_balance())
        return _page("budget.html", request, positions=positions, tb=tb)


CONTROLLERS = [AuthPages, SignedInPages, ParticipantPages, AuditPages, BudgetPages]
