"""IATI 2.03 activity XML: valid against the schema of what we write, and its figures tie to the ledger."""

from __future__ import annotations

import datetime as dt
import os
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

SUBSET = Path(__file__).with_name("iati-subset.xsd")
AS_OF = dt.date(2026, 11, 30)


@pytest.fixture
def ledger_world():
    run(world.build_ledger())
    run(world.build_caseload())


def _xml(**kwargs) -> bytes:
    return activities_xml(run(build_report(AS_OF, **kwargs)), "XM-DAC-00-GRANTS", "Grants administration")


def _schemas() -> list[xmlschema.XMLSchema]:
    schemas = [xmlschema.XMLSchema(SUBSET)]
    official = os.environ.get("GRANTS_IATI_XSD")  # the standard's iati-activities-schema.xsd, if at hand
    if official:
        schemas.append(xmlschema.XMLSchema(official))
    return schemas


def test_the_file_is_valid_and_each_activity_ties_to_the_ledger(ledger_world):
    document = _xml()
    for schema in _schemas():
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


def test_a_value_that_breaks_the_schema_is_caught():
    """The schema check can fail: a transaction without its date is refused."""
    broken = (
        b'<iati-activities version="2.03"><iati-activity><iati-identifier>X-1</iati-identifier>'
        b'<reporting-org ref="X" type="10"/><title><narrative>t</narrative></title>'
        b"<description><narrative>d</narrative></description>"
        b'<participating-org role="1"/><activity-status code="2"/>'
        b'<activity-date iso-date="2026-01-01" type="2"/>'
        b'<transaction><transaction-type code="3"/><value value-date="2026-01-01">1.00</value></transaction>'
        b"</iati-activity></iati-activities>"
    )
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        xmlschema.XMLSchema(SUBSET).validate(broken.decode())


def test_the_command_line_writes_the_file(ledger_world, tmp_path):
    out = tmp_path / "activities.xml"
    result = CliRunner().invoke(
        main, ["reports", "iati", "--out", str(out), "--as-of", AS_OF.isoformat(), "--fund", "UNDP"]
    )
    assert result.exit_code == 0, result.output
    root = etree.parse(str(out)).getroot()
    assert [a.findtext("iati-identifier") for a in root] == ["XM-EXAMPLE-GRANTS-UNDP-CASH"]
