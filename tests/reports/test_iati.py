"""IATI 2.03 activity XML: valid against the official IATI 2.03 activity schema (vendored in
tests/reports/iati-2.03/, see SOURCE.md there), and its figures tie to the ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import xmlschema
from click.testing import CliRunner
from lxml import etree

from app.cli import main
from app.core.money import to_minor
from app.ledger.queries import budget_position
from app.reports.iati import activities_xml
from app.reports.service import build_report
from tests.reports import world
from tests.support import run

OFFICIAL = Path(__file__).with_name("iati-2.03") / "iati-activities-schema.xsd"
AS_OF = dt.date(2026, 11, 30)


@pytest.fixture
def ledger_world():
    run(world.build_ledger())
    run(world.build_caseload())


def _xml(**kwargs) -> bytes:
    return activities_xml(run(build_report(AS_OF, **kwargs)), "XM-DAC-00-GRANTS", "Grants administration")


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(OFFICIAL)  # with iati-common.xsd and xml.xsd beside it


def test_the_file_is_valid_and_each_activity_ties_to_the_ledger(ledger_world, schema):
    document = _xml()
    schema.validate(document.decode())
    root = etree.fromstring(document)
    assert root.get("version") == "2.03"
    positions = {f"XM-DAC-00-GRANTS-{p.fund}-{p.programme}": p for p in run(budget_position(AS_OF))}
    activities = root.findall("iati-activity")
    assert {a.findtext("iati-identifier") for a in activities} == set(positions)
    for activity in activities:
        p = positions[activity.findtext("iati-identifier")]
        currency = activity.get("default-currency")
        assert currency == p.currency

        def total(code: str, activity=activity, currency=currency) -> int:
            return sum(
                to_minor(Decimal(t.findtext("value")), currency)
                for t in activity.findall("transaction")
                if t.find("transaction-type").get("code") == code
            )

        assert total("1") == p.budget  # incoming funds
        assert total("4") == p.expended  # expenditure
        assert total("3") == p.paid  # disbursement: settled payments
        assert total("2") == p.committed + p.expended  # commitments made, net of releases
        assert to_minor(Decimal(activity.findtext("budget/value")), currency) == p.budget


def test_a_value_that_breaks_the_schema_is_caught(ledger_world, schema):
    """The schema check can fail: our own valid file with one transaction's date taken out is refused."""
    root = etree.fromstring(_xml())
    date = root.find("iati-activity/transaction/transaction-date")
    date.getparent().remove(date)
    with pytest.raises(xmlschema.XMLSchemaValidationError, match="transaction"):
        schema.validate(etree.tostring(root).decode())


def test_the_command_line_writes_the_file(ledger_world, tmp_path):
    out = tmp_path / "activities.xml"
    result = CliRunner().invoke(
        main, ["reports", "iati", "--out", str(out), "--as-of", AS_OF.isoformat(), "--fund", "UNDP"]
    )
    assert result.exit_code == 0, result.output
    root = etree.parse(str(out)).getroot()
    assert [a.findtext("iati-identifier") for a in root] == ["XM-EXAMPLE-GRANTS-UNDP-CASH"]
