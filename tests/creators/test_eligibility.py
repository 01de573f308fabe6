"""Eligibility rules at their boundaries, explanations, estimates and rule-set versions."""

import datetime as dt

import pytest

from creators.models import EligibilityResult, EligibilityRuleSet, Platform, PlatformAccount
from creators.services.eligibility import age_on, eligibility_evaluate_chunk
from tests.factories.creators import (
    CreatorFactory,
    DailyAccountMetricFactory,
    PlatformAccountFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 1, 31)
REWARDS = "tiktok_creator_rewards"


def ready_account(
    *,
    followers=10_000,
    qualified_views=100_000,
    duration=61,
    original=True,
    country="US",
    dob=dt.date(1990, 1, 1),
    platform=Platform.TIKTOK,
    account_type=PlatformAccount.AccountType.PERSONAL,
) -> PlatformAccount:
    """An account that meets every Creator Rewards rule unless told otherwise."""
    creator = CreatorFactory(country=country, date_of_birth=dob)
    account = PlatformAccountFactory(creator=creator, platform=platform, account_type=account_type)
    DailyAccountMetricFactory(
        account=account,
        date=AS_OF,
        followers=followers,
        views=max(qualified_views, 1) * 2,
        qualified_views=qualified_views,
    )
    VideoFactory(
        account=account,
        posted_at=dt.datetime(2026, 1, 20, 9, tzinfo=dt.UTC),
        duration_seconds=duration,
        is_original=original,
    )
    return account


def result(account: PlatformAccount, code: str = REWARDS, as_of=AS_OF) -> EligibilityResult:
    eligibility_evaluate_chunk(as_of=as_of, creator_ids=[account.creator_id])
    return EligibilityResult.objects.get(creator=account.creator, program__code=code, as_of=as_of)


def rules(res: EligibilityResult) -> dict[str, dict]:
    return {f["rule"]: f for f in res.failures}


def test_ready_creator_is_eligible_with_a_monthly_estimate():
    res = result(ready_account(qualified_views=300_000))
    assert res.eligible is True
    assert res.failures == []
    # 300,000 qualified views x USD 0.40-1.00 per 1,000 = USD 120-300, in cents.
    assert (res.estimate_min_minor, res.estimate_max_minor) == (12_000, 30_000)
    assert res.estimate_currency == "USD"
    assert res.rule_set.version == 2


def test_followers_exactly_at_the_threshold_pass_one_below_fails():
    assert result(ready_account(followers=10_000)).eligible is True
    res = result(ready_account(followers=9_999))
    assert res.eligible is False
    failure = rules(res)["followers"]
    assert (failure["required"], failure["actual"], failure["distance"]) == (10_000, 9_999, 1)
    assert failure["message"] == "needs 1 more follower"
    assert res.estimate_min_minor is None


def test_distance_is_explained_in_words():
    res = result(ready_account(followers=7_700))
    assert rules(res)["followers"]["message"] == "needs 2,300 more followers"


def test_age_18_today_passes_17_years_364_days_fails():
    eighteen_today = dt.date(2008, 1, 31)
    turns_18_tomorrow = dt.date(2008, 2, 1)
    assert age_on(eighteen_today, AS_OF) == 18
    assert age_on(turns_18_tomorrow, AS_OF) == 17
    assert result(ready_account(dob=eighteen_today)).eligible is True
    res = result(ready_account(dob=turns_18_tomorrow))
    failure = rules(res)["age"]
    assert (failure["required"], failure["actual"], failure["distance"]) == (18, 17, 1)
    assert failure["message"] == "needs to be 18: turns 18 on 2026-02-01 (in 1 day)"


def test_leap_day_birthday_counts_from_first_of_march():
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == 17
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 3, 1)) == 18


def test_unknown_date_of_birth_fails_age():
    res = result(ready_account(dob=None))
    assert rules(res)["age"]["actual"] is None


def test_country_outside_the_list_fails():
    res = result(ready_account(country="IT"))
    assert res.eligible is False
    failure = rules(res)["country"]
    assert failure["actual"] == "IT"
    assert "US" in failure["required"]


def test_video_of_59_seconds_fails_61_seconds_passes():
    assert result(ready_account(duration=61)).eligible is True
    res = result(ready_account(duration=59))
    failure = rules(res)["video_length"]
    assert (failure["actual"], failure["distance"]) == (59, 2)
    assert res.eligible is False


def test_exactly_60_seconds_is_not_over_a_minute():
    assert "video_length" in rules(result(ready_account(duration=60)))


def test_non_original_content_fails():
    failure = rules(result(ready_account(original=False)))["original_content"]
    assert failure["distance"] == 1
    assert "not original" in failure["message"]


def test_qualified_views_distance():
    res = result(ready_account(qualified_views=97_700))
    failure = rules(res)["qualified_views"]
    assert failure["distance"] == 2_300
    assert failure["message"] == "needs 2,300 more qualified views in 30 days"


def test_every_failing_rule_is_listed():
    res = result(ready_account(followers=10, country="IT", duration=10, dob=dt.date(2010, 1, 1)))
    assert set(rules(res)) == {"age", "country", "followers", "video_length"}


