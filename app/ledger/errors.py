"""Every way the ledger can refuse, by name (after TigerBeetle's result codes)."""

from __future__ import annotations

from enum import StrEnum

from app.core.errors import GrantsError


class Refusal(StrEnum):
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    ZERO_AMOUNT = "zero_amount"
    TOO_FEW_POSTINGS = "too_few_postings"
    TOO_MANY_POSTINGS = "too_many_postings"
    UNBALANCED = "unbalanced_entry"
    UNKNOWN_ACCOUNT = "unknown_account"
    UNKNOWN_FUND = "unknown_fund"
    UNKNOWN_PROGRAMME = "unknown_programme"
    CURRENCY_MISMATCH = "currency_mismatch"
    PARTY_REQUIRED = "party_mismatch"
    INSUFFICIENT_AVAILABLE_BUDGET = "insufficient_available_budget"
    BALANCE_WOULD_GO_NEGATIVE = "balance_would_go_negative"
    BALANCE_OUT_OF_RANGE = "balance_out_of_range"
    PERIOD_CLOSED = "period_closed"
    PERIOD_ALREADY_CLOSED = "period_already_closed"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    UNKNOWN_ENTRY = "unknown_entry"
    ALREADY_REVERSED = "already_reversed"
    CANNOT_REVERSE_REVERSAL = "cannot_reverse_a_reversal"
    DUPLICATE_CODE = "duplicate_code"


_CONFLICTS = {Refusal.IDEMPOTENCY_KEY_REUSED, Refusal.ALREADY_REVERSED, Refusal.DUPLICATE_CODE}


class LedgerRefusal(GrantsError):
    """A refusal with a named code; `index` says which entry of a batch was refused."""

    status_code = 422
    error_type = "ledger_error"

    def __init__(
        self, code: Refusal, message: str, param: str | None = None, index: int | None = None
    ) -> None:
        extra = {"index": index} if index is not None else None
        super().__init__(code.value, message, param, extra=extra)
        self.status_code = 409 if code in _CONFLICTS else 422
        self.refusal = code
        self.index = index

    def at(self, index: int) -> LedgerRefusal:
        """The same refusal, saying which entry of a batch it concerns."""
        return LedgerRefusal(self.refusal, f"entry {index}: {self.message}", self.param, index)
