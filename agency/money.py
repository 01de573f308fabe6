"""Money helpers: integer minor units, one exponent table, one rounding, one allocation.

Amounts are integers in the currency's minor unit (cents for USD, yen for JPY, fils for KWD)
and always travel with their ISO 4217 currency code.
"""

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

# ISO 4217 minor-unit exponents for the currencies the product accepts.
CURRENCY_EXPONENTS: dict[str, int] = {
    "AED": 2, "AUD": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CNY": 2, "CZK": 2, "DKK": 2,
    "EUR": 2, "GBP": 2, "HKD": 2, "IDR": 2, "INR": 2, "JPY": 0, "KRW": 0, "KWD": 3,
    "MXN": 2, "MYR": 2, "NOK": 2, "NZD": 2, "PHP": 2, "PLN": 2, "SAR": 2, "SEK": 2,
    "SGD": 2, "THB": 2, "TRY": 2, "TWD": 2, "USD": 2, "VND": 0, "ZAR": 2,
}  # fmt: skip
CURRENCY_CHOICES = [(code, code) for code in sorted(CURRENCY_EXPONENTS)]


class UnknownCurrency(ValueError):
    pass


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise UnknownCurrency(f"Unknown or unsupported currency {currency!r}.") from None


def to_minor(amount: Decimal | str | int, currency: str) -> int:
    """A decimal amount in major units to integer minor units. Refuses sub-minor precision."""
    value = Decimal(amount)
    minor = value.scaleb(exponent(currency))
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows.")
    return int(minor)


def to_major(amount_minor: int, currency: str) -> Decimal:
    """Integer minor units to a Decimal in major units with the currency's exponent."""
    exp = exponent(currency)
    return Decimal(amount_minor).scaleb(-exp).quantize(Decimal(1).scaleb(-exp))


def money_text(amount_minor: int | None, currency: str) -> str:
    """Minor units shown to people: major units with the currency ("1234.50 USD")."""
    return f"{to_major(amount_minor or 0, currency)} {currency}"


def round_minor(value: Decimal | Fraction) -> int:
    """The one place a fractional minor-unit amount becomes an integer: half to even."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def allocate(total: int, weights: Sequence[int | Decimal | Fraction]) -> list[int]:
    """Split ``total`` minor units by ``weights`` with the largest-remainder rule.

    Guarantees: the parts sum to ``total`` exactly; each part is within one minor unit of
    its exact share ``total * w / sum(w)``; the result is deterministic.

    Tie order: every part first gets the floor of its exact share; the units left over go
    one each to the parts with the largest fractional remainder, and among equal remainders
    to the part that comes first in ``weights``. A negative total is allocated as the
    negation of the allocation of its absolute value, so a reversal mirrors its original.
    """
    if not weights:
        raise ValueError("allocate() needs at least one weight.")
    exact_weights = [Fraction(w) for w in weights]
    if any(w < 0 for w in exact_weights):
        raise ValueError("Weights must not be negative.")
    weight_sum = sum(exact_weights)
    if weight_sum == 0:
        raise ValueError("Weights must not all be zero.")
    if total < 0:
        return [-part for part in allocate(-total, weights)]

    shares = [total * w / weight_sum for w in exact_weights]
    parts = [s.numerator // s.denominator for s in shares]
    leftover = total - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in by_remainder[:leftover]:
        parts[i] += 1
    return parts