def test_missing_platform_account_is_explained():
    account = ready_account(platform=Platform.INSTAGRAM)
    failure = rules(result(account, code="youtube_partner"))["account"]
    assert failure["message"] == "needs a YouTube account"


def test_business_account_needs_no_followers_for_shop_but_personal_does():
    business = ready_account(followers=0, account_type=PlatformAccount.AccountType.BUSINESS)
    personal = ready_account(followers=0)
    assert result(business, code="shop_affiliate").eligible is True
    assert rules(result(personal, code="shop_affiliate"))["followers"]["required"] == 1_000


def test_youtube_watch_hours_or_shorts_views():
    hours = ready_account(platform=Platform.YOUTUBE, followers=1_000)
    DailyAccountMetricFactory(
        account=hours, date=AS_OF - dt.timedelta(days=200), watch_time_seconds=4_000 * 3600
    )
    shorts = ready_account(platform=Platform.YOUTUBE, followers=1_000)
    DailyAccountMetricFactory(account=shorts, date=AS_OF - dt.timedelta(days=10), views=10_000_000)
    neither = ready_account(platform=Platform.YOUTUBE, followers=1_000)
    assert result(hours, code="youtube_partner").eligible is True
    assert result(shorts, code="youtube_partner").eligible is True
    failure = rules(result(neither, code="youtube_partner"))["watch_hours"]
    assert "or" in failure["message"] and "views in 90 days" in failure["message"]


def test_rule_sets_are_effective_dated():
    account = ready_account(country="US")
    DailyAccountMetricFactory(account=account, date=dt.date(2023, 6, 30), followers=20_000,
                              views=50_000)  # fmt: skip
    VideoFactory(account=account, posted_at=dt.datetime(2023, 6, 20, tzinfo=dt.UTC))
    before = result(account, code="tiktok_creator_fund", as_of=dt.date(2023, 6, 30))
    after = result(account, code="tiktok_creator_fund", as_of=AS_OF)
    assert before.eligible is True and before.rule_set.version == 1
    # 50,000 views x USD 10-20 per 1M = USD 0.50-1.00.
    assert (before.estimate_min_minor, before.estimate_max_minor) == (50, 100)
    assert after.rule_set.version == 2
    assert rules(after)["country"]["required"] == ["ES", "IT"]


def test_rules_are_data_an_edited_threshold_applies():
    EligibilityRuleSet.objects.filter(program__code=REWARDS, version=2).update(min_followers=500)
    assert result(ready_account(followers=600)).eligible is True


def test_rerun_changes_nothing():
    account = ready_account()
    assert eligibility_evaluate_chunk(as_of=AS_OF, creator_ids=[account.creator_id]) == 6
    stamps = list(EligibilityResult.objects.values_list("computed_at", flat=True))
    assert eligibility_evaluate_chunk(as_of=AS_OF, creator_ids=[account.creator_id]) == 0
    assert list(EligibilityResult.objects.values_list("computed_at", flat=True)) == stamps


def _fund(views: int) -> PlatformAccount:
    """Creator Fund v2 (IT, ES): 10,000 followers and 10,000 views in 30 days, original."""
    creator = CreatorFactory(country="IT", date_of_birth=dt.date(1990, 1, 1))
    account = PlatformAccountFactory(creator=creator)
    DailyAccountMetricFactory(account=account, date=AS_OF, followers=10_000, views=views)
    VideoFactory(account=account, posted_at=dt.datetime(2026, 1, 20, tzinfo=dt.UTC))
    return account


@pytest.mark.parametrize(("views", "eligible"), [(10_000, True), (9_999, False)])
def test_views_in_window_at_the_boundary(views, eligible):
    res = result(_fund(views), code="tiktok_creator_fund")
    assert res.eligible is eligible
    if not eligible:
        assert rules(res)["views"]["distance"] == 1


def test_views_outside_the_30_day_window_do_not_count():
    account = _fund(5_000)
    DailyAccountMetricFactory(account=account, date=AS_OF - dt.timedelta(days=30), views=50_000)
    assert rules(result(account, code="tiktok_creator_fund"))["views"]["actual"] == 5_000


@pytest.mark.parametrize(("qualified", "eligible"), [(100_000, True), (99_999, False)])
def test_qualified_views_at_the_boundary(qualified, eligible):
    assert result(ready_account(qualified_views=qualified)).eligible is eligible


@pytest.mark.parametrize(("seconds", "eligible"), [(4_000 * 3600, True), (4_000 * 3600 - 1, False)])
def test_watch_hours_at_the_boundary(seconds, eligible):
    account = ready_account(platform=Platform.YOUTUBE, followers=1_000)
    # ready_account's day already holds one watch hour (the factory's default).
    DailyAccountMetricFactory(
        account=account, date=AS_OF - dt.timedelta(days=364), watch_time_seconds=seconds - 3600
    )
    res = result(account, code="youtube_partner")
    assert res.eligible is eligible
    if not eligible:
        assert rules(res)["watch_hours"]["actual"] == "3999.9"


@pytest.mark.parametrize(("followers", "eligible"), [(200_000, True), (199_999, False)])
def test_brand_deal_ready_on_any_platform(followers, eligible):
    account = ready_account(platform=Platform.INSTAGRAM, followers=followers)
    assert result(account, code="brand_deal_ready").eligible is eligible
