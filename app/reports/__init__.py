"""Budget reports: the fact table, the budget workbook, CSV and IATI exports, small-cell suppression."""
