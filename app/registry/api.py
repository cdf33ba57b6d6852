"""HTTP API of the registry. Thin: parse, authorise (guards), call the service, return its view."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, Parameter, QueryParameter

from app.core.errors import ValidationFailed
from app.core.roles import Role
from app.core.schemas import ListOf
from app.http.guards import allow, current_actor
from app.http.params import Cursor, Limit
from app.registry import households, organisations, participants
from app.registry.households import ChildView, HouseholdView
from app.registry.organisations import EmployerView, LicenceView, ProviderView
from app.registry.participants import ParticipantView
from app.registry.schemas import (
    ChildIn,
    ChildPatchIn,
    EmployerIn,
    EmployerPatchIn,
    HouseholdIn,
    LicenceIn,
    ParticipantIn,
    ParticipantPatchIn,
    ProviderIn,
    ProviderPatchIn,
    set_fields,
)

Id = Annotated[str, Parameter(max_length=40)]

# Who may read the registry. Personal fields are further limited by the service to caseworkers.
READ_PEOPLE = allow(Role.CASEWORKER, Role.FINANCE_OFFICER, Role.APPROVER, Role.AUDITOR, Role.ADMIN)
WRITE_PEOPLE = allow(Role.CASEWORKER)
STAFF_READ = (
    Role.CASEWORKER,
    Role.FINANCE_OFFICER,
    Role.APPROVER,
    Role.BUDGET_HOLDER,
    Role.AUDITOR,
    Role.ADMIN,
)
MANAGE_ORGANISATIONS = allow(Role.ADMIN, Role.CASEWORKER)


def _nonempty(changes: dict) -> dict:
    if not changes:
        raise ValidationFailed("empty_update", "send at least one field to change", None)
    return changes


class ParticipantController(Controller):
    path = "/api/v1/participants"
    tags = ["registry"]

    @get("/", opt=READ_PEOPLE)
    async def search(
        self,
        request: Request,
        limit: Limit = 20,
        starting_after: Cursor = None,
        q: Annotated[str | None, Parameter(max_length=40, description="start of a participant id")] = None,
        national_id: Annotated[str | None, Parameter(max_length=40)] = None,
        name: Annotated[
            str | None,
            Parameter(
                max_length=100,
                description="words of the given or family name, or their starts (at least 3 letters); "
                "caseworkers only",
            ),
        ] = None,
        household: Annotated[str | None, Parameter(max_length=40)] = None,
        status: Annotated[str | None, Parameter(max_length=20)] = None,
    ) -> ListOf[ParticipantView]:
        """Find participants by id prefix, national id or name, a page at a time."""
        page = await participants.search(
            current_actor(request),
            limit=limit,
            starting_after=starting_after,
            id_prefix=q,
            national_id=national_id,
            name=name,
            household=household,
            status=status,
        )
        return ListOf(data=page.rows, has_more=page.has_more)

    @post("/", opt=WRITE_PEOPLE)
    async def register(self, request: Request, data: JSONBody[ParticipantIn]) -> ParticipantView:
        """Register a participant (their personal data is sealed at rest); refused with 409 when the national
        id is already registered."""
        return await participants.register(current_actor(request), data.personal, data.household)

    @get("/{participant_id:str}", opt=READ_PEOPLE)
    async def retrieve(self, request: Request, participant_id: Id) -> ParticipantView:
        """One participant, with their personal data."""
        return await participants.get(current_actor(request), participant_id)

    @patch("/{participant_id:str}", opt=WRITE_PEOPLE)
    async def update(
        self, request: Request, participant_id: Id, data: JSONBody[ParticipantPatchIn]
    ) -> ParticipantView:
        """Change a participant's personal data, household or status; send only what changes."""
        if data.personal is None and data.household is None and data.status is None:
            raise ValidationFailed("empty_update", "send at least one field to change", None)
        return await participants.update(
            current_actor(request), participant_id, data.personal, data.household, data.status
        )


class HouseholdController(Controller):
    path = "/api/v1/households"
    tags = ["registry"]

    @get("/", opt=READ_PEOPLE)
    async def index(
        self,
        request: Request,
        limit: Limit = 20,
        starting_after: Cursor = None,
        region: Annotated[str | None, Parameter(max_length=100)] = None,
    ) -> ListOf[HouseholdView]:
        """Households, a page at a time; `region` keeps only that region's."""
        page = await households.list_households(current_actor(request), limit, starting_after, region)
        return ListOf(data=page.rows, has_more=page.has_more)

    @post("/", opt=WRITE_PEOPLE)
    async def create(self, request: Request, data: JSONBody[HouseholdIn]) -> HouseholdView:
        """Create a household."""
        return await households.create_household(current_actor(request), data.region)

    @get("/{household_id:str}", opt=READ_PEOPLE)
    async def retrieve(self, request: Request, household_id: Id) -> HouseholdView:
        """One household."""
        return await households.get_household(current_actor(request), household_id)

    @patch("/{household_id:str}", opt=WRITE_PEOPLE)
    async def update(self, request: Request, household_id: Id, data: JSONBody[HouseholdIn]) -> HouseholdView:
        """Change a household's region."""
        return await households.update_household(current_actor(request), household_id, data.region)

    @get("/{household_id:str}/children", opt=READ_PEOPLE)
    async def children(self, request: Request, household_id: Id) -> ListOf[ChildView]:
        """The children of a household."""
        rows = await households.list_children(current_actor(request), household_id)
        return ListOf(data=rows, has_more=False)

    @post("/{household_id:str}/children", opt=WRITE_PEOPLE)
    async def add_child(self, request: Request, household_id: Id, data: JSONBody[ChildIn]) -> ChildView:
        """Add a child to a household."""
        return await households.add_child(current_actor(request), household_id, data.personal)


