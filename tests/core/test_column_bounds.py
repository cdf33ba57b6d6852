"""Every request schema's string bound fits the column it is written to (issue 17 point 1: token names
of 200 characters into varchar(100), placement roles of 200 into 120, answered 500 on PostgreSQL).

Generated, not hand-listed: it walks every Piccolo table's Varchar columns and every request struct
(each `Input` subclass and every struct a route takes as its body, nested ones included). A string
field's bound is its max_length or the longest text its pattern admits. The field is checked against the
columns it names (`stored_in`, which `text_for(column)` sets: the length then comes from the column)
or else against every Varchar column of the same name in its domain's tables. A field written to a
column of another name must name it; that is the one thing this test cannot find by itself.
"""

from __future__ import annotations

import math
import re._parser as regex_parser
from collections.abc import Iterator
from typing import Annotated, Any

import msgspec
import msgspec.inspect as mi
from piccolo.columns import Text, Varchar

from app.core.schemas import Input, stored_in
from app.piccolo_conf import APP_REGISTRY
from app.wage_subsidies.tables import Placement
from tests.core.test_bad_input import _body_handlers

_UNBOUNDED = 2**31


def _columns() -> tuple[dict[str, Any], dict[tuple[str, str], list[Any]]]:
    """Every column by `table.column`, and the Varchar columns by (app, column name)."""
    qualified, by_name = {}, {}
    for config in APP_REGISTRY.app_configs.values():
        for table in config.table_classes:
            for column in table._meta.columns:
                name = column._meta.db_column_name
                qualified[f"{table._meta.tablename}.{name}"] = column
                if isinstance(column, Varchar):
                    by_name.setdefault((config.app_name, name), []).append(column)
    return qualified, by_name


def _domain(struct: type) -> str:
    """The app whose tables a struct's fields go to: its package (the HTTP layer writes the core's)."""
    package = struct.__module__.split(".")[1]
    return "core" if package in ("http", "web", "cli") else package


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _structs(app) -> set[type]:
    found = set(_subclasses(Input)) | {s for *_, s in _body_handlers(app)}
    todo = list(found)
    while todo:  # nested structs: a claim's lines, a participant's address
        for field in mi.type_info(todo.pop()).fields:
            for kind in _types(field.type):
                if isinstance(kind, mi.StructType) and kind.cls not in found:
                    found.add(kind.cls)
                    todo.append(kind.cls)
    return {s for s in found if s.__module__.startswith("app.")}


def _types(kind: mi.Type) -> Iterator[mi.Type]:
    """A field's type and the types inside it (unions, lists, metadata)."""
    yield kind
    if isinstance(kind, mi.Metadata):
        yield from _types(kind.type)
    elif isinstance(kind, mi.UnionType):
        for member in kind.types:
            yield from _types(member)
    elif isinstance(kind, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        yield from _types(kind.item_type)


def _string_field(kind: mi.Type) -> tuple[float, list[str]] | None:
    """(the longest string the field takes, the columns it names), or None for a field of no text."""
    declared: list[str] = []
    for inner in _types(kind):
        if isinstance(inner, mi.Metadata) and inner.extra:
            declared += inner.extra.get("columns", [])
        if isinstance(inner, mi.StrType):
            bounds = [inner.max_length] if inner.max_length is not None else []
            if inner.pattern:
                longest = regex_parser.parse(inner.pattern).getwidth()[1]
                bounds += [longest] if longest < _UNBOUNDED else []
            return (min(bounds) if bounds else math.inf), declared
        if isinstance(inner, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
            return None  # a list of texts is not written to one column
    return None


def _too_long(structs: set[type]) -> tuple[list[str], int]:
    """Each field whose bound exceeds a column it is written to; and how many fields were checked."""
    qualified, by_name = _columns()
    failures, checked = [], 0
    for struct in sorted(structs, key=lambda s: f"{s.__module__}.{s.__qualname__}"):
        for field in mi.type_info(struct).fields:
            found = _string_field(field.type)
            if found is None:
                continue
            bound, declared = found
            where = f"{struct.__module__}.{struct.__qualname__}.{field.name}"
            unknown = [c for c in declared if c not in qualified]
            if unknown:
                failures.append(f"{where} names columns that do not exist: {unknown}")
                continue
            columns = (
                [qualified[c] for c in declared]
                if declared
                else by_name.get((_domain(struct), field.encode_name), [])
            )
            for column in columns:
                checked += 1
                limit = column.length if isinstance(column, Varchar) else None
                if isinstance(column, Text) and bound == math.inf:
                    failures.append(f"{where} has no bound (it goes to {column._meta.table._meta.tablename})")
                elif limit is not None and bound > limit:
                    table = column._meta.table._meta.tablename
                    failures.append(
                        f"{where} admits {bound} characters, {table}.{column._meta.db_column_name} holds {limit}"
                    )
    return failures, checked


def test_every_schema_bound_fits_its_column(app):
    failures, checked = _too_long(_structs(app))
    assert not failures, "\n".join(failures)
    assert checked >= 40  # the walk reaches the schemas (placement role, token name, codes, ids, …)


def test_a_bound_longer_than_its_column_is_found():
    """The check itself: the placement role of 200 characters into varchar(120) that issue 17 found,
    once by the column's name and once by a declared column; and a declared column that does not exist."""

    # plain structs, not Input subclasses, so that the walk of the app's schemas never meets them
    class PlacementIn(msgspec.Struct):
        role: Annotated[str, msgspec.Meta(max_length=200)]

    class Declared(msgspec.Struct):
        title: Annotated[str, msgspec.Meta(max_length=121, extra=stored_in(Placement.role))]
        other: Annotated[str, msgspec.Meta(max_length=10, extra={"columns": ["wage_placement.nothing"]})]

    PlacementIn.__module__ = "app.wage_subsidies.schemas"  # the domain whose columns it is checked against
    Declared.__module__ = "app.wage_subsidies.schemas"
    failures, _ = _too_long({PlacementIn, Declared})
    assert any("PlacementIn.role admits 200 characters, wage_placement.role holds 120" in f for f in failures)
    assert any("Declared.title admits 121" in f for f in failures)
    assert any("Declared.other names columns that do not exist" in f for f in failures)
    assert len(failures) == 3


def test_a_pattern_bounds_a_field():
    coded = Annotated[str, msgspec.Meta(pattern=r"^[A-Z][A-Z0-9-]{1,31}$")]
    assert _string_field(mi.type_info(coded)) == (32, [])
    assert _string_field(mi.type_info(Annotated[str, msgspec.Meta(pattern=r"^[a-z]+$")])) == (math.inf, [])
