"""The start page: a card for each thing the user's roles can do, with a few figures on some."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from app.http.guards import allow_everyone_signed_in, current_actor
from app.web import pages
from app.web.kit import Area, page


class HomePages(Controller):
    include_in_schema = False

    @get("/", opt=allow_everyone_signed_in())
    async def dashboard(self, request: Request) -> Template:
        actor = current_actor(request)
        tiles = []
        for card in pages.cards_for(actor):
            figures = await card.figures(actor) if card.figures else []
            tiles.append((card, figures))
        return page(request, "home/dashboard.html", tiles=tiles)


AREA = Area(name="home", controllers=[HomePages])
