"""Properties of the rule evaluation (pure functions, no database): the age helpers, and the
reference evaluator the SQL rules are compared with in test_eligibility_sql.py."""

import datetime as dt

from hypothesis import assume, given
from hypothesis import strategies as st

from creators.models import (
    Creator,
    EligibilityProgram,
    EligibilityRuleSet,
    PlatformAccount,
)
from creators.services.eligibility import age_on, birthday
from tests.creators.eligibility_reference import AccountFacts, evaluate

AS_OF = dt.date(2026, 1, 31)
dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2030, 12, 31))


@given(dob=dates, on=dates)
def test_age_is_the_number_of_birthdays_reached(dob, on):
    assume(on >= dob)
    reached = sum(1 for years in range(1, on.year - dob.year + 1) if birthday(dob, years) <= on)
    assert age_on(dob, on) == reached


def _rule_set(**rules) -> EligibilityRuleSet:
    program = EligibilityProgram(code="p", name="P", platform="tiktok")
    return EligibilityRuleSet(program=program, version=1, effective_from=AS_OF, **rules)


@given(
    followers=st.integers(0, 10**7),
    minimum=st.integers(0, 10**7),
    views=st.integers(0, 10**9),
    min_views=st.integers(0, 10**9),
)
def test_a_threshold_fails_exactly_below_it_with_the_exact_distance(
    followers, minimum, views, min_views
):
    creator = Creator(country="US", date_of_birth=dt.date(1990, 1, 1))
    account = PlatformAccount(id=1, platform="tiktok")
    facts = AccountFacts(followers=followers, views={30: views})
    failures, estimate = evaluate(
        rule_set=_rule_set(min_age=18, min_followers=minimum, min_views=min_views),
        creator=creator,
        account=account,
        facts=facts,
        as_of=AS_OF,
    )
    by_rule = {f["rule"]: f for f in failures}
    assert ("followers" in by_rule) == (followers < minimum)
    assert ("views" in by_rule) == (views < min_views)
    if followers < minimum:
        assert by_rule["followers"]["distance"] == minimum - followers
    if views < min_views:
        assert by_rule["views"]["distance"] == min_views - views
    assert estimate is None  # no earnings rate on this rule set


@given(qualified=st.integers(0, 10**10), low=st.integers(0, 500), spread=st.integers(0, 500))
def test_estimate_range_is_ordered_integer_minor_units(qualified, low, spread):
    rule_set = _rule_set(
        rate_basis="qualified_views",
        rate_per_views=1_000,
        rate_min_minor=low,
        rate_max_minor=low + spread,
        rate_currency="USD",
    )
    facts = AccountFacts(qualified_views={30: qualified})
    failures, estimate = evaluate(
        rule_set=rule_set,
        creator=Creator(country="US"),
        account=PlatformAccount(id=1, platform="tiktok"),
        facts=facts,
        as_of=AS_OF,
    )
    assert failures == []
    minimum, maximum, currency = estimate
    assert isinstance(minimum, int) and isinstance(maximum, int)
    assert 0 <= minimum <= maximum
    assert currency == "USD"
    assert abs(minimum - qualified * low / 1_000) <= 0.5
