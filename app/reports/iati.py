"""IATI 2.03 activity XML for donors: one activity per fund x programme, with its budget and its
transactions by month, all from the fact table.

Transaction types (IATI TransactionType codelist): incoming funds (1) = budget loaded in the month;
commitment (2) = new commitments in the month (the change in open commitments plus what they turned into
expenditure); expenditure (4) = claims approved in the month; disbursement (3) = payments settled in the
month. Amounts are in the fund's currency, in major units; zero months are left out.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict

from lxml import etree

from app.core.money import format_minor
from app.reports.facts import Fact, month_of
from app.reports.service import Report

INCOMING_FUNDS, COMMITMENT, DISBURSEMENT, EXPENDITURE = "1", "2", "3", "4"
ACTIVITY_STATUS_IMPLEMENTATION = "2"
ACTUAL_START = "2"
BUDGET_ORIGINAL, BUDGET_REVISED = "1", "2"
BUDGET_COMMITTED = "2"  # BudgetStatus: committed (binding)
ORG_GOVERNMENT = "10"
ROLE_FUNDING, ROLE_IMPLEMENTING = "1", "4"


DEFAULT_PUBLISHER = ("XM-EXAMPLE-GRANTS", "Grants administration")


def publisher() -> tuple[str, str]:
    """The reporting organisation's IATI identifier and name (GRANTS_IATI_PUBLISHER, _PUBLISHER_NAME)."""
    return (
        os.environ.get("GRANTS_IATI_PUBLISHER", DEFAULT_PUBLISHER[0]),
        os.environ.get("GRANTS_IATI_PUBLISHER_NAME", DEFAULT_PUBLISHER[1]),
    )


def _month_end(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attributes.items()})
    if text is not None:
        element.text = text
    return element


def _narrative(parent: etree._Element, tag: str, text: str, **attributes: str) -> etree._Element:
    element = _sub(parent, tag, **attributes)
    _sub(element, "narrative", text)
    return element


def _transactions(facts: list[Fact]) -> list[tuple[dt.date, str, int]]:
    by_month: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for f in facts:
        by_month[f.month][f.stage] += f.amount
    out = []
    for month, stages in sorted(by_month.items()):
        day = _month_end(month)
        amounts = {
            INCOMING_FUNDS: stages["budget"],
            COMMITMENT: stages["committed"] + stages["expended"],
            EXPENDITURE: stages["expended"],
            DISBURSEMENT: stages["paid"],
        }
        out.extend((day, code, amount) for code, amount in amounts.items() if amount != 0)
    return out


def activities_xml(report: Report, publisher: str, publisher_name: str) -> bytes:
    """The IATI activities file; `publisher` is the reporting organisation's IATI identifier prefix."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    root = etree.Element("iati-activities", {"version": "2.03", "generated-datetime": now})
    for position in report.positions:
        facts = [f for f in report.facts if (f.fund, f.programme) == (position.fund, position.programme)]
        _activity(root, report, position, facts, publisher, publisher_name, now)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _activity(root, report, position, facts, publisher, publisher_name, now) -> None:
    currency = position.currency
    activity = _sub(root, "iati-activity", last_updated_datetime=now, default_currency=currency)
    activity.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    _sub(activity, "iati-identifier", f"{publisher}-{position.fund}-{position.programme}")
    _narrative(activity, "reporting-org", publisher_name, ref=publisher, type=ORG_GOVERNMENT)
    _narrative(activity, "title", f"{position.programme} funded by {position.fund}")
    _narrative(
        activity, "description", f"Programme {position.programme}, fund {position.fund}, as of {report.as_of}"
    )
    _narrative(activity, "participating-org", position.fund, role=ROLE_FUNDING)
    _narrative(activity, "participating-org", publisher_name, ref=publisher, role=ROLE_IMPLEMENTING)
    _sub(activity, "activity-status", code=ACTIVITY_STATUS_IMPLEMENTATION)
    first = min(f.month for f in facts)
    _sub(activity, "activity-date", iso_date=first.isoformat(), type=ACTUAL_START)
    original = position.stages["budget_original"] == position.stages["budget"]
    budget = _sub(
        activity, "budget", type=BUDGET_ORIGINAL if original else BUDGET_REVISED, status=BUDGET_COMMITTED
    )
    _sub(budget, "period-start", iso_date=first.isoformat())
    _sub(budget, "period-end", iso_date=_month_end(month_of(report.as_of)).isoformat())
    _sub(
        budget,
        "value",
        format_minor(position.stages["budget"], currency),
        currency=currency,
        value_date=first.isoformat(),
    )
    for day, code, amount in _transactions(facts):
        transaction = _sub(activity, "transaction")
        _sub(transaction, "transaction-type", code=code)
        _sub(transaction, "transaction-date", iso_date=day.isoformat())
        _sub(
            transaction,
            "value",
            format_minor(amount, currency),
            currency=currency,
            value_date=day.isoformat(),
        )
