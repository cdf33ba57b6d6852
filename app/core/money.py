"""Money: integer minor units with a currency code; Decimal only at the edges; never float.

The rounding rule, written down once: an amount computed from rates or percentages is rounded to the
currency's minor unit, half away from zero (2.345 -> 2.35, -2.345 -> -2.35), once, at the end of the
computation that produced it. Parsing input never rounds: an amount with more decimals than the currency
has is refused.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from app.core.errors import ValidationFailed

# ISO 4217 minor-unit exponents for the currencies programmes use; others default to 2.
_EXPONENTS = {
    "JPY": 0,
    "KRW": 0,
    "XOF": 0,
    "XAF": 0,
    "UGX": 0,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "TND": 3,
    "BHD": 3,
}
# One amount is at most 10^13 minor units (100 billion in a 2-decimal currency). Bounded so no total the
# system keeps can overflow BIGINT (9.2 x 10^18): a claim or batch of 10,000 lines at the maximum sums to
# 10^17, and an account's balance is refused past MAX_BALANCE (app/ledger/posting.py).
MAX_MINOR = 10**13
MAX_BALANCE = 10**17


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency, 2)


def check_currency(code: str, param: str = "currency") -> str:
    if len(code) != 3 or not code.isascii() or not code.isalpha() or not code.isupper():
        raise ValidationFailed(
            "invalid_currency", "currency must be a 3-letter ISO 4217 code like EUR", param
        )
    return code


def to_minor(amount: Decimal | str | int, currency: str, param: str = "amount") -> int:
    """Exact conversion of a decimal amount to minor units; refuses fractions of a minor unit."""
    text = str(amount).strip()
    if not text.isascii():  # Decimal("١٢٣") is 123: amounts are written in ASCII digits only
        raise ValidationFailed("invalid_amount", f"{amount!r} is not a number in ASCII digits", param)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed("invalid_amount", f"{amount!r} is not a number", param) from None
    if not value.is_finite():
        raise ValidationFailed("invalid_amount", "amount must be a finite number", param)
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValidationFailed(
            "too_many_decimals", f"{currency} amounts have at most {exponent(currency)} decimals", param
        )
    minor = int(scaled)
    if abs(minor) > MAX_MINOR:
        raise ValidationFailed("amount_out_of_range", "amount is too large", param)
    return minor


def to_decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def format_minor(minor: int, currency: str) -> str:
    """Plain text for exports: '1234.50' (no thousands separators, a dot for decimals). Integer arithmetic:
    exports and batches format millions of amounts."""
    digits = exponent(currency)
    if digits == 0:
        return str(minor)
    whole, fraction = divmod(abs(minor), 10**digits)
    return f"{'-' if minor < 0 else ''}{whole}.{fraction:0{digits}d}"


def round_minor(amount: Decimal, currency: str) -> int:
    """The one rounding step: a computed amount (in major units) to whole minor units, half away from zero."""
    return int(amount.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
