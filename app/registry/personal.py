"""Personal data of participants and children: its shape, and sealing it for storage.

The structs here validate input at the edge (API, CSV, CLI); the service seals them whole into the
record's `personal` column, bound to the record's public id.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, NamedTuple

import msgspec

from app.core.crypto import Vault, get_vault
from app.core.errors import ValidationFailed

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Text200 = Annotated[str, msgspec.Meta(max_length=200)]
NationalId = Annotated[str, msgspec.Meta(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9 /.\-]+$")]
Country = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code")]
PostCode = Annotated[str, msgspec.Meta(max_length=20)]
Phone = Annotated[str, msgspec.Meta(max_length=40, pattern=r"^[0-9+()\- ]*$")]
Email = Annotated[str, msgspec.Meta(max_length=254, pattern=r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$")]


log = logging.getLogger("grants.registry")

OLDEST_BIRTH_DATE = dt.date(1900, 1, 1)


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    UNDISCLOSED = "undisclosed"


class Address(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    line1: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    line2: Text200 = ""
    city: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    postcode: PostCode = ""
    country: Country


class ParticipantPersonal(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    given_name: Name
    family_name: Name
    date_of_birth: dt.date
    gender: Gender
    national_id: NationalId | None = None
    address: Address | None = None
    phone: Phone = ""
    email: Email = ""

    def __post_init__(self) -> None:
        check_birth_date(self.date_of_birth)


class ParticipantPersonalPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A partial change: only the fields sent are replaced."""

    given_name: Name | msgspec.UnsetType = msgspec.UNSET
    family_name: Name | msgspec.UnsetType = msgspec.UNSET
    date_of_birth: dt.date | msgspec.UnsetType = msgspec.UNSET
    gender: Gender | msgspec.UnsetType = msgspec.UNSET
    national_id: NationalId | msgspec.UnsetType | None = msgspec.UNSET
    address: Address | msgspec.UnsetType | None = msgspec.UNSET
    phone: Phone | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if isinstance(self.date_of_birth, dt.date):
            check_birth_date(self.date_of_birth)


class ChildPersonal(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    given_name: Name
    family_name: Name
    date_of_birth: dt.date
    has_disability: bool = False

    def __post_init__(self) -> None:
        check_birth_date(self.date_of_birth)


class ChildPersonalPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    given_name: Name | msgspec.UnsetType = msgspec.UNSET
    family_name: Name | msgspec.UnsetType = msgspec.UNSET
    date_of_birth: dt.date | msgspec.UnsetType = msgspec.UNSET
    has_disability: bool | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if isinstance(self.date_of_birth, dt.date):
            check_birth_date(self.date_of_birth)


def check_birth_date(value: dt.date) -> None:
    if not OLDEST_BIRTH_DATE <= value <= dt.date.today():
        raise ValueError(f"field `date_of_birth` must be between {OLDEST_BIRTH_DATE} and today")


PARTICIPANT_FIELDS = tuple(ParticipantPersonal.__struct_fields__)
CHILD_FIELDS = tuple(ChildPersonal.__struct_fields__)


def to_plain(struct: msgspec.Struct) -> dict[str, Any]:
    """The struct as JSON-ready values, leaving out fields a patch did not send."""
    return msgspec.to_builtins(struct)


def merge(current: dict[str, Any], patch: msgspec.Struct, full_type: type[msgspec.Struct]) -> dict[str, Any]:
    """Apply a patch and validate the result as a whole record."""
    merged = {**current, **to_plain(patch)}
    try:
        return to_plain(msgspec.convert(merged, full_type))
    except msgspec.ValidationError as exc:
        raise ValidationFailed("invalid_value", str(exc), None) from exc


def seal(kind: str, public_id: str, values: dict[str, Any]) -> str:
    return get_vault().seal(values, f"{kind}:{public_id}")


def unseal_for_view(kind: str, public_id: str, token: str) -> tuple[dict[str, Any] | None, bool]:
    """(personal values, False), or (None, True) when the row does not open with this key: one such row
    (sealed under another key, or damaged) is shown as unreadable and logged, never fails a whole list."""
    try:
        return unseal(kind, public_id, token), False
    except (ValueError, TypeError) as exc:  # a wrong key, a damaged or foreign token
        log.error("personal data of %s %s cannot be opened: %s", kind, public_id, exc)
        return None, True


def unseal(kind: str, public_id: str, token: str) -> dict[str, Any]:
    return get_vault().open(token, f"{kind}:{public_id}")


def national_id_index(national_id: str | None, vault: Vault | None = None) -> str | None:
    return (vault or get_vault()).blind_index("national_id", national_id) if national_id else None


def birth_date_hash(kind: str, public_id: str, birth_date: str) -> str:
    """A keyed hash of a record's date of birth (ISO text), bound to the record: vouchers check a redeemer's
    stated date against it without opening the sealed data, and two people born on the same day do not
    share a value."""
    return birth_date_hasher()(kind, public_id, birth_date)


def birth_date_hasher(vault: Vault | None = None) -> Callable[[str, str, str], str]:
    """birth_date_hash for batches: the keyed state is set up once. `vault`: another key's (rotation)."""
    index = (vault or get_vault()).indexer("birth_date")
    return lambda kind, public_id, birth_date: index(f"{kind}:{public_id}:{birth_date}")


class BirthCheck(NamedTuple):
    """What batch work needs of a person to check a date of birth later: no personal data in clear."""

    id: str
    household: str | None
    birth_date_hash: str | None  # None for roles that may not see personal data


def birth_checks_from_rows(kind: str, rows: list[dict[str, Any]], visible: bool) -> dict[str, BirthCheck]:
    """Rows with public_id, household_public_id, birth_date_hash and, where that hash is missing (a row
    written before it was kept), the sealed `personal` to compute it from."""
    hasher = birth_date_hasher()
    found = {}
    for row in rows:
        value = None
        if visible:
            value = row["birth_date_hash"]
            if value is None:
                personal = unseal(kind, row["public_id"], row["personal"])
                value = hasher(kind, row["public_id"], str(personal["date_of_birth"]))
        found[row["public_id"]] = BirthCheck(row["public_id"], row["household_public_id"], value)
    return found
