"""Open exceptions exported to xlsx and decisions imported back: a dry run shows each row's effect and
changes nothing; a bad row is named (row and column) and nothing is resolved; a real import resolves what
needs no second person and proposes the rest."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from app.core.errors import ValidationFailed
from app.reconciliation import queries, service, workbook
from tests.disbursements.world import FINANCE
from tests.reconciliation.statements import camt053
from tests.reconciliation.world import paid_run, returned, statement_for
from tests.support import row_counts, run


def _fill(data: bytes, decisions: dict[str, tuple[str, str, str]]) -> bytes:
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value in decisions:
            for name, value in zip(("resolution", "reason", "params"), decisions[row[0].value], strict=True):
                row[header.index(name)].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_export_then_import_decisions_with_a_dry_run(tmp_path):
    _, payments = paid_run(tmp_path, payees=3)
    e2e, amount, _ = payments[0]
    statement = statement_for(payments, **{payments[1][0]: payments[1][1] + 1})
    statement.entries.append(returned(e2e, amount))
    run(service.import_statement(FINANCE, camt053(statement)))
    exported = run(workbook.export_open(FINANCE))
    rows = list(load_workbook(io.BytesIO(exported)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("id", "kind") and sorted(r[1] for r in rows[1:]) == ["amount_mismatch", "return"]
    by_kind = {r[1]: r[0] for r in rows[1:]}

    bad = _fill(
        exported, {by_kind["return"]: ("shrug", "x", ""), by_kind["amount_mismatch"]: ("accepted", "", "")}
    )
    before = run(row_counts())
    with pytest.raises(ValidationFailed) as info:
        run(workbook.import_decisions(FINANCE, bad, dry_run=False))
    line = {r[1]: n for n, r in enumerate(rows[1:], start=2)}
    assert sorted(d.param for d in info.value.details) == sorted(
        [f"row {line['return']}, resolution", f"row {line['amount_mismatch']}, reason"]
    )
    assert run(row_counts()) == before

    good = _fill(exported, {
        by_kind["return"]: ("reissued", "new IBAN confirmed", ""),
        by_kind["amount_mismatch"]: ("fixed_by_booking", "bank fee", json.dumps({"cash_minor": -1})),
    })  # fmt: skip
    dry = run(workbook.import_decisions(FINANCE, good, dry_run=True))
    assert dry["decisions"] == 2 and all(c["needs_second_person"] for c in dry["changes"])
    assert run(row_counts()) == before
    done = run(workbook.import_decisions(FINANCE, good, dry_run=False))
    assert done["decisions"] == 2
    pending = run(queries.list_exceptions(FINANCE, state="pending_resolution"))["data"]
    assert len(pending) == 2
