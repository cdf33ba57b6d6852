"""`grants reports …`: the budget workbook and the CSV of each of its sheets."""

from __future__ import annotations

from app.cli.common import click, console, friendly_errors, parse_date, run

_K_HELP = "Counts below k are suppressed in the Participants sheet (at least 2)."


@click.group()
def reports() -> None:
    """Budget reports: workbook (xlsx) and CSV exports, from the ledger as of a date."""


def _build(as_of: str | None, fund: str | None, k: int):
    from app.reports.service import build_report

    day = parse_date(as_of, "--as-of") if as_of else None
    return run(build_report(day, fund, k))


@reports.command("budget")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, writable=True), help="The .xlsx to write."
)
@click.option("--as-of", default=None, help="YYYY-MM-DD; default today.")
@click.option("--fund", default=None, help="Only this fund (code).")
@click.option("--k", default=5, show_default=True, type=int, help=_K_HELP)
@friendly_errors
def reports_budget(out: str, as_of: str | None, fund: str | None, k: int) -> None:
    """Write the budget workbook: Summary, By month, Pooled fund, Participants, Ledger, Notes."""
    from app.reports.workbook import write_workbook

    with console.status("Building the report…"):
        report = _build(as_of, fund, k)
        write_workbook(report, out)
    console.print(f"Wrote {out}: {len(report.positions)} fund x programme rows as of {report.as_of}")


@reports.command("csv")
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, writable=True), help="Directory to write."
)
@click.option("--as-of", default=None, help="YYYY-MM-DD; default today.")
@click.option("--fund", default=None, help="Only this fund (code).")
@click.option("--k", default=5, show_default=True, type=int, help=_K_HELP)
@friendly_errors
def reports_csv(out: str, as_of: str | None, fund: str | None, k: int) -> None:
    """Write one CSV per sheet (summary, by_month, pooled_fund, participants, ledger) into a directory."""
    from pathlib import Path

    from app.reports.sheets import SHEETS, render_csv

    report = _build(as_of, fund, k)
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    for name, make in SHEETS.items():
        (directory / f"{name}.csv").write_text(render_csv(make(report)), encoding="utf-8")
    console.print(f"Wrote {len(SHEETS)} CSV files to {out}")


@reports.command("iati")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, writable=True), help="The XML to write."
)
@click.option("--as-of", default=None, help="YYYY-MM-DD; default today.")
@click.option("--fund", default=None, help="Only this fund (code).")
@click.option(
    "--publisher",
    default="XM-EXAMPLE-GRANTS",
    show_default=True,
    help="The reporting organisation's IATI id.",
)
@click.option("--publisher-name", default="Grants administration", show_default=True)
@friendly_errors
def reports_iati(
    out: str, as_of: str | None, fund: str | None, publisher: str | None, publisher_name: str | None
) -> None:
    """Write IATI 2.03 activity XML: an activity per fund x programme, its budget, monthly transactions."""
    from pathlib import Path

    from app.reports import iati

    report = _build(as_of, fund, 5)
    default_id, default_name = iati.publisher()
    Path(out).write_bytes(
        iati.activities_xml(report, publisher or default_id, publisher_name or default_name)
    )
    console.print(f"Wrote {out}: {len(report.positions)} activities as of {report.as_of}")
