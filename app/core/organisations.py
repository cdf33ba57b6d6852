"""Outside organisations (providers, employers): the tenancy boundary for their users' access."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.actor import Actor
from app.core.errors import NotFound
from app.core.ids import new_id
from app.core.tables import Organisation

KIND_PREFIX = {"provider": "prv", "employer": "emp"}


@dataclass(frozen=True)
class OrganisationRef:
    id: int
    public_id: str
    kind: str
    name: str

    @classmethod
    def from_row(cls, row: dict) -> OrganisationRef:
        return cls(id=row["id"], public_id=row["public_id"], kind=row["kind"], name=row["name"])


async def create_organisation(kind: str, name: str) -> OrganisationRef:
    public_id = new_id(KIND_PREFIX[kind])
    rows = await Organisation.insert(Organisation(public_id=public_id, kind=kind, name=name.strip()))
    return OrganisationRef(id=rows[0]["id"], public_id=public_id, kind=kind, name=name.strip())


async def find_organisation(actor: Actor, kind: str, public_id: str) -> OrganisationRef:
    """The organisation, if it exists, has this kind and the actor may see it. Otherwise NotFound,
    whichever the reason, so that an outsider cannot learn which ids exist."""
    row = (
        await Organisation.select()
        .where((Organisation.public_id == public_id) & (Organisation.kind == kind))
        .first()
    )
    if row is None or (actor.is_outside and actor.organisation_id != row["id"]):
        raise NotFound(kind)
    return OrganisationRef.from_row(row)


async def rename_organisation(organisation_id: int, name: str) -> None:
    await Organisation.update({Organisation.name: name.strip()}).where(Organisation.id == organisation_id)
