"""Earnings estimates on the views each program pays on, at per-country rates, explained."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from creators.models import EligibilityResult, EligibilityRuleSet
from creators.services.eligibility import eligibility_evaluate_chunk
from tests.factories.creators import (
    CreatorFactory,
    DailyAccountMetricFactory,
    PlatformAccountFactory,
    VideoDailyMetricFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 1, 31)
REWARDS = "tiktok_creator_rewards"
FUND = "tiktok_creator_fund"


def rewards_ready(country="US", sub_agency=None):
    creator = CreatorFactory(
        country=country, date_of_birth=dt.date(1990, 1, 1), sub_agency=sub_agency
    )
    account = PlatformAccountFactory(creator=creator)
    DailyAccountMetricFactory(
        account=account, date=AS_OF, followers=10_000, views=600_000, qualified_views=300_000
    )
    VideoFactory(
        account=account, posted_at=dt.datetime(2026, 1, 20, tzinfo=dt.UTC), duration_seconds=61
    )
    return account


def result(account, code=REWARDS, as_of=AS_OF) -> EligibilityResult:
    eligibility_evaluate_chunk(as_of=as_of, creator_ids=[account.creator_id])
    return EligibilityResult.objects.get(creator=account.creator, program__code=code, as_of=as_of)


def test_estimate_says_its_basis_and_the_default_rate():
    res = result(rewards_ready())
    assert (res.estimate_min_minor, res.estimate_max_minor) == (12_000, 30_000)
    assert (res.estimate_basis, res.estimate_basis_views) == ("qualified_views", 300_000)
    assert (res.estimate_rate_min_minor, res.estimate_rate_max_minor) == (40, 100)
    assert (res.estimate_rate_per_views, res.estimate_rate_country) == (1_000, "")


def test_a_country_rate_applies_to_that_country_only():
    EligibilityRuleSet.objects.filter(program__code=REWARDS, version=2).update(
        country_rates={"US": [60, 120]}
    )
    us = result(rewards_ready("US"))
    assert (us.estimate_min_minor, us.estimate_max_minor) == (18_000, 36_000)
    assert (us.estimate_rate_min_minor, us.estimate_rate_country) == (60, "US")
    gb = result(rewards_ready("GB"))
    assert (gb.estimate_min_minor, gb.estimate_rate_country) == (12_000, "")


def fund_ready(as_of: dt.date):
    creator = CreatorFactory(country="IT", date_of_birth=dt.date(1990, 1, 1))
    account = PlatformAccountFactory(creator=creator)
    DailyAccountMetricFactory(account=account, date=as_of, followers=20_000, views=5_000_000,
                              qualified_views=0)  # fmt: skip
    video = VideoFactory(account=account, posted_at=dt.datetime.combine(
        as_of - dt.timedelta(days=5), dt.time(9), tzinfo=dt.UTC))  # fmt: skip
    VideoDailyMetricFactory(video=video, date=as_of - dt.timedelta(days=5), views=5_000_000,
                            for_you_views=2_000_000, follower_views=1_000_000)  # fmt: skip
    return account


def test_creator_fund_pays_on_for_you_views_from_its_new_version_on():
    before = result(fund_ready(dt.date(2026, 11, 20)), FUND, dt.date(2026, 11, 20))
    assert before.rule_set.version == 2
    assert (before.estimate_basis, before.estimate_basis_views) == ("views", 5_000_000)
    # 5,000,000 views x USD 10-20 per 1M
    assert (before.estimate_min_minor, before.estimate_max_minor) == (5_000, 10_000)
    after = result(fund_ready(dt.date(2026, 12, 20)), FUND, dt.date(2026, 12, 20))
    assert after.rule_set.version == 3
    assert (after.estimate_basis, after.estimate_basis_views) == ("for_you_views", 2_000_000)
    # 2,000,000 For You views x the seeded Italian rate, USD 12-18 per 1M
    assert (after.estimate_min_minor, after.estimate_max_minor) == (2_400, 3_600)
    assert after.estimate_rate_country == "IT"


def test_api_gives_major_units_the_basis_and_the_rate(sub_agency_client):
    account = rewards_ready(sub_agency=sub_agency_client.partner)
    eligibility_evaluate_chunk(as_of=AS_OF, creator_ids=[account.creator_id])
    body = sub_agency_client.get(reverse("creator-eligibility", args=[account.creator_id])).json()
    rewards = next(r for r in body["results"] if r["program"] == REWARDS)
    estimate = rewards["estimated_monthly_earnings"]
    assert (estimate["min"], estimate["max"], estimate["currency"]) == ("120.00", "300.00", "USD")
    assert (estimate["basis"], estimate["basis_views"]) == ("qualified_views", 300_000)
    assert estimate["rate"] == {
        "min": "0.40", "max": "1.00", "currency": "USD", "per_views": 1_000, "country": "",
    }  # fmt: skip


def test_admin_shows_major_units_basis_and_rate(admin_client):
    account = rewards_ready()
    eligibility_evaluate_chunk(as_of=AS_OF, creator_ids=[account.creator_id])
    html = admin_client.get(
        reverse("admin:creators_creator_change", args=[account.creator_id])
    ).content.decode()
    assert (
        "about USD 120.00 to USD 300.00 a month on qualified views (300,000 in the window) at "
        "USD 0.40 to USD 1.00 per 1,000 (default rate)"
    ) in html
    assert "minor units" not in html


@pytest.mark.parametrize("rates", [{"USA": [1, 2]}, {"US": [3, 2]}, {"US": [-1, 2]}, [1]])
def test_country_rates_are_validated(rates):
    rule_set = EligibilityRuleSet.objects.get(program__code=REWARDS, version=2)
    rule_set.country_rates = rates
    with pytest.raises(ValidationError):
        rule_set.clean()
