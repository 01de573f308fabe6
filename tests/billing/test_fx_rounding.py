"""``convert_minor`` rounds in integers; it must give exactly what ``round_minor`` gives."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import example, given
from hypothesis import strategies as st

from agency.money import exponent, round_minor
from billing.fx import convert_minor

CURRENCIES = ["USD", "JPY", "KWD", "EUR"]


def _by_round_minor(amount: int, base: str, quote: str, rate: Decimal) -> int:
    scale = Fraction(10) ** (exponent(quote) - exponent(base))
    return round_minor(Fraction(amount) * Fraction(rate) * scale)


@given(
    # up to 10**18 minor units: products up to 27 digits (round_minor's limit is 28), so
    # both the integer path and its fallback for long products are exercised
    amount=st.integers(min_value=-(10**18), max_value=10**18),
    base=st.sampled_from(CURRENCIES),
    quote=st.sampled_from(CURRENCIES),
    rate=st.decimals(min_value=Decimal("0.0000000001"), max_value=10**6, places=10),
)
@example(amount=1, base="USD", quote="JPY", rate=Decimal("150"))  # 1.5 -> 2
@example(amount=3, base="USD", quote="JPY", rate=Decimal("150"))  # 4.5 -> 4
@example(amount=-3, base="USD", quote="JPY", rate=Decimal("150"))  # -4.5 -> -4
@example(amount=10**23 + 1, base="KWD", quote="JPY", rate=Decimal("123456.7890123457"))
def test_integer_conversion_equals_round_minor(amount, base, quote, rate):
    if base == quote:
        return
    assert convert_minor(amount, base=base, quote=quote, rate=rate) == _by_round_minor(
        amount, base, quote, rate
    )
