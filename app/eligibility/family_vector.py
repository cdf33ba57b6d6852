"""Deciding a whole caseload of households at once: one frame of households (their inputs, one row
each, with an id) and one flat frame of members (every member of every household, with the id of its
household, its role and inputs). Both are checked column by column; the members are sorted by household
and evaluated as columns, with group-by reductions (app/eligibility/groups.py): no Python loop per
household. Results are identical to deciding each household alone (family.py).

A household with a bad row, or a member with one, is set aside with every problem (which file, row,
field, reason); the others are decided.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from app.core.errors import ValidationFailed
from app.eligibility.dates import day_number
from app.eligibility.groups import Groups
from app.eligibility.inputs import given_specs, parse_frame
from app.eligibility.loader import ELIGIBLE, NO_BENEFICIARY, ROLE
from app.eligibility.model import InputSpec, Kind, Level, Rule, Type
from app.eligibility.parameters import Resolved, resolve
from app.eligibility.results import format_money, output_array, vector_parameters
from app.eligibility.vector import Frame, VectorCompiler

GROUP = "group"  # the column naming each row's household, in both frames
MEMBER_ID = "id"


class HouseholdResult:
    """Decisions for the good households (in input order), their members, and the rows set aside. The
    frames are built when first read: a caller that sums the raw columns does not pay for them."""

    def __init__(
        self,
        decisions: dict[str, Any],
        members: dict[str, Any],
        errors: pd.DataFrame,
        text: Any = None,
    ) -> None:
        self.columns = decisions  # row, group, eligible, <outputs…> as arrays
        self.member_columns = members  # row, group, id, role, eligible, <member outputs…>
        self.errors = errors  # source (households | members), row, field, reason
        self._text = text  # makes the frames' text form (money as decimal text, failed ids)
        self._frames: tuple[pd.DataFrame, pd.DataFrame] | None = None

    def _built(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        if self._frames is None:
            decisions, members = pd.DataFrame(self.columns), pd.DataFrame(self.member_columns)
            self._frames = self._text(decisions, members) if self._text else (decisions, members)
        return self._frames

    @property
    def decisions(self) -> pd.DataFrame:  # row, group, eligible, <outputs…>[, failed]
        return self._built()[0]

    @property
    def members(self) -> pd.DataFrame:  # row, group, id, role, eligible, <member outputs…>[, failed]
        return self._built()[1]

    @property
    def eligible_count(self) -> int:
        return int(self.columns["eligible"].sum())


class HouseholdCaseloadEvaluator:
    """A whole caseload of households at once. Build once per rule."""

    def __init__(self, rule: Rule, given: frozenset[str] = frozenset()) -> None:
        assert rule.members is not None
        self.rule = rule
        self.given = given
        compiler = VectorCompiler(rule)
        self.steps: list[tuple[Level | None, str, Any]] = []
        for index, value in enumerate(rule.values):
            if index == rule.member_conditions_at:
                self.steps.append((None, ELIGIBLE, None))
            if value.name in given:
                continue
            if value.level is Level.MEMBER:
                self.steps.append(
                    (Level.MEMBER, value.name, compiler.compile_for_members(value.node, value.type))
                )
            else:
                self.steps.append((Level.GROUP, value.name, _compile(compiler, value.node, value.type)))
        if rule.member_conditions_at >= len(rule.values):
            self.steps.append((None, ELIGIBLE, None))
        members = rule.members
        self.beneficiary = compiler.member_mask(members.beneficiaries)
        self.member_conditions = [(c.id, compiler.compile_for_members(c.node)) for c in members.conditions]
        self.conditions = [(c.id, compiler.compile(c.node)) for c in rule.conditions]
        self.outputs = [(o.name, _compile(compiler, o.node, o.type), o.type) for o in rule.outputs]
        self.member_outputs = [
            (o.name, compiler.compile_for_members(o.node, o.type), o.type) for o in members.outputs
        ]
        role = InputSpec(ROLE, members.role_type)
        self.member_specs = {
            ROLE: role,
            **members.inputs,
            **given_specs(rule, frozenset(n for n in given if _level(rule, n) is Level.MEMBER)),
        }
        self.group_given = given_specs(rule, frozenset(n for n in given if _level(rule, n) is Level.GROUP))

    def decide(
        self,
        households: pd.DataFrame,
        members: pd.DataFrame,
        as_of: dt.date,
        resolved: Resolved | None = None,
        as_text: bool = False,
        member_problems: pd.DataFrame | None = None,
    ) -> HouseholdResult:
        linked = link(self.rule, households, members, self.member_specs, self.group_given, member_problems)
        day = day_number(as_of)
        resolved = resolved or resolve(self.rule, day)
        groups = linked.groups
        values: dict[str, Any] = dict(linked.group_columns)
        values["as_of"] = day
        member: dict[str, Any] = dict(linked.member_columns)
        frame = Frame(values, vector_parameters(self.rule, resolved), linked.size, member, groups)
        member_met: dict[str, np.ndarray] = {}
        for level, name, compiled in self.steps:
            if level is Level.GROUP:
                values[name] = compiled(frame)
            elif level is Level.MEMBER:
                member[name] = np.broadcast_to(np.asarray(compiled(frame)), (groups.members,))
            else:
                member[ELIGIBLE], member_met = self._member_conditions(frame, groups)
        eligible = np.ones(linked.size, dtype=bool)
        group_met = {}
        for cid, compiled in self.conditions:
            met = np.broadcast_to(np.asarray(compiled(frame), dtype=bool), (linked.size,))
            group_met[cid] = met
            eligible &= met
        if self.member_conditions:
            group_met.update(self._none_qualifies(groups, member[ELIGIBLE], member_met, eligible))
            for met in list(group_met.values())[len(self.conditions) :]:
                eligible &= met
        columns: dict[str, np.ndarray] = {"eligible": eligible}
        for name, compiled, kind in self.outputs:
            columns[name] = output_array(compiled(frame), kind, eligible, linked.size)
        member_ok = groups.project(eligible) & member[ELIGIBLE]
        member_columns: dict[str, Any] = {"eligible": member_ok}
        for name, compiled, kind in self.member_outputs:
            member_columns[name] = output_array(compiled(frame), kind, member_ok, groups.members)
        decisions = {"row": linked.group_rows, GROUP: linked.group_ids, **columns}
        roles = list(self.rule.members.roles)  # type: ignore[union-attr]
        members_out = {
            "row": linked.member_rows,
            GROUP: linked.group_ids[linked.member_group] if len(linked.group_ids) else linked.group_ids[:0],
            MEMBER_ID: linked.member_ids,
            ROLE: pd.Categorical.from_codes(member[ROLE].astype(np.int16), categories=roles),
            **member_columns,
        }
        text = None
        if as_text:

            def text(decided: pd.DataFrame, members: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
                decided = self._as_text(decided, self.rule.outputs, group_met)
                members = self._as_text(members, self.rule.members.outputs, member_met)  # type: ignore[union-attr]
                members[MEMBER_ID] = members[MEMBER_ID].astype(str)
                return decided, members

        return HouseholdResult(decisions, members_out, linked.errors, text)

    def decide_members(
        self, frame: pd.DataFrame, as_of: dt.date, resolved: Resolved | None = None, as_text: bool = False
    ) -> HouseholdResult:
        """One frame of members, each row with its household's id and the household's inputs."""
        households, members, problems = split_members(self.rule, frame)
        return self.decide(households, members, as_of, resolved, as_text, problems)

    def _none_qualifies(
        self,
        groups: Groups,
        member_eligible: np.ndarray,
        member_met: dict[str, np.ndarray],
        eligible: np.ndarray,
    ) -> dict[str, np.ndarray]:
        """As family.py: a household none of whose beneficiaries qualifies fails the member conditions
        they failed (or no_beneficiary, with none)."""
        nobody = groups.count(member_eligible) == 0
        if not nobody.any():
            return {cid: np.ones(groups.size, dtype=bool) for cid in (*member_met, NO_BENEFICIARY)}
        failed: dict[str, np.ndarray] = {}
        any_failed = np.zeros(groups.size, dtype=bool)
        for cid, met in member_met.items():
            failing = nobody & groups.any(~met)
            failed[f"{cid}"] = ~failing
            any_failed |= failing
        failed[NO_BENEFICIARY] = ~(nobody & ~any_failed)
        return failed

    def _member_conditions(self, frame: Frame, groups: Groups) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        size = groups.members
        beneficiary = (
            np.ones(size, dtype=bool)
            if self.beneficiary is None
            else np.broadcast_to(np.asarray(self.beneficiary(frame), dtype=bool), (size,))
        )
        ok = beneficiary.copy()
        results = {}
        for cid, compiled in self.member_conditions:
            met = np.broadcast_to(np.asarray(compiled(frame), dtype=bool), (size,))
            results[cid] = met | ~beneficiary  # a member who is not a beneficiary fails no condition
            ok &= met
        return ok, results

    def _as_text(self, frame: pd.DataFrame, outputs, conditions: dict[str, np.ndarray]) -> pd.DataFrame:
        from app.core.money import exponent

        digits = exponent(self.rule.currency)
        for output in outputs:
            if output.type.kind is Kind.MONEY:
                frame[output.name] = format_money(frame[output.name].to_numpy(), digits)
            elif output.type.kind is Kind.DATE:
                frame[output.name] = frame[output.name].to_numpy().astype("datetime64[D]").astype(str)
        failed = pd.Series("", index=frame.index, dtype=object)
        for cid, met in conditions.items():
            if (~met).any():
                failed = failed.where(met, failed + np.where(failed == "", "", ";") + cid)
        frame["failed"] = failed
        return frame


def _compile(compiler: VectorCompiler, node, kind: Type):
    return compiler.compile_as(node, kind) if kind.kind is Kind.ENUM else compiler.compile(node)


def _level(rule: Rule, name: str) -> Level:
    value = rule.value(name)
    return value.level if value is not None else Level.GROUP


@dataclass
class Linked:
    """The good households and their good members, members sorted by household."""

    groups: Groups
    size: int
    group_columns: dict[str, np.ndarray]
    group_rows: np.ndarray  # positions of the decided households in the households frame
    group_ids: np.ndarray
    member_columns: dict[str, np.ndarray]
    member_group: np.ndarray  # for each member, the index of its household among the decided ones
    member_rows: np.ndarray  # positions of the members in the members frame
    member_ids: np.ndarray
    errors: pd.DataFrame


def link(
    rule: Rule,
    households: pd.DataFrame,
    members: pd.DataFrame,
    member_specs: dict[str, InputSpec],
    group_given: dict[str, InputSpec] | None = None,
    member_problems: pd.DataFrame | None = None,
) -> Linked:
    """Check both frames, tie each member to its household, set aside what cannot be decided."""
    for name, frame in (("households", households), ("members", members)):
        if GROUP not in frame.columns:
            raise ValidationFailed(
                "missing_column", f"the {name} have no column {GROUP!r} (the household's id)", GROUP
            )
    if not len(members):  # a batch whose households have no members left: columns may be absent
        members = members.assign(
            **{n: pd.Series(dtype=object) for n in member_specs if n not in members.columns}
        )
    group_part = households.drop(columns=[GROUP])
    parsed_groups = parse_frame(rule, group_part, group_given)
    member_part = members.drop(columns=[c for c in (GROUP, MEMBER_ID) if c in members.columns])
    parsed_members = parse_frame(rule, member_part, specs=member_specs)
    errors = [_errors("households", parsed_groups.errors), _errors("members", parsed_members.errors)]

    ids = households[GROUP].to_numpy()
    index = pd.Index(ids)
    bad_group = np.zeros(len(households), dtype=bool)
    bad_group[parsed_groups.errors["row"].to_numpy()] = True
    if not index.is_unique:
        repeated = index.duplicated(keep="first")
        bad_group |= repeated
        errors.append(
            _rows("households", np.flatnonzero(repeated), GROUP, "this household id is given twice")
        )
    position = _positions(index, members[GROUP].to_numpy())
    bad_member = np.zeros(len(members), dtype=bool)
    bad_member[parsed_members.errors["row"].to_numpy()] = True
    if member_problems is not None and len(member_problems):
        bad_member[member_problems["row"].to_numpy()] = True
        errors.append(_errors("members", member_problems))
    unknown = position < 0
    if unknown.any():
        errors.append(_rows("members", np.flatnonzero(unknown), GROUP, "no household with this id"))
    member_ids, id_errors = _member_ids(members, position)
    if id_errors is not None:
        bad_member |= id_errors
        errors.append(
            _rows(
                "members", np.flatnonzero(id_errors), MEMBER_ID, "two members of the household have this id"
            )
        )
    # A household with a bad member cannot be decided: its decision would leave someone out.
    with_bad = np.unique(position[bad_member & ~unknown])
    if len(with_bad):
        fresh = with_bad[~bad_group[with_bad]]
        bad_group[with_bad] = True
        errors.append(_rows("households", fresh, "members", "a member of this household has bad input"))
    good_groups = np.flatnonzero(~bad_group)
    renumber = np.full(len(households), -1, dtype=np.int64)
    renumber[good_groups] = np.arange(len(good_groups))
    member_group = np.where(unknown, -1, renumber[np.where(unknown, 0, position)])
    keep = (member_group >= 0) & ~bad_member
    good_members = np.flatnonzero(keep)
    member_group = member_group[good_members]
    if len(member_group) > 1 and (np.diff(member_group) < 0).any():
        order = np.argsort(member_group, kind="stable")
        good_members, member_group = good_members[order], member_group[order]
    # parse_frame kept only good rows: map the positions we keep onto its columns
    group_columns = _select(parsed_groups.columns, parsed_groups.good, good_groups)
    member_columns = _select(parsed_members.columns, parsed_members.good, good_members)
    groups = Groups(member_group.astype(np.int64), len(good_groups))
    # without an id column, a member is known by its place in the household: 1, 2, …
    chosen_ids: np.ndarray = groups.position + 1 if member_ids is None else member_ids[good_members]
    return Linked(
        groups=groups,
        size=len(good_groups),
        group_columns=group_columns,
        group_rows=good_groups,
        group_ids=ids[good_groups],
        member_columns=member_columns,
        member_group=member_group.astype(np.int64),
        member_rows=good_members,
        member_ids=chosen_ids,
        errors=pd.concat(errors, ignore_index=True).sort_values(
            ["source", "row"], kind="stable", ignore_index=True
        ),
    )


def _positions(index: pd.Index, wanted: np.ndarray) -> np.ndarray:
    """Where each member's household id is among the households (-1: nowhere; the first of repeats)."""
    values = index.to_numpy()
    numbered = isinstance(index, pd.RangeIndex) or (
        values.dtype.kind in "iu"
        and len(values)
        and values[0] == 0
        and values[-1] == len(values) - 1
        and index.is_monotonic_increasing
        and index.is_unique
    )
    if numbered and wanted.dtype.kind in "iu":  # households 0, 1, 2 … in order: the id is the position
        return np.where((wanted >= 0) & (wanted < len(values)), wanted, -1)
    if (
        len(values)
        and values.dtype.kind in "iu"
        and wanted.dtype.kind in "iu"
        and index.is_unique
        and index.is_monotonic_increasing
    ):  # ids that are already sorted numbers (an extract's own order): no hashing
        found = np.minimum(np.searchsorted(values, wanted), len(values) - 1)
        return np.where(values[found] == wanted, found, -1)
    if not index.is_unique:
        first = ~index.duplicated(keep="first")
        found = index[first].get_indexer(wanted)
        return np.where(found >= 0, np.flatnonzero(first)[np.maximum(found, 0)], -1)
    return index.get_indexer(wanted)


