"""LIVE gifts are offered in a list of countries; an account with a community-guidelines
strike or the throttling flag is marked in every program's eligibility, with the reason."""

import datetime as dt

import pytest

from creators.models import DailyAccountMetric, EligibilityRuleSet
from tests.creators.test_eligibility import AS_OF, ready_account, result, rules

pytestmark = pytest.mark.django_db


def test_live_gifts_rule_set_lists_its_countries():
    rule_set = EligibilityRuleSet.objects.get(program__code="live_gifts", version=1)
    assert {"US", "GB", "ID", "VN"} <= set(rule_set.countries)
    assert "NG" not in rule_set.countries


def test_live_gifts_are_refused_outside_their_countries():
    assert "country" not in rules(result(ready_account(country="US"), "live_gifts"))
    country = rules(result(ready_account(country="NG"), "live_gifts"))["country"]
    assert country["actual"] == "NG"
    assert country["message"].startswith("not offered in NG (only BR, DE, ES, FR, GB, ID,")


def _flag(account, **flags) -> None:
    DailyAccountMetric.objects.filter(account=account, date=AS_OF).update(**flags)


def test_a_strike_or_throttling_marks_the_creator_in_every_program():
    account = ready_account(qualified_views=300_000)
    assert result(account).eligible is True
    _flag(account, guideline_strikes=2, throttled=True)
    res = result(account)
    assert res.eligible is False
    standing = rules(res)["good_standing"]
    assert standing["actual"] == {"guideline_strikes": 2, "throttled": True}
    assert standing["required"] == {"guideline_strikes": 0, "throttled": False}
    assert standing["message"] == (
        "2 community-guidelines strikes and throttled on 2026-01-31: the platform limits this"
        " account's distribution; programs need an account in good standing"
    )
    assert "good_standing" in rules(result(account, "live_gifts"))


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"guideline_strikes": 1}, "1 community-guidelines strike on 2026-01-31:"),
        ({"throttled": True}, "throttled on 2026-01-31:"),
    ],
)
def test_each_flag_alone_is_explained(flags, message):
    account = ready_account(qualified_views=300_000)
    _flag(account, **flags)
    assert rules(result(account))["good_standing"]["message"].startswith(message)


def test_only_the_latest_day_counts_and_a_cleared_flag_unmarks():
    account = ready_account(qualified_views=300_000)
    DailyAccountMetric.objects.create(
        account=account, date=AS_OF - dt.timedelta(days=3), guideline_strikes=1, throttled=True
    )
    assert result(account).eligible is True  # the flags were cleared on the latest day
    _flag(account, throttled=True)
    assert "good_standing" in rules(result(account))
    _flag(account, throttled=False)
    assert result(account).eligible is True
