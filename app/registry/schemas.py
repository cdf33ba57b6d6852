"""Request bodies of the registry API (responses are the service's views)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from app.core.schemas import Input, ShortText
from app.registry.personal import (
    ChildPersonal,
    ChildPersonalPatch,
    Email,
    ParticipantPersonal,
    ParticipantPersonalPatch,
    Phone,
)

PublicId = Annotated[str, msgspec.Meta(min_length=4, max_length=40, pattern=r"^[a-z]+_[0-9a-z]+$")]
Region = Annotated[str, msgspec.Meta(max_length=100)]
AddressText = Annotated[str, msgspec.Meta(max_length=500)]
LicenceNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
RegistrationNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9/.\- ]+$")]


class ParticipantIn(Input):
    personal: ParticipantPersonal
    household: PublicId | None = None


class ParticipantPatchIn(Input):
    personal: ParticipantPersonalPatch | None = None
    household: PublicId | None = None
    status: Annotated[str, msgspec.Meta(max_length=20)] | None = None


class HouseholdIn(Input):
    region: Region = ""


class ChildIn(Input):
    personal: ChildPersonal


class ChildPatchIn(Input):
    personal: ChildPersonalPatch


class LicenceIn(Input):
    licence_number: LicenceNumber
    valid_from: dt.date
    valid_until: dt.date

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.valid_until < self.valid_from:
            raise ValueError("field `valid_until` must not be before valid_from")


class ProviderIn(Input):
    name: ShortText
    service: Literal["childcare", "transport"] = "childcare"  # transport: a transport operator
    address: AddressText = ""
    contact_email: Email = ""
    contact_phone: Phone = ""
    licence: LicenceIn | None = None


class ProviderPatchIn(Input):
    name: ShortText | msgspec.UnsetType = msgspec.UNSET
    address: AddressText | msgspec.UnsetType = msgspec.UNSET
    contact_email: Email | msgspec.UnsetType = msgspec.UNSET
    contact_phone: Phone | msgspec.UnsetType = msgspec.UNSET


class EmployerIn(Input):
    name: ShortText
    registration_number: RegistrationNumber
    address: AddressText = ""
    contact_email: Email = ""
    contact_phone: Phone = ""


class EmployerPatchIn(Input):
    name: ShortText | msgspec.UnsetType = msgspec.UNSET
    registration_number: RegistrationNumber | msgspec.UnsetType = msgspec.UNSET
    address: AddressText | msgspec.UnsetType = msgspec.UNSET
    contact_email: Email | msgspec.UnsetType = msgspec.UNSET
    contact_phone: Phone | msgspec.UnsetType = msgspec.UNSET


def set_fields(patch: msgspec.Struct) -> dict:
    """The fields a PATCH body actually sent."""
    return msgspec.to_builtins(patch)
