"""Exchange rates: which rate applies, and the one place an FX conversion is rounded.

Rule: an amount is converted at the rate of the event's date, i.e. the latest published
rate for the pair on or before that date, if it is at most ``BILLING_FX_MAX_AGE_DAYS`` old
(weekends and holidays have no fixing). No such rate is a ``MissingExchangeRate`` error,
never a silent 1.0. When only the opposite pair is stored its inverse is used, rounded to
10 decimal places; the rate actually used is returned so the caller stores it on the line.
"""

import datetime as dt
from bisect import bisect_left
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from django.conf import settings

from agency.errors import ApplicationError
from agency.money import exponent, round_minor
from billing.models import ExchangeRate

RATE_PLACES = Decimal("0.0000000001")
_ONE = Decimal(1)


class MissingExchangeRate(ApplicationError):
    code = "missing_exchange_rate"


def max_age_days() -> int:
    return settings.BILLING_FX_MAX_AGE_DAYS


def _pick(
    rows: list[tuple[dt.date, str, Decimal]], *, base: str, quote: str, on: dt.date
) -> Decimal:
    """The rate from ``rows``: the pair's rates inside the age window, newest first, then by
    base (at most two rows: the pair and its inverse on the latest date)."""
    latest = [row for row in rows if row[0] == rows[0][0]] if rows else []
    for _, row_base, rate in latest:
        if row_base == base:
            return rate
    if latest:
        return (Decimal(1) / latest[0][2]).quantize(RATE_PLACES)
    raise MissingExchangeRate(
        f"No {base}/{quote} exchange rate on or up to {max_age_days()} days before {on}.",
        extra={"base": base, "quote": quote, "date": on.isoformat()},
    )


def rate_for(*, base: str, quote: str, on: dt.date) -> Decimal:
    """The rate converting one ``base`` into ``quote`` for the date ``on``."""
    if base == quote:
        return Decimal(1)
    oldest = on - dt.timedelta(days=max_age_days())
    rows = list(
        ExchangeRate.objects.filter(
            base__in=[base, quote], quote__in=[base, quote], valid_on__lte=on, valid_on__gte=oldest
        )
        .order_by("-valid_on", "base")
        .values_list("valid_on", "base", "rate")[:2]
    )
    return _pick(rows, base=base, quote=quote, on=on)


class RateBook:
    """Every rate a batch may need, read with one query; ``rate_for`` answers exactly as the
    module's ``rate_for`` would for any date in ``[first, last]``."""

    def __init__(self, *, currencies: set[str], first: dt.date, last: dt.date):
        oldest = first - dt.timedelta(days=max_age_days())
        self._pairs: dict[frozenset, list[tuple[dt.date, str, Decimal]]] = {}
        rows = (
            ExchangeRate.objects.filter(
                base__in=currencies, quote__in=currencies, valid_on__lte=last, valid_on__gte=oldest
            )
            .order_by("-valid_on", "base")
            .values_list("valid_on", "base", "quote", "rate")
        )
        for valid_on, base, quote, rate in rows:
            self._pairs.setdefault(frozenset((base, quote)), []).append((valid_on, base, rate))
        # per pair, -date of each row (ascending, as the rows are newest first) to bisect
        self._keys = {pair: [-r[0].toordinal() for r in rs] for pair, rs in self._pairs.items()}
        self._memo: dict[tuple[str, str, dt.date], Decimal] = {}

    def rate_for(self, *, base: str, quote: str, on: dt.date) -> Decimal:
        if base == quote:
            return _ONE
        key = (base, quote, on)
        if key not in self._memo:
            oldest = on - dt.timedelta(days=max_age_days())
            pair = frozenset((base, quote))
            rows = self._pairs.get(pair, [])
            first = bisect_left(self._keys.get(pair, []), -on.toordinal())  # newest <= on
            window = [row for row in rows[first : first + 2] if row[0] >= oldest]
            self._memo[key] = _pick(window, base=base, quote=quote, on=on)
        return self._memo[key]


def convert_minor(amount_minor: int, *, base: str, quote: str, rate: Decimal) -> int:
    """Convert minor units of ``base`` to minor units of ``quote``; rounded once, half-even.

    The exact product is ``amount * num / den`` (``_scaled_rate``); when it has at most 28
    significant digits, ``round_minor``'s decimal division is exact, so rounding the integer
    quotient half-even gives the same unit; longer products go through ``round_minor``."""
    if base == quote:
        return amount_minor
    num, den, limit = _scaled_rate(rate, exponent(quote) - exponent(base))
    quotient, rest = divmod(abs(amount_minor) * num, den)
    if quotient >= limit:
        return round_minor(Fraction(amount_minor * num, den))
    if rest * 2 > den or (rest * 2 == den and quotient % 2):
        quotient += 1
    return quotient if amount_minor >= 0 else -quotient


@lru_cache(maxsize=4096)
def _scaled_rate(rate: Decimal, shift: int) -> tuple[int, int, int]:
    """``rate * 10**shift`` as ``num / den`` in lowest terms, and the quotient below which a
    product ``amount * num / den`` has at most 28 significant digits (``den`` divides a power
    of ten with ``places`` digits, so the product has ``places`` decimals at most)."""
    num, den = (Fraction(rate) * Fraction(10) ** shift).as_integer_ratio()
    for places in range(29):
        if 10**places % den == 0:
            return num, den, 10 ** (28 - places)
    return num, den, 0  # every product goes through ``round_minor``
