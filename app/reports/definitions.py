"""What each column of the budget workbook means: written once, shown in the Notes sheet and the docs."""

from __future__ import annotations

NOTES_INTRO = (
    "Every amount comes from the ledger's budgetary accounts, summed by fund x programme x month x stage "
    "into the Ledger sheet; the Summary and By month figures are SUMIFS formulas over it, so they follow "
    "any edit. Amounts are in the fund's currency."
)

SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Fund", "Where the money comes from (a donor's grant, an appropriation)."),
    ("Programme", "What the money is for."),
    ("Currency", "The fund's currency: every amount of the row is in it."),
    ("Budget\noriginal", "The budget loaded in the first month the fund x programme had any budget."),
    ("Budget\nrevised", "All budget loaded up to the as-of date (appropriation, account 8100)."),
    ("Committed", "Open commitments: vouchers issued and agreements signed, not yet claimed (8300)."),
    ("Expended", "Claims approved, paid or not (8400 + 8500)."),
    ("Paid", "Of the expended, what has settled (8500); a payment in transit is not yet paid."),
    ("Recoveries\npending", "Overpayments found and still to be recovered (8600)."),
    ("Available", "Budget neither committed, expended nor awaiting recovery (8200)."),
    ("% spent", "Expended / revised budget."),
    ("Months", "Months from the first month with any movement to the as-of month, inclusive."),
    ("Monthly burn", "Expended / months: the average spent a month so far."),
    (
        "Months until\nbudget runs out",
        "(Revised budget - expended - recoveries pending) / monthly burn; empty when nothing has been spent.",
    ),
    (
        "Forecast at\ncompletion",
        "Expended + committed: what will have been spent once every open "
        "commitment is claimed, with no new commitments.",
    ),
    ("Variance at\ncompletion", "Revised budget - forecast at completion (negative: over budget)."),
)

LEDGER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Fund", "Fund code."),
    ("Programme", "Programme code."),
    ("Currency", "The fund's currency."),
    ("Month", "The month of the postings' effective dates."),
    (
        "Stage",
        "budget, budget_original, available, committed, expended, paid, recoveries_pending or "
        "recovered: see docs/reports.md.",
    ),
    (
        "Amount",
        "The stage's movement in the month (the sum of a stage's rows up to a month is its "
        "balance at that month's end); recovered is the amount recovered in the month.",
    ),
)
