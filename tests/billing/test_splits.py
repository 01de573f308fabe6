"""The split engine: exact, within one minor unit of each exact share, deterministic."""

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.splits import (
    Legs,
    PlanTerms,
    _split_flat,
    split_event,
    split_event_exact,
    split_refund,
)

rates = st.decimals(min_value=0, max_value=1, places=6)


@st.composite
def terms_strategy(draw):
    manager = draw(rates)
    sub = draw(st.decimals(min_value=0, max_value=1 - manager, places=6))
    n_tiers = draw(st.integers(0, 3))
    thresholds = sorted(
        draw(st.lists(st.integers(1, 10**6), min_size=n_tiers, max_size=n_tiers, unique=True))
    )
    return PlanTerms(
        agency_rate=draw(rates),
        manager_share=manager,
        sub_agency_share=sub,
        basis=draw(st.sampled_from(["gross", "net"])),
        tiers=tuple((Decimal(t), draw(rates)) for t in thresholds),
        currency="USD",
    )


@given(
    gross=st.integers(1, 10**12),
    fee_share=st.fractions(0, 1),
    terms=terms_strategy(),
    mtd=st.integers(0, 2 * 10**6),
    currency=st.sampled_from(["USD", "JPY", "KWD"]),
    to_plan=st.decimals(min_value="0.0001", max_value="20000", places=4),
)
@settings(max_examples=300, deadline=None)
def test_legs_sum_exactly_and_each_is_within_one_unit(
    gross, fee_share, terms, mtd, currency, to_plan
):
    fee = int(gross * fee_share)
    kwargs = {
        "gross_minor": gross,
        "fee_minor": fee,
        "currency": currency,
        "terms": terms,
        "month_to_date": Fraction(mtd),
        "to_plan_rate": to_plan,
    }
    result = split_event(**kwargs)
    legs = result.legs
    assert legs.total == gross
    assert legs.fee == fee
    for part, exact in zip(legs.as_tuple()[1:], result.exact, strict=True):
        assert abs(part - exact) < 1
        assert part >= 0
    assert split_event(**kwargs) == result
    # the tier portions cover the whole event exactly once
    assert sum(f for _, f in result.portions) == 1


@st.composite
def flat_terms_strategy(draw):
    """Flat plans (no tiers) with rates of any precision, shares that may tie or even add up
    to more than the whole commission (the general engine decides those)."""
    places = st.integers(0, 8)
    rate = st.builds(lambda n, p: Decimal(n).scaleb(-p), st.integers(0, 10**8), places).filter(
        lambda d: d <= 1
    )
    return PlanTerms(
        agency_rate=draw(rate | st.sampled_from([Decimal("0.3"), Decimal("0.300000")])),
        manager_share=draw(rate | st.sampled_from([Decimal(0), Decimal("0.5")])),
        sub_agency_share=draw(rate | st.sampled_from([Decimal(0), Decimal("0.25")])),
        basis=draw(st.sampled_from(["gross", "net"])),
        currency="USD",
    )


@given(
    gross=st.integers(1, 10**12) | st.integers(1, 100),
    fee_share=st.fractions(0, 1),
    terms=flat_terms_strategy(),
    mtd=st.fractions(0, 10**7),
    currency=st.sampled_from(["USD", "JPY", "KWD"]),
    to_plan=st.decimals(min_value="0.000001", max_value="20000", places=6),
)
@settings(max_examples=500, deadline=None)
def test_flat_plans_split_in_integers_exactly_as_the_general_engine(
    gross, fee_share, terms, mtd, currency, to_plan
):
    """The integer path for flat plans gives the general engine's legs to the minor unit,
    the same exact shares, tier portions, rate and month-to-date amount, and the same
    snapshot text; where it does not apply (shares above the whole commission) the general
    engine's answer (here: its refusal) is the answer."""
    kwargs = {
        "gross_minor": gross,
        "fee_minor": int(gross * fee_share),
        "currency": currency,
        "terms": terms,
        "month_to_date": mtd,
        "to_plan_rate": to_plan,
    }
    try:
        exact = split_event_exact(**kwargs)
    except ValueError:
        with pytest.raises(ValueError):
            split_event(**kwargs)
        return
    fast = split_event(**kwargs)
    assert fast == exact
    assert fast.snapshot(terms, to_plan_rate=to_plan) == exact.snapshot(terms, to_plan_rate=to_plan)
    if terms.manager_share + terms.sub_agency_share <= 1:
        assert _split_flat(gross, kwargs["fee_minor"], currency, terms, to_plan) == exact


