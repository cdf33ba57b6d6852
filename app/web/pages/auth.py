"""Signing in and out of the pages."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from app.core import credentials
from app.core.errors import GrantsError
from app.core.rate_limits import RateLimited
from app.core.settings import get_settings
from app.http.api import session_cookie_header
from app.http.auth_middleware import SESSION_COOKIE
from app.http.guards import PUBLIC, allow_everyone_signed_in, client_address
from app.web.i18n import gettext as _
from app.web.kit import Area, field_text, form_of, page, safe_next


class SignInPages(Controller):
    opt = PUBLIC
    include_in_schema = False

    @get("/login")
    async def form(
        self, request: Request, next: Annotated[str | None, Parameter(max_length=300)] = None
    ) -> Template:
        return page(request, "auth/login.html", next=safe_next(next), error=None)

    @post("/login", status_code=200)
    async def sign_in(self, request: Request) -> Template | Redirect:
        form = await form_of(request)
        target = safe_next(field_text(form, "next", 300))
        email = field_text(form, "email", 254)
        try:
            _actor, secret = await credentials.login(
                email,
                str(form.get("password", ""))[:200],
                get_settings().session_max_age_s,
                client_address(request),
            )
        except RateLimited:
            raise  # the error page, with 429 and Retry-After
        except GrantsError:
            error = _("Wrong e-mail or password, or the account is locked. Check both and try again.")
            return page(request, "auth/login.html", 401, next=target, error=error, email=email)
        return Redirect(path=target, headers=session_cookie_header(secret), status_code=303)


class SignOutPages(Controller):
    include_in_schema = False

    @post("/logout", opt=allow_everyone_signed_in(), status_code=303)
    async def sign_out(self, request: Request) -> Redirect:
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            await credentials.logout(secret)
        return Redirect(path="/login", headers=session_cookie_header(None), status_code=303)


AREA = Area(name="auth", controllers=[SignInPages, SignOutPages])
