"""Eligibility operations: decide one case or a batch, store decisions with their rule version, fetch and
re-run a stored decision. Each write is one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from app.core import audit
from app.core.actor import Actor
from app.core.crypto import get_vault
from app.core.db import today, write_transaction
from app.core.errors import NotFound, ValidationFailed
from app.core.ids import has_prefix, new_id
from app.core.sealed_fields import SealedField, register
from app.core.sql import Sql
from app.eligibility.catalogue import Compiled, catalogue
from app.eligibility.inputs import money_text, parse_case
from app.eligibility.model import Kind, Rule
from app.eligibility.results import Decision as Decided
from app.eligibility.tables import Decision, RuleVersion
from app.registry.tables import Participant

MAX_BATCH = 10_000  # cases per API request; larger caseloads go through `grants rules batch`
_known_versions: set[str] = set()


SEALED = register(SealedField("eligibility_decision", "sealed", "public_id", "eligibility_decision"))


def _sealing_context(public_id: str) -> str:
    return SEALED.context_of(public_id)


async def remember_version(rule: Rule) -> None:
    """Keep the full text of every rule version that makes a decision (once per version)."""
    if rule.version in _known_versions:
        return
    await RuleVersion.insert(
        RuleVersion(
            version=rule.version,
            programme=rule.id,
            title=rule.title,
            file_name=rule.file.rsplit("/", 1)[-1],
            source=rule.source,
        )
    ).on_conflict(target=RuleVersion.version, action="DO NOTHING")
    _known_versions.add(rule.version)


def forget_known_versions() -> None:
    """For tests that empty the tables."""
    _known_versions.clear()


async def _check_participant(participant: str | None) -> None:
    if participant is None:
        return
    if not has_prefix(participant, "par") or not await Participant.exists().where(
        Participant.public_id == participant
    ):
        raise NotFound("participant", "participant")


def _amount_minor(rule: Rule, outputs: dict[str, Any]) -> int | None:
    for output in rule.outputs:
        if output.name == "amount" and output.type.kind is Kind.MONEY:
            from app.core.money import to_minor

            return to_minor(outputs["amount"], rule.currency)
    return None


def _row(
    rule: Rule, decided: Decided, actor: Actor, participant: str | None, batch: str | None
) -> dict[str, Any]:
    public_id = new_id("dec")
    sealed = get_vault().seal(
        {"inputs": decided.inputs, "explanation": decided.explanation}, _sealing_context(public_id)
    )
    return {
        "public_id": public_id,
        "programme": rule.id,
        "version": rule.version,
        "as_of": decided.as_of,
        "eligible": decided.eligible,
        "amount_minor": _amount_minor(rule, decided.outputs),
        "currency": rule.currency,
        "outputs": decided.outputs,
        "failed": decided.failed,
        "members": decided.members or [],
        "sealed": sealed,
        "participant": participant,
        "batch": batch,
        "created_by": actor.public_id,
    }


_COLUMNS = (
    "public_id",
    "programme",
    "version",
    "as_of",
    "eligible",
    "amount_minor",
    "currency",
    "outputs",
    "failed",
    "members",
    "sealed",
    "participant",
    "batch",
    "created_by",
    "created_at",
)


async def _insert(rows: list[dict[str, Any]]) -> None:
    import json

    from app.core.db import utcnow

    sql = Sql()
    now = utcnow()
    records = []
    for row in rows:
        record = {
            **row,
            "outputs": json.dumps(row["outputs"]),
            "failed": json.dumps(row["failed"]),
            "members": json.dumps(row["members"]),
            "created_at": now,
        }
        records.append(tuple(record[c] for c in _COLUMNS))
    await sql.insert_many("eligibility_decision", _COLUMNS, records)


def decide(programme: str, raw_input: dict[str, Any], as_of: dt.date | None) -> tuple[Compiled, Decided]:
    """Evaluate without storing (pure, no database)."""
    compiled = catalogue().current(programme)
    inputs = parse_case(compiled.rule, raw_input)
    return compiled, compiled.single.decide(inputs, as_of or today())


async def evaluate(
    actor: Actor,
    programme: str,
    raw_input: dict[str, Any],
    as_of: dt.date | None = None,
    participant: str | None = None,
    store: bool = True,
) -> dict[str, Any]:
    compiled, decided = decide(programme, raw_input, as_of)
    view = {
        "id": None,
        "members": None,
        **decided.to_dict(),
        "inputs": decided.inputs,
        "participant": participant,
    }
    if not store:
        return view
    await _check_participant(participant)  # participants are never deleted, so no lock is needed
    await remember_version(compiled.rule)
    row = _row(compiled.rule, decided, actor, participant, None)
    # One INSERT is atomic on its own: no explicit transaction, two round trips fewer per decision.
    await Decision.insert(Decision(**row))
    view["id"] = row["public_id"]
    return view


async def evaluate_batch(
    actor: Actor,
    programme: str,
    cases: list[dict[str, Any]],
    as_of: dt.date | None = None,
    store: bool = False,
) -> dict[str, Any]:
    """Many cases: good ones decided (and stored in one transaction when asked), bad ones listed by index."""
    if len(cases) > MAX_BATCH:
        raise ValidationFailed("batch_too_large", f"at most {MAX_BATCH} cases per request", "cases")
    compiled = catalogue().current(programme)
    when = as_of or today()
    decided: list[tuple[int, Decided]] = []
    errors: list[dict[str, Any]] = []
    for index, raw in enumerate(cases):
        try:
            inputs = parse_case(compiled.rule, raw, param=f"cases[{index}]")
        except ValidationFailed as exc:
            problems = exc.details or []
            errors.extend(
                {"index": index, "param": d.param, "code": d.code, "message": d.message} for d in problems
            )
            continue
        decided.append((index, compiled.single.decide(inputs, when)))
    batch_id = new_id("dbt") if store and decided else None
    ids: dict[int, str] = {}
    if batch_id is not None:
        async with write_transaction():
            await remember_version(compiled.rule)
            rows = [_row(compiled.rule, d, actor, None, batch_id) for _, d in decided]
            await _insert(rows)
            await audit.record(
                actor,
                "eligibility.batch_decided",
                "decision_batch",
                batch_id,
                after={"programme": programme, "decisions": len(rows)},
            )
        ids = {index: row["public_id"] for (index, _), row in zip(decided, rows, strict=True)}
    results = [{"index": i, "id": ids.get(i), **d.to_dict()} for i, d in decided]
    return {
        "batch": batch_id,
        "decided": len(decided),
        "rejected": len({e["index"] for e in errors}),
        "results": results,
        "errors": errors,
    }


async def get_decision(decision_id: str, rerun: bool = False) -> dict[str, Any]:
    rows = (
        await Decision.select().where(Decision.public_id == decision_id).first()
        if has_prefix(decision_id, "dec")
        else None
    )
    if rows is None:
        raise NotFound("decision")
    opened = get_vault().open(rows["sealed"], _sealing_context(decision_id))
    view = {
        "id": decision_id,
        "programme": rows["programme"],
        "version": rows["version"],
        "as_of": rows["as_of"].isoformat(),
        "eligible": rows["eligible"],
        "outputs": _json(rows["outputs"]),
        "failed": _json(rows["failed"]),
        "members": _json(rows["members"]) or None,
        "inputs": opened["inputs"],
        "explanation": opened["explanation"],
        "participant": rows["participant"],
        "batch": rows["batch"],
        "created_by": rows["created_by"],
        "created_at": rows["created_at"].isoformat(),
    }
    if rerun:
        view["rerun"] = await _rerun(view)
    return view


async def decisions_of(participant: str, limit: int = 50) -> list[dict[str, Any]]:
    """A participant's decisions, newest first, without their sealed inputs and explanation."""
    rows = (
        await Decision.select(
            Decision.public_id,
            Decision.programme,
            Decision.as_of,
            Decision.eligible,
            Decision.outputs,
            Decision.failed,
            Decision.created_at,
        )
        .where(Decision.participant == participant)
        .order_by(Decision.id, ascending=False)
        .limit(limit)
    )
    return [
        {
            "id": r["public_id"],
            "programme": r["programme"],
            "as_of": r["as_of"],
            "eligible": r["eligible"],
            "outputs": _json(r["outputs"]),
            "failed": _json(r["failed"]),
            "created_at": r["created_at"],
        }
        for r in rows
    ]


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) else value


