"""`grants ledger verify` and `GET /api/v1/ledger/verify`: every integrity check, in one place, so the
command and the API report the same result."""
