from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agency.money import UnknownCurrency, allocate, round_minor, to_major, to_minor

weights_st = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8).filter(
    lambda ws: sum(ws) > 0
)


@given(total=st.integers(min_value=-(10**12), max_value=10**12), weights=weights_st)
def test_allocate_sums_exactly_and_each_part_is_within_one_unit(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total
    for part, w in zip(parts, weights, strict=True):
        exact = Fraction(total * w, sum(weights))
        assert abs(part - exact) < 1


@given(total=st.integers(min_value=0, max_value=10**12), weights=weights_st)
def test_allocate_is_deterministic_and_mirrors_negatives(total, weights):
    assert allocate(total, weights) == allocate(total, list(weights))
    assert allocate(-total, weights) == [-p for p in allocate(total, weights)]


@given(
    total=st.integers(min_value=0, max_value=10**9),
    rates=st.lists(st.decimals(min_value=0, max_value=1, places=6), min_size=2, max_size=5),
)
def test_allocate_accepts_decimal_rates(total, rates):
    if sum(rates) == 0:
        return
    assert sum(allocate(total, rates)) == total


def _allocate_in_fractions(total, weights):
    """The rule as first written, one Fraction per share: the reference for the integers."""
    if total < 0:
        return [-p for p in _allocate_in_fractions(-total, weights)]
    exact = [Fraction(w) for w in weights]
    shares = [total * w / sum(exact) for w in exact]
    parts = [s.numerator // s.denominator for s in shares]
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


weight_st = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.decimals(min_value=0, max_value=10**3, places=6),
    st.fractions(min_value=0, max_value=10**3, max_denominator=10**6),
)


@given(
    total=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(weight_st, min_size=1, max_size=6).filter(
        lambda ws: sum(Fraction(w) for w in ws) > 0
    ),
)
def test_allocate_in_integers_equals_the_rule_in_fractions(total, weights):
    """Same parts, same tie order, for integer, decimal and fraction weights alike."""
    assert allocate(total, weights) == _allocate_in_fractions(total, weights)


def test_tie_order_goes_to_the_first_part():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]


def test_largest_remainder_beats_order():
    # exact shares 1.5, 2.7, 5.8 -> floors 1, 2, 5 (8), two units go to .8 then .7
    assert allocate(10, [15, 27, 58]) == [1, 3, 6]


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
def test_allocate_rejects_bad_weights(weights):
    with pytest.raises(ValueError):
        allocate(10, weights)


def test_minor_units_per_currency():
    assert to_minor("12.34", "USD") == 1234
    assert to_minor("1200", "JPY") == 1200
    assert to_minor("1.234", "KWD") == 1234
    assert to_major(1234, "USD") == Decimal("12.34")
    assert to_major(5, "JPY") == Decimal("5")
    with pytest.raises(ValueError):
        to_minor("1.005", "USD")
    with pytest.raises(UnknownCurrency):
        to_minor("1", "XXX")


def test_round_minor_is_half_even():
    assert round_minor(Decimal("2.5")) == 2
    assert round_minor(Decimal("3.5")) == 4
    assert round_minor(Fraction(5, 2)) == 2
    assert round_minor(Decimal("-2.5")) == -2
