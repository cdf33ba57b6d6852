"""The ledger: double-entry fund accounting with a budgetary and a financial track, append-only."""
