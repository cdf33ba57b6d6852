"""Request and response building blocks shared by every API: strict input structs, lists, errors."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Generic, TypeVar

import msgspec

from app.core.dates import out_of_range

T = TypeVar("T")


class Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base for request bodies: unknown fields are errors, never silently dropped; dates outside the
    plausible range (app/core/dates.py) are refused naming their field. A subclass with its own
    __post_init__ calls super().__post_init__() first."""

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, dt.date):
                why = out_of_range(value)
                if why:
                    raise ValueError(f"Invalid date for field `{name}`: {value.isoformat()} {why}")


class Output(msgspec.Struct, kw_only=True):
    """Base for response bodies."""


class ListOf(Output, Generic[T]):
    data: list[T]
    has_more: bool
    object: str = "list"


class ErrorDetailOut(Output):
    code: str
    message: str
    param: str | None


class ErrorBody(Output):
    type: str
    code: str
    message: str
    param: str | None
    details: list[ErrorDetailOut] | None = None


class ErrorEnvelope(Output):
    error: ErrorBody


ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


def stored_in(*columns: object) -> dict[str, list[str]]:
    """Metadata naming the columns (`table.column`) a field is written to, for `Meta(extra=…)`: the test
    that every bound fits its column (tests/core/test_column_bounds.py) checks the field against these
    instead of the columns of the same name."""
    return {"columns": [f"{c._meta.table._meta.tablename}.{c._meta.db_column_name}" for c in columns]}  # type: ignore[attr-defined]


def text_for(column: object) -> object:
    """A required text field as long as its column allows: one source for each length (a Piccolo Varchar)."""
    length = column.length  # type: ignore[attr-defined]
    return Annotated[str, msgspec.Meta(min_length=1, max_length=length, extra=stored_in(column))]


Email = Annotated[
    str,
    msgspec.Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", examples=["ana@example.org"]),
]
Password = Annotated[str, msgspec.Meta(min_length=10, max_length=200)]
Phone = Annotated[str, msgspec.Meta(max_length=40, pattern=r"^[0-9+()\- ]*$")]
LongText = Annotated[str, msgspec.Meta(max_length=2000)]

Money = Annotated[
    str, msgspec.Meta(max_length=20, pattern=r"^-?[0-9]{1,13}(\.[0-9]{1,3})?$", description="e.g. 260.00")
]


class ApproveIn(Input):
    """Approve a claim (four eyes): every payable line, or only the lines listed."""

    example: ClassVar[dict[str, Any]] = {"lines": [1, 2], "effective_date": "2026-04-02"}

    lines: Annotated[list[int], msgspec.Meta(max_length=100_000)] | None = None  # default: every payable line
    effective_date: dt.date | None = None


class RejectIn(Input):
    example: ClassVar[dict[str, Any]] = {"reason": "the attendance register is missing"}
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500)]