@given(
    gross=st.integers(1, 10**12),
    terms=flat_terms_strategy() | terms_strategy(),
    mtd=st.fractions(0, 10**7),
    to_plan=st.decimals(min_value="0.000001", max_value="20000", places=6) | st.none(),
    repeat=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_the_stored_snapshot_text_is_the_snapshot(gross, terms, mtd, to_plan, repeat):
    """``snapshot_json`` (what posting stores, built from cached parts) reads back as
    ``snapshot``, for flat and tiered plans, measured in the plan currency or not, the
    first time and again for a second event on the same terms."""
    kwargs = {"gross_minor": gross, "fee_minor": gross // 7, "currency": "USD", "terms": terms}
    try:
        result = split_event(**kwargs, month_to_date=mtd, to_plan_rate=to_plan or Decimal(1))
    except ValueError:
        return
    if repeat:
        split_event(**kwargs, to_plan_rate=Decimal(1)).snapshot_json(terms, to_plan_rate=None)
    expected = result.snapshot(terms, to_plan_rate=to_plan or Decimal(1))
    if to_plan is None:
        expected["gross_in_plan_currency"] = expected["to_plan_rate"] = None
    assert json.loads(result.snapshot_json(terms, to_plan_rate=to_plan)) == expected


def test_a_leftover_unit_tie_goes_to_the_earlier_leg_on_the_integer_path_too():
    """Shares agency 1.5, manager 1.5, creator 7 (the tie example above), flat plan: the
    integer path and the general engine both give the leftover unit to the agency."""
    terms = PlanTerms(agency_rate=Decimal("0.3"), manager_share=Decimal("0.5"), currency="USD")
    kwargs = {"gross_minor": 10, "fee_minor": 0, "currency": "USD", "terms": terms}
    assert _split_flat(10, 0, "USD", terms, Decimal(1)).legs == Legs(0, 2, 1, 0, 7)
    assert split_event_exact(**kwargs).legs == Legs(0, 2, 1, 0, 7)


@given(
    legs=st.tuples(*[st.integers(0, 10**9)] * 5).filter(lambda t: sum(t) > 0),
    cuts=st.lists(st.integers(1, 100), min_size=1, max_size=5),
)
@settings(max_examples=200, deadline=None)
def test_partial_refunds_add_up_to_the_exact_reversal(legs, cuts):
    original = Legs(*legs)
    total = original.total
    # cut the whole event into len(cuts) refunds proportional to cuts
    sizes = [total * c // sum(cuts) for c in cuts]
    sizes[-1] += total - sum(sizes)
    sizes = [s for s in sizes if s > 0]
    before, sums = 0, [0] * 5
    for size in sizes:
        refund = split_refund(original=original, refunded_before=before, amount=size)
        assert refund.total == -size
        sums = [a + b for a, b in zip(sums, refund.as_tuple(), strict=True)]
        before += size
    assert sums == [-x for x in original.as_tuple()]


def test_refund_beyond_the_original_is_refused():
    with pytest.raises(ValueError):
        split_refund(original=Legs(0, 10, 0, 0, 90), refunded_before=50, amount=51)


def test_tier_boundary_inside_one_event_splits_it():
    """30 % up to 10,000 a month, 20 % above; 9,000 done, an event of 3,000 arrives:
    1,000 at 30 % = 300 and 2,000 at 20 % = 400, so 700 commission, 2,300 to the creator."""
    terms = PlanTerms(
        agency_rate=Decimal("0.30"), tiers=((Decimal("10000"), Decimal("0.20")),), currency="USD"
    )
    result = split_event(
        gross_minor=300_000,
        fee_minor=0,
        currency="USD",
        terms=terms,
        month_to_date=Fraction(9000),
    )
    assert result.legs == Legs(fee=0, agency=70_000, manager=0, sub_agency=0, creator=230_000)
    assert result.portions == (
        (Decimal("0.3"), Fraction(1, 3)),
        (Decimal("0.2"), Fraction(2, 3)),
    )


def test_tie_order_gives_leftover_units_to_earlier_legs():
    """10 units, agency 1/3 of a 30 % ... shares agency 1.5, manager 1.5, creator 7: both
    .5 remainders tie; the one leftover unit goes to the agency (first in order)."""
    terms = PlanTerms(agency_rate=Decimal("0.3"), manager_share=Decimal("0.5"), currency="USD")
    result = split_event(gross_minor=10, fee_minor=0, currency="USD", terms=terms)
    assert result.legs == Legs(fee=0, agency=2, manager=1, sub_agency=0, creator=7)


def test_gross_basis_commission_is_capped_at_the_amount_after_fee():
    terms = PlanTerms(agency_rate=Decimal("0.9"), currency="USD")
    result = split_event(gross_minor=1000, fee_minor=500, currency="USD", terms=terms)
    assert result.legs == Legs(fee=500, agency=500, manager=0, sub_agency=0, creator=0)