async def rule_for_version(version: str) -> Compiled:
    compiled = catalogue().version(version)
    if compiled is not None:
        return compiled
    stored = await RuleVersion.select().where(RuleVersion.version == version).first()
    if stored is None:
        raise NotFound("rule version", "version")
    compiled = catalogue().version(version, stored["source"], stored["file_name"])
    assert compiled is not None
    return compiled


async def _rerun(view: dict[str, Any]) -> dict[str, Any]:
    """Decide again with the same rule version, date and inputs; say whether the result is the same."""
    compiled = await rule_for_version(view["version"])
    inputs = parse_case(compiled.rule, view["inputs"])
    again = compiled.single.decide(inputs, dt.date.fromisoformat(view["as_of"]))
    same = (
        again.eligible == view["eligible"]
        and again.outputs == view["outputs"]
        and again.failed == view["failed"]
        and again.members == view["members"]
        and again.explanation == view["explanation"]
    )
    rerun = {"reproduced": same, "eligible": again.eligible, "outputs": again.outputs, "failed": again.failed}
    if again.members is not None:
        rerun["members"] = again.members
    return rerun


async def list_versions() -> dict[str, list[dict[str, Any]]]:
    rows = await RuleVersion.select(
        RuleVersion.programme, RuleVersion.version, RuleVersion.first_used_at
    ).order_by(RuleVersion.first_used_at)
    versions: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        versions.setdefault(row["programme"], []).append(
            {"version": row["version"], "first_used_at": row["first_used_at"].isoformat()}
        )
    return versions


def decide_caseload(programme: str, frame: pd.DataFrame, as_of: dt.date, overrides: list[str] | None = None):
    """A caseload through the vectorised evaluator (no storage): for `grants rules batch` and `simulate`."""
    from app.eligibility.dates import day_number
    from app.eligibility.parameters import apply_overrides, resolve

    compiled = catalogue().current(programme)
    resolved = resolve(compiled.rule, day_number(as_of))
    if overrides:
        resolved = apply_overrides(compiled.rule, resolved, overrides)
    return compiled, compiled.caseload.decide(frame, as_of, resolved, as_text=False)


def total_amount_text(rule: Rule, minor: int) -> str:
    from app.core.money import exponent

    return money_text(minor, exponent(rule.currency))


async def decisions_to_issue(decision_ids: list[str]) -> dict[str, dict[str, Any]]:
    """What issuing vouchers needs of stored decisions, by id, in the caller's transaction: programme,
    eligible, participant, currency, outputs and members (JSON text or values, as the engine returns
    them). One join: a batch issues from hundreds of thousands of decisions."""
    sql = Sql()  # raw: the ORM's row handling cost 40 µs a decision, most of a batch's reading time
    rows = await sql.fetch(
        "SELECT d.public_id, d.programme, d.eligible, d.participant, d.currency, d.outputs, d.members "
        f"FROM eligibility_decision d {sql.join_any(1, 'text', 'k')} ON d.public_id = k.value",
        sorted(set(decision_ids)),
    )
    return {row["public_id"]: row for row in rows}
