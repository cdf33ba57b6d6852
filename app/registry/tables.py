"""Registry tables. Personal data lives only in the sealed `personal` columns."""

from __future__ import annotations

from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.core.tables import Organisation


class Household(Table, tablename="household"):
    public_id = Varchar(length=32, unique=True)
    region = Varchar(length=100, default="")  # coarse area for reports, never an address
    created_at = Timestamptz(default=TimestamptzNow())


class Participant(Table, tablename="participant"):
    """A person in a programme. `public_id` is the pseudonymous id used everywhere outside the registry."""

    public_id = Varchar(length=32, unique=True)
    household = ForeignKey(references=Household, null=True, on_delete=OnDelete.restrict)
    personal = Text()  # sealed JSON: names, date of birth, gender, national id, address, contact
    national_id_index = Varchar(length=64, null=True, default=None, unique=True)
    birth_date_hash = Varchar(length=64, null=True, default=None)  # keyed, bound to this record
    status = Varchar(length=20, default="active")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ParticipantNameToken(Table, tablename="participant_name_token"):
    """The blind index of participants' names (app/registry/name_index.py): short keyed hashes of the
    starts of each name token. Derived from the sealed record; rewritten when the names change."""

    participant = ForeignKey(references=Participant, null=False, on_delete=OnDelete.cascade, index=True)
    token = Integer()  # looked up through the (token, participant) index made by the migration


class Child(Table, tablename="child"):
    public_id = Varchar(length=32, unique=True)
    household = ForeignKey(references=Household, null=False, on_delete=OnDelete.restrict)
    personal = Text()  # sealed JSON: names, date of birth, disability
    birth_date_hash = Varchar(length=64, null=True, default=None)  # keyed, bound to this record
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Provider(Table, tablename="provider"):
    """A service provider (a childcare provider or a transport operator): the organisation's details. Its
    users belong to the organisation."""

    organisation = ForeignKey(references=Organisation, null=False, unique=True, on_delete=OnDelete.restrict)
    service = Varchar(length=20, default="childcare", index=True)  # childcare | transport
    address = Text(default="")
    contact_email = Varchar(length=254, default="")
    contact_phone = Varchar(length=40, default="")
    updated_at = Timestamptz(default=TimestamptzNow())


class ProviderLicence(Table, tablename="provider_licence"):
    """A licence period. A provider may hold several over the years; claims check the one for their dates."""

    provider = ForeignKey(references=Provider, null=False, on_delete=OnDelete.restrict)
    licence_number = Varchar(length=60)
    valid_from = Date()
    valid_until = Date()
    created_at = Timestamptz(default=TimestamptzNow())


class Employer(Table, tablename="employer"):
    organisation = ForeignKey(references=Organisation, null=False, unique=True, on_delete=OnDelete.restrict)
    registration_number = Varchar(length=60, unique=True)
    address = Text(default="")
    contact_email = Varchar(length=254, default="")
    contact_phone = Varchar(length=40, default="")
    verified_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
