"""Everyone's own account: language, password, API tokens."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from app.core import credentials, users
from app.core.errors import GrantsError
from app.core.passwords import MIN_PASSWORD_LENGTH, password_problem
from app.core.roles import ALL_ROLES
from app.http.auth_middleware import SESSION_COOKIE
from app.http.guards import allow_everyone_signed_in, current_actor
from app.web.i18n import N_
from app.web.i18n import gettext as _
from app.web.kit import Area, Card, field_text, form_of, page


class AccountPages(Controller):
    path = "/account"
    opt = allow_everyone_signed_in()
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Template:
        return await _account_page(request)

    @post("/password", status_code=200)
    async def change_password(self, request: Request) -> Template:
        form = await form_of(request)
        current, new, again = (str(form.get(n, ""))[:200] for n in ("current", "new", "again"))
        if new != again:
            return await _account_page(request, 400, password_error=_("The two new passwords differ."))
        if password_problem(new):
            message = _(
                "The new password must be at least %(n)s characters and not start or end with a space.",
                n=MIN_PASSWORD_LENGTH,
            )
            return await _account_page(request, 400, password_error=message)
        try:
            keep = request.cookies.get(SESSION_COOKIE)
            await users.change_own_password(current_actor(request), current, new, keep)
        except GrantsError as exc:
            message = (
                _("The current password is wrong.") if exc.code == "invalid_credentials" else exc.message
            )
            return await _account_page(request, 400, password_error=message)
        done = _("Password changed. You were signed out everywhere else, and your API tokens were revoked.")
        return await _account_page(request, notice=done)

    @post("/language", status_code=303)
    async def set_language(self, request: Request) -> Redirect:
        """Saved, then shown by reloading the page, which the new language then applies to."""
        choice = field_text(await form_of(request), "language", 10) or None
        await users.set_language(current_actor(request), choice)
        return Redirect(path="/account", status_code=303)

    @post("/tokens", status_code=200)
    async def create_token(self, request: Request) -> Template:
        actor = current_actor(request)
        name = field_text(await form_of(request), "name", 100)
        if not name:
            return await _account_page(
                request, 400, token_error=_("Give the token a name, e.g. claims upload.")
            )
        view, secret = await credentials.create_token(actor, actor.public_id, name)
        return await _account_page(request, new_token=secret, new_token_name=view.name)

    @post("/tokens/{token_id:str}/revoke", status_code=200)
    async def revoke_token(
        self, request: Request, token_id: Annotated[str, Parameter(max_length=40)]
    ) -> Template:
        actor = current_actor(request)
        view = await credentials.revoke_token(actor, actor.public_id, token_id)
        return await _account_page(request, notice=_("Token %(name)s revoked.", name=view.name))


async def _account_page(request: Request, status_code: int = 200, **context: object) -> Template:
    actor = current_actor(request)
    tokens = await credentials.list_tokens(actor.public_id)
    return page(request, "account/index.html", status_code, tokens=tokens, **context)


AREA = Area(
    name="account",
    controllers=[AccountPages],
    cards=[
        Card(N_("Your account"), "/account", N_("Language, password and API tokens"), ALL_ROLES, order=90),
        Card(N_("API documentation"), "/schema", N_("Every endpoint, with a form to try it"), ALL_ROLES, 95),
    ],
)
