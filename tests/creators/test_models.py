"""Invariants PostgreSQL enforces whatever code writes the rows."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from creators.models import EligibilityProgram, EligibilityRuleSet
from tests.factories.creators import (
    ContractFactory,
    DailyAccountMetricFactory,
    PlatformAccountFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [
        {"views": 10, "completed_views": 11, "qualified_views": 0},
        {"views": 10, "qualified_views": 11, "completed_views": 0},
        {"likes": -1},
        {"shares": -1},
    ],
)
def test_video_counts_are_checked_by_the_database(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        VideoFactory(**fields)


def test_video_id_is_unique_per_account():
    account = PlatformAccountFactory()
    VideoFactory(account=account, platform_video_id="v1")
    VideoFactory(platform_video_id="v1")  # another account may reuse it
    with pytest.raises(IntegrityError), transaction.atomic():
        VideoFactory(account=account, platform_video_id="v1")


def test_one_daily_row_per_account_and_date_and_no_negative_followers():
    account = PlatformAccountFactory()
    DailyAccountMetricFactory(account=account, date=dt.date(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyAccountMetricFactory(account=account, date=dt.date(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyAccountMetricFactory(account=account, date=dt.date(2026, 1, 2), followers=-1)


def test_one_active_contract_per_creator():
    contract = ContractFactory(starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2026, 1, 1))
    ContractFactory(creator=contract.creator, starts_on=dt.date(2026, 1, 1))  # adjacent: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractFactory(creator=contract.creator, starts_on=dt.date(2025, 6, 1))


def test_rule_set_versions_of_a_program_never_overlap():
    program = EligibilityProgram.objects.get(code="live_gifts")
    with pytest.raises(IntegrityError), transaction.atomic():
        EligibilityRuleSet.objects.create(
            program=program, version=2, effective_from=dt.date(2025, 1, 1), min_followers=500
        )
    EligibilityRuleSet.objects.filter(program=program).update(effective_to=dt.date(2025, 1, 1))
    EligibilityRuleSet.objects.create(
        program=program, version=2, effective_from=dt.date(2025, 1, 1), min_followers=500
    )
    assert program.rule_sets.count() == 2


def test_an_earnings_rate_must_be_complete():
    program = EligibilityProgram.objects.get(code="brand_deal_ready")
    with pytest.raises(IntegrityError), transaction.atomic():
        EligibilityRuleSet.objects.create(
            program=program,
            version=9,
            effective_from=dt.date(2000, 1, 1),
            effective_to=dt.date(2001, 1, 1),
            rate_basis="views",
            rate_min_minor=100,
            rate_max_minor=50,
            rate_per_views=1000,
            rate_currency="USD",
        )


def test_rule_set_changes_are_recorded():
    # A rule set no data migration has updated since its seed (live_gifts got its countries).
    rule_set = EligibilityRuleSet.objects.get(program__code="brand_deal_ready", version=1)
    rule_set.min_followers = 2_000
    rule_set.save()
    EligibilityRuleSet.objects.filter(pk=rule_set.pk).update(min_followers=3_000)  # bulk too
    updates = rule_set.events.filter(pgh_label="update").order_by("pgh_id")
    assert [e.min_followers for e in updates] == [2_000, 3_000]
