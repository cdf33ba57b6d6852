"""Who is acting: the signed-in user (or the command line), with roles and organisation."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.roles import STAFF_ROLES, Role


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    public_id: str
    label: str
    roles: frozenset[Role]
    organisation_id: int | None = None
    organisation_public_id: str | None = None
    organisation_kind: str | None = None
    language: str | None = None  # the user's chosen language for pages; None: the browser's

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """The command line or a scheduled job, acting with every staff power. Audited as `system`."""
        return cls(user_id=None, public_id="system", label=label, roles=STAFF_ROLES)

    def has_any(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_outside(self) -> bool:
        """Acts for a provider or employer, so sees only that organisation's records."""
        return self.organisation_id is not None
