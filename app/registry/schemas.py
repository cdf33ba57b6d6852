"""Request bodies of the registry API (responses are the service's views)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

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
    example: ClassVar[dict[str, Any]] = {
        "personal": {
            "given_name": "Ana",
            "family_name": "Moreau",
            "date_of_birth": "1990-04-17",
            "gender": "female",
            "national_id": "XQ-99887766",
            "address": {
                "line1": "17 Juniper Lane",
                "city": "Marrowby",
                "postcode": "MB1 7QQ",
                "country": "GB",
            },
            "phone": "+44 7700 900123",
            "email": "ana.moreau@example.org",
        }
    }
    personal: ParticipantPersonal
    household: PublicId | None = None


class ParticipantPatchIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "personal": {"phone": "+44 7700 900456"},
        "household": "hh_5d7f9h1j3l5n7p9r",
    }
    personal: ParticipantPersonalPatch | None = None
    household: PublicId | None = None
    status: Annotated[str, msgspec.Meta(max_length=20)] | None = None


class HouseholdIn(Input):
    example: ClassVar[dict[str, Any]] = {"region": "North"}
    region: Region = ""


class ChildIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "personal": {
            "given_name": "Lea",
            "family_name": "Moreau",
            "date_of_birth": "2023-05-10",
            "has_disability": False,
        }
    }
    personal: ChildPersonal


class ChildPatchIn(Input):
    example: ClassVar[dict[str, Any]] = {"personal": {"has_disability": True}}
    personal: ChildPersonalPatch


class LicenceIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "licence_number": "CC-2026-0042",
        "valid_from": "2026-01-01",
        "valid_until": "2028-12-31",
    }
    licence_number: LicenceNumber
    valid_from: dt.date
    valid_until: dt.date

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.valid_until < self.valid_from:
            raise ValueError("field `valid_until` must not be before valid_from")


class ProviderIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "name": "Little Acorns Nursery",
        "service": "childcare",
        "address": "3 Oak Row, Marrowby",
        "contact_email": "office@littleacorns.example",
        "contact_phone": "+44 1632 960123",
        "licence": LicenceIn.example,
    }
    name: ShortText
    service: Literal["childcare", "transport"] = "childcare"  # transport: a transport operator
    address: AddressText = ""
    contact_email: Email = ""
    contact_phone: Phone = ""
    licence: LicenceIn | None = None


class ProviderPatchIn(Input):
    example: ClassVar[dict[str, Any]] = {"contact_phone": "+44 1632 960999"}
    name: ShortText | msgspec.UnsetType = msgspec.UNSET
    address: AddressText | msgspec.UnsetType = msgspec.UNSET
    contact_email: Email | msgspec.UnsetType = msgspec.UNSET
    contact_phone: Phone | msgspec.UnsetType = msgspec.UNSET


class EmployerIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "name": "Marrowby Bakery Ltd",
        "registration_number": "GB-0123456",
        "address": "8 Mill Street, Marrowby",
        "contact_email": "hr@marrowbybakery.example",
        "contact_phone": "+44 1632 960456",
    }
    name: ShortText
    registration_number: RegistrationNumber
    address: AddressText = ""
    contact_email: Email = ""
    contact_phone: Phone = ""


class EmployerPatchIn(Input):
    example: ClassVar[dict[str, Any]] = {"contact_email": "payroll@marrowbybakery.example"}
    name: ShortText | msgspec.UnsetType = msgspec.UNSET
    registration_number: RegistrationNumber | msgspec.UnsetType = msgspec.UNSET
    address: AddressText | msgspec.UnsetType = msgspec.UNSET
    contact_email: Email | msgspec.UnsetType = msgspec.UNSET
    contact_phone: Phone | msgspec.UnsetType = msgspec.UNSET


def set_fields(patch: msgspec.Struct) -> dict:
    """The fields a PATCH body actually sent."""
    return msgspec.to_builtins(patch)
