"""Money helpers: integer minor units, one exponent table, one rounding, one allocation.

Amounts are integers in the currency's minor unit (cents for USD, yen for JPY, fils for KWD)
and always travel with their ISO 4217 currency code.
"""

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from math import lcm

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
    if total < 0:
        return [-part for part in allocate(-total, weights)]
    # Integers over one common denominator: weight i is scaled[i] / den, so its exact share
    # total * scaled[i] / sum(scaled) has floor and remainder by integer division, and the
    # remainders compare as integers over that one divisor (same order as the fractions).
    ratios = [
        (w, 1) if isinstance(w, int) else w.as_integer_ratio()  # Decimal, Fraction: exact
        for w in weights
    ]
    den = lcm(*(d for _, d in ratios))
    scaled = [n * (den // d) for n, d in ratios]
    if any(w < 0 for w in scaled):
        raise ValueError("Weights must not be negative.")
    weight_sum = sum(scaled)
    if weight_sum == 0:
        raise ValueError("Weights must not all be zero.")
    split = [divmod(total * w, weight_sum) for w in scaled]
    parts = [q for q, _ in split]
    leftover = total - sum(parts)
    if leftover:
        by_remainder = sorted(range(len(split)), key=lambda i: (-split[i][1], i))
        for i in by_remainder[:leftover]:
            parts[i] += 1
    return parts


def format_money(amount_minor: int | None, currency: str) -> str:
    """How people read an amount: ``USD 1,234.57``, ``JPY 120,000``, ``KWD 1.250``,
    ``USD -5.00``; an unknown amount is an em dash. The one display helper for money."""
    if amount_minor is None:
        return "—"
    return f"{currency} {to_major(amount_minor, currency):,}"


def parse_major(text: str, currency: str) -> int:
    """What a person typed, in major units (``1,234.57``, ``120000``, ``-5``), to minor units.

    Commas or spaces may group thousands; a currency code before or after is allowed if it is
    ``currency``. More decimals than the currency has is refused, never rounded."""
    cleaned = text.strip().upper()
    for code in (cleaned[:3], cleaned[-3:]):
        if code.isalpha():
            if code != currency:
                raise ValueError(f"Enter the amount in {currency}.")
            cleaned = cleaned.removeprefix(code).removesuffix(code).strip()
    if not _MAJOR.fullmatch(cleaned):
        raise ValueError("Enter an amount such as 1,234.56.")
    value = Decimal(cleaned.replace(",", "").replace(" ", ""))
    places = exponent(currency)
    if -value.as_tuple().exponent > places:
        allowed = f"{places} decimal{'s' if places != 1 else ''}" if places else "no decimals"
        raise ValueError(f"{currency} amounts have {allowed}.")
    return to_minor(value, currency)


_MAJOR = re.compile(r"-?(\d{1,3}([, ]\d{3})+|\d+)(\.\d+)?")


def format_rate(rate: Decimal | Fraction | str | None) -> str:
    """A rate stored as a fraction of one (``0.200000``, ``Fraction(228, 2500)``) as people
    read it: ``20 %``, ``9.12 %``; up to four decimals of a percent, trailing zeros dropped."""
    if rate is None or rate == "":
        return "—"
    exact = Fraction(str(rate)) if not isinstance(rate, Fraction) else rate
    percent = (Decimal(exact.numerator) * 100 / Decimal(exact.denominator)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_EVEN
    )
    text = f"{percent:f}".rstrip("0").rstrip(".") if "." in f"{percent:f}" else f"{percent:f}"
    return f"{text} %"