class ChildController(Controller):
    path = "/api/v1/children"
    tags = ["registry"]

    @get("/{child_id:str}", opt=READ_PEOPLE)
    async def retrieve(self, request: Request, child_id: Id) -> ChildView:
        """One child, with their personal data."""
        return await households.get_child(current_actor(request), child_id)

    @patch("/{child_id:str}", opt=WRITE_PEOPLE)
    async def update(self, request: Request, child_id: Id, data: JSONBody[ChildPatchIn]) -> ChildView:
        """Change a child's personal data."""
        return await households.update_child(current_actor(request), child_id, data.personal)


class ProviderController(Controller):
    path = "/api/v1/providers"
    tags = ["registry"]

    @get("/", opt=allow(*STAFF_READ, Role.PROVIDER))
    async def index(
        self,
        request: Request,
        limit: Limit = 20,
        starting_after: Cursor = None,
        service: Annotated[Literal["childcare", "transport"] | None, QueryParameter()] = None,
    ) -> ListOf[ProviderView]:
        """Providers; `service=transport` lists the transport operators."""
        page = await organisations.list_providers(current_actor(request), limit, starting_after, service)
        return ListOf(data=page.rows, has_more=page.has_more)

    @post("/", opt=MANAGE_ORGANISATIONS)
    async def create(self, request: Request, data: JSONBody[ProviderIn]) -> ProviderView:
        """Register a provider (childcare or transport), optionally with its licence."""
        licence = (
            LicenceView(data.licence.licence_number, data.licence.valid_from, data.licence.valid_until)
            if data.licence
            else None
        )
        return await organisations.create_provider(
            current_actor(request),
            name=data.name,
            service=data.service,
            address=data.address,
            contact_email=data.contact_email,
            contact_phone=data.contact_phone,
            licence=licence,
        )

    @get("/{provider_id:str}", opt=allow(*STAFF_READ, Role.PROVIDER))
    async def retrieve(self, request: Request, provider_id: Id) -> ProviderView:
        """One provider (a provider user sees only its own)."""
        return await organisations.get_provider(current_actor(request), provider_id)

    @patch("/{provider_id:str}", opt=allow(Role.ADMIN, Role.CASEWORKER, Role.PROVIDER))
    async def update(
        self, request: Request, provider_id: Id, data: JSONBody[ProviderPatchIn]
    ) -> ProviderView:
        """Change a provider's name or contact details; send only what changes."""
        changes = _nonempty(set_fields(data))
        return await organisations.update_provider(current_actor(request), provider_id, changes)

    @post("/{provider_id:str}/licences", opt=MANAGE_ORGANISATIONS)
    async def add_licence(self, request: Request, provider_id: Id, data: JSONBody[LicenceIn]) -> ProviderView:
        """Add a licence (number and validity) to a provider."""
        licence = LicenceView(data.licence_number, data.valid_from, data.valid_until)
        return await organisations.add_licence(current_actor(request), provider_id, licence)


class EmployerController(Controller):
    path = "/api/v1/employers"
    tags = ["registry"]

    @get("/", opt=allow(*STAFF_READ, Role.EMPLOYER))
    async def index(
        self, request: Request, limit: Limit = 20, starting_after: Cursor = None
    ) -> ListOf[EmployerView]:
        """Employers, a page at a time (an employer user sees only its own)."""
        page = await organisations.list_employers(current_actor(request), limit, starting_after)
        return ListOf(data=page.rows, has_more=page.has_more)

    @post("/", opt=MANAGE_ORGANISATIONS)
    async def create(self, request: Request, data: JSONBody[EmployerIn]) -> EmployerView:
        """Register an employer; refused with 409 when the registration number is taken."""
        return await organisations.create_employer(
            current_actor(request),
            name=data.name,
            registration_number=data.registration_number,
            address=data.address,
            contact_email=data.contact_email,
            contact_phone=data.contact_phone,
        )

    @get("/{employer_id:str}", opt=allow(*STAFF_READ, Role.EMPLOYER))
    async def retrieve(self, request: Request, employer_id: Id) -> EmployerView:
        """One employer (an employer user sees only its own)."""
        return await organisations.get_employer(current_actor(request), employer_id)

    @patch("/{employer_id:str}", opt=allow(Role.ADMIN, Role.CASEWORKER, Role.EMPLOYER))
    async def update(
        self, request: Request, employer_id: Id, data: JSONBody[EmployerPatchIn]
    ) -> EmployerView:
        """Change an employer's details; send only what changes."""
        changes = _nonempty(set_fields(data))
        return await organisations.update_employer(current_actor(request), employer_id, changes)

    @post("/{employer_id:str}/verify", opt=MANAGE_ORGANISATIONS, status_code=200)
    async def verify(self, request: Request, employer_id: Id) -> EmployerView:
        """Record that the employer's registration and tax status were checked; only verified employers
        sign wage subsidy agreements."""
        return await organisations.verify_employer(current_actor(request), employer_id)


CONTROLLERS = [
    ParticipantController,
    HouseholdController,
    ChildController,
    ProviderController,
    EmployerController,
]
