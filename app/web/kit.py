"""What every page module uses: the Area it registers (controllers and dashboard cards), rendering a
page, reading a form, and a safe place to go back to.

A page area is a module in app/web/pages/ that defines `AREA = Area(...)`; see docs/pages.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request
from litestar.datastructures import FormMultiDict
from litestar.response import Template

from app.core.actor import Actor
from app.core.roles import Role

# A card may show a few figures under its title, e.g. ("Claims pending", "3").
Figures = Callable[[Actor], Awaitable[list[tuple[str, str]]]]


@dataclass(frozen=True)
class Card:
    """A tile on the start page for the roles named. `title` and `text` are message ids (mark them
    with N_ so the catalogue finds them); they are translated when shown."""

    title: str
    href: str
    text: str
    roles: frozenset[Role]
    order: int = 50
    figures: Figures | None = None


@dataclass(frozen=True)
class Area:
    """One area of the pages (an audience or a subject): its controllers and its start-page cards."""

    name: str
    controllers: Sequence[type[Controller]]
    cards: Sequence[Card] = field(default_factory=tuple)


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Template:
    """A full page, or only its `fragment` template when HTMX asks for part of it."""
    actor: Actor | None = request.scope.get("user")
    return Template(template_name=template, context={"actor": actor, **context}, status_code=status_code)


async def form_of(request: Request) -> FormMultiDict:
    """The posted form (URL-encoded or multipart), with repeated fields kept (`getall`)."""
    return await request.form()


def field_text(form: FormMultiDict, name: str, max_length: int = 200) -> str:
    """One text field, trimmed and cut to a sane length (the service validates it properly)."""
    value = form.get(name, "")
    return value.strip()[:max_length] if isinstance(value, str) else ""


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def safe_next(target: str | None) -> str:
    """Only local paths: an open redirect after sign-in would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    if "\\" in target:
        return "/"
    return target