def _member_ids(members: pd.DataFrame, position: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    if MEMBER_ID not in members.columns:
        return None, None
    ids = members[MEMBER_ID].astype(str).to_numpy()
    repeated = pd.DataFrame({"g": position, "i": ids}).duplicated(keep="first").to_numpy()
    return ids, repeated if repeated.any() else None


def _select(columns: dict[str, np.ndarray], good: np.ndarray, wanted: np.ndarray) -> dict[str, np.ndarray]:
    """Columns of the rows `wanted` (positions in the frame) from columns holding only the `good` rows."""
    if len(good) == len(wanted) and (len(good) == 0 or (good == wanted).all()):
        return columns
    where = np.searchsorted(good, wanted)
    return {name: values[where] for name, values in columns.items()}


def _errors(source: str, errors: pd.DataFrame) -> pd.DataFrame:
    return errors.assign(source=source)[["source", "row", "field", "reason"]]


def _rows(source: str, rows: np.ndarray, field_name: str, reason: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"source": source, "row": rows.astype(np.int64), "field": field_name, "reason": reason}
    )


def split_members(rule: Rule, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One frame of members with their household's id and the household's inputs on every row → the
    households (their inputs from each household's first row), the members, and the member rows whose
    household inputs differ from that first row (row, field, reason)."""
    if GROUP not in frame.columns:
        raise ValidationFailed(
            "missing_column", f"the members have no column {GROUP!r} (the household's id)", GROUP
        )
    group_inputs = [c for c in frame.columns if c in rule.inputs]
    first = ~frame[GROUP].duplicated(keep="first")
    households = frame.loc[first, [GROUP, *group_inputs]].reset_index(drop=True)
    members = frame.drop(columns=group_inputs).reset_index(drop=True)
    problems = []
    if group_inputs and not first.all():
        where = pd.Index(households[GROUP]).get_indexer(frame[GROUP])
        for column in group_inputs:
            mine = frame[column].to_numpy()
            theirs = households[column].to_numpy()[where]
            differs = ~((mine == theirs) | (pd.isna(mine) & pd.isna(theirs)))
            if differs.any():
                problems.append(
                    _rows(
                        "members", np.flatnonzero(differs), column, "differs from the household's first row"
                    )
                )
    found = pd.concat(problems, ignore_index=True).drop(columns="source") if problems else None
    return (
        households,
        members,
        found
        if found is not None
        else _rows("members", np.array([], dtype=np.int64), "", "").drop(columns="source"),
    )
