"""The pages, one module per area (an audience or a subject). Each module defines `AREA = Area(...)` with
its controllers and start-page cards; this package finds them all, so adding an area edits no shared
file. Templates live in app/web/templates/<area>/. See docs/pages.md."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from litestar import Controller

from app.core.actor import Actor
from app.web.kit import Area, Card


@cache
def areas() -> tuple[Area, ...]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda module: module.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        area = getattr(module, "AREA", None)
        if not isinstance(area, Area):
            raise TypeError(f"{module.__name__} is in app/web/pages but defines no AREA")
        found.append(area)
    return tuple(found)


def controllers() -> list[type[Controller]]:
    return [controller for area in areas() for controller in area.controllers]


def cards_for(actor: Actor) -> list[Card]:
    """The start-page cards of every area that the actor's roles may open, in their order."""
    cards = [card for area in areas() for card in area.cards if card.roles & actor.roles]
    return sorted(cards, key=lambda card: (card.order, card.title))
