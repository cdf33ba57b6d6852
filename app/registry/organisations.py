"""Service providers (childcare providers, transport operators) and employers: the organisations that
claim money from the programme.

Their own users see and edit only their organisation, and only its contact details; staff manage the rest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from app.core import audit
from app.core.actor import Actor
from app.core.db import today, utcnow, write_transaction
from app.core.errors import Conflict, Forbidden, ValidationFailed
from app.core.organisations import (
    OrganisationRef,
    create_organisation,
    find_organisation,
    rename_organisation,
)
from app.core.pagination import Page, paginate
from app.core.tables import Organisation
from app.registry.tables import Employer, Provider, ProviderLicence

CONTACT_FIELDS = frozenset({"address", "contact_email", "contact_phone"})
SERVICES = ("childcare", "transport")  # what a provider is paid for: childcare places, or journeys


@dataclass(frozen=True)
class LicenceView:
    licence_number: str
    valid_from: dt.date
    valid_until: dt.date


@dataclass(frozen=True)
class ProviderView:
    id: str
    name: str
    service: str
    address: str
    contact_email: str
    contact_phone: str
    licences: list[LicenceView] = field(default_factory=list)
    licensed_today: bool = False


@dataclass(frozen=True)
class EmployerView:
    id: str
    name: str
    registration_number: str
    address: str
    contact_email: str
    contact_phone: str
    verified: bool
    verified_at: dt.datetime | None


def _check_editable(actor: Actor, changes: dict[str, Any]) -> None:
    """Outside users may change only their contact details."""
    if actor.is_outside and (forbidden := sorted(set(changes) - CONTACT_FIELDS)):
        raise Forbidden(
            "field_not_editable",
            f"you may change only contact details, not {forbidden[0]}",
            forbidden[0],
        )


def _own_scope(actor: Actor) -> list:
    return [Organisation.id == actor.organisation_id] if actor.is_outside else []


def _check_licence_dates(valid_from: dt.date, valid_until: dt.date) -> None:
    if valid_until < valid_from:
        raise ValidationFailed("invalid_period", "valid_until must not be before valid_from", "valid_until")


# --- providers --------------------------------------------------------------------------------


async def _provider_view(org: OrganisationRef) -> ProviderView:
    row = await Provider.select().where(Provider.organisation == org.id).first()
    licences = (
        await ProviderLicence.select()
        .where(ProviderLicence.provider == row["id"])
        .order_by(ProviderLicence.valid_from)
    )
    views = [LicenceView(r["licence_number"], r["valid_from"], r["valid_until"]) for r in licences]
    on = today()
    return ProviderView(
        id=org.public_id,
        name=org.name,
        service=row["service"],
        address=row["address"],
        contact_email=row["contact_email"],
        contact_phone=row["contact_phone"],
        licences=views,
        licensed_today=any(v.valid_from <= on <= v.valid_until for v in views),
    )


async def create_provider(
    actor: Actor,
    *,
    name: str,
    service: str = "childcare",
    address: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    licence: LicenceView | None = None,
) -> ProviderView:
    if service not in SERVICES:
        raise ValidationFailed("invalid_service", f"service must be one of {', '.join(SERVICES)}", "service")
    if licence is not None:
        _check_licence_dates(licence.valid_from, licence.valid_until)
    async with write_transaction():
        org = await create_organisation("provider", name)
        rows = await Provider.insert(
            Provider(
                organisation=org.id,
                service=service,
                address=address,
                contact_email=contact_email,
                contact_phone=contact_phone,
            )
        )
        if licence is not None:
            await ProviderLicence.insert(
                ProviderLicence(
                    provider=rows[0]["id"],
                    licence_number=licence.licence_number,
                    valid_from=licence.valid_from,
                    valid_until=licence.valid_until,
                )
            )
        view = await _provider_view(org)
        await audit.record(actor, "provider.create", "provider", org.public_id, after=_plain(view))
    return view


def _plain(view: Any) -> dict[str, Any]:
    return asdict(view)


async def get_provider(actor: Actor, public_id: str) -> ProviderView:
    return await _provider_view(await find_organisation(actor, "provider", public_id))


async def list_providers(
    actor: Actor, limit: int, starting_after: str | None, service: str | None = None
) -> Page:
    where = [Organisation.kind == "provider", *_own_scope(actor)]
    if service is not None:
        where.append(
            Organisation.id.is_in(Provider.select(Provider.organisation).where(Provider.service == service))
        )
    page = await paginate(Organisation, Organisation.all_columns(), where, limit, starting_after)
    return Page(
        rows=[await _provider_view(OrganisationRef.from_row(r)) for r in page.rows],
        has_more=page.has_more,
    )


async def update_provider(actor: Actor, public_id: str, changes: dict[str, Any]) -> ProviderView:
    _check_editable(actor, changes)
    async with write_transaction():
        org = await find_organisation(actor, "provider", public_id)
        before = await _provider_view(org)
        if "name" in changes:
            await rename_organisation(org.id, changes.pop("name"))
        columns = {Provider._meta.get_column_by_name(k): v for k, v in changes.items()}
        if columns:
            await Provider.update({**columns, Provider.updated_at: utcnow()}).where(
                Provider.organisation == org.id
            )
        after = await get_provider(actor, public_id)
        old, new = audit.changes(_plain(before), _plain(after))
        if new:
            await audit.record(actor, "provider.update", "provider", public_id, before=old, after=new)
    return after


async def add_licence(actor: Actor, public_id: str, licence: LicenceView) -> ProviderView:
    _check_licence_dates(licence.valid_from, licence.valid_until)
    if actor.is_outside:
        raise Forbidden("field_not_editable", "licences are recorded by programme staff", "licences")
    async with write_transaction():
        org = await find_organisation(actor, "provider", public_id)
        provider = await Provider.select(Provider.id).where(Provider.organisation == org.id).first()
        await ProviderLicence.insert(
            ProviderLicence(
                provider=provider["id"],
                licence_number=licence.licence_number,
                valid_from=licence.valid_from,
                valid_until=licence.valid_until,
            )
        )
        await audit.record(actor, "provider.licence_add", "provider", public_id, after=_plain(licence))
    return await get_provider(actor, public_id)


# --- employers --------------------------------------------------------------------------------


async def _employer_view(org: OrganisationRef) -> EmployerView:
    row = await Employer.select().where(Employer.organisation == org.id).first()
    return EmployerView(
        id=org.public_id,
        name=org.name,
        registration_number=row["registration_number"],
        address=row["address"],
        contact_email=row["contact_email"],
        contact_phone=row["contact_phone"],
        verified=row["verified_at"] is not None,
        verified_at=row["verified_at"],
    )


async def _refuse_duplicate_registration(number: str, except_org: int | None = None) -> None:
    row = await Employer.select(Employer.organisation).where(Employer.registration_number == number).first()
    if row is not None and row["organisation"] != except_org:
        raise Conflict(
            "duplicate_registration_number",
            f"an employer with registration number {number} exists",
            "registration_number",
        )


async def create_employer(
    actor: Actor,
    *,
    name: str,
    registration_number: str,
    address: str = "",
    contact_email: str = "",
    contact_phone: str = "",
) -> EmployerView:
    async with write_transaction():
        await _refuse_duplicate_registration(registration_number)
        org = await create_organisation("employer", name)
        await Employer.insert(
            Employer(
                organisation=org.id,
                registration_number=registration_number,
                address=address,
                contact_email=contact_email,
                contact_phone=contact_phone,
            )
        )
        view = await _employer_view(org)
        await audit.record(actor, "employer.create", "employer", org.public_id, after=_plain(view))
    return view


async def get_employer(actor: Actor, public_id: str) -> EmployerView:
    return await _employer_view(await find_organisation(actor, "employer", public_id))


async def list_employers(actor: Actor, limit: int, starting_after: str | None) -> Page:
    where = [Organisation.kind == "employer", *_own_scope(actor)]
    page = await paginate(Organisation, Organisation.all_columns(), where, limit, starting_after)
    return Page(
        rows=[await _employer_view(OrganisationRef.from_row(r)) for r in page.rows],
        has_more=page.has_more,
    )


async def update_employer(actor: Actor, public_id: str, changes: dict[str, Any]) -> EmployerView:
    _check_editable(actor, changes)
    async with write_transaction():
        org = await find_organisation(actor, "employer", public_id)
        before = await _employer_view(org)
        if "registration_number" in changes:
            await _refuse_duplicate_registration(changes["registration_number"], except_org=org.id)
        if "name" in changes:
            await rename_organisation(org.id, changes.pop("name"))
        columns = {Employer._meta.get_column_by_name(k): v for k, v in changes.items()}
        if columns:
            await Employer.update({**columns, Employer.updated_at: utcnow()}).where(
                Employer.organisation == org.id
            )
        after = await get_employer(actor, public_id)
        old, new = audit.changes(_plain(before), _plain(after))
        if new:
            await audit.record(actor, "employer.update", "employer", public_id, before=old, after=new)
    return after


async def verify_employer(actor: Actor, public_id: str) -> EmployerView:
    """Programme staff checked the company's registration and tax status: the employer may sign wage
    subsidy agreements. Verifying twice keeps the first date."""
    async with write_transaction():
        org = await find_organisation(actor, "employer", public_id)
        view = await _employer_view(org)
        if view.verified:
            return view
        await Employer.update({Employer.verified_at: utcnow(), Employer.updated_at: utcnow()}).where(
            Employer.organisation == org.id
        )
        await audit.record(actor, "employer.verify", "employer", public_id, after={"verified": True})
    return await get_employer(actor, public_id)
