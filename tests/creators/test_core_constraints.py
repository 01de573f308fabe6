"""Database constraints on the core roster models (the database refuses, not only Python)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from creators.models import AccountHandle
from tests.factories.creators import ContractFactory, CreatorFactory, PlatformAccountFactory

pytestmark = pytest.mark.django_db


def refused(factory, **kwargs) -> bool:
    try:
        with transaction.atomic():
            factory(**kwargs)
    except IntegrityError:
        return True
    return False


def test_one_contract_per_creator_at_a_time():
    creator = CreatorFactory()
    ContractFactory(creator=creator, starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2026, 1, 1))
    overlapping = {"creator": creator, "starts_on": dt.date(2025, 6, 1), "ends_on": None}
    assert refused(ContractFactory, **overlapping)
    # The next contract may start the day the last one ends (end is exclusive).
    assert not refused(ContractFactory, creator=creator, starts_on=dt.date(2026, 1, 1))
    # Another creator is unaffected.
    assert not refused(ContractFactory, starts_on=dt.date(2025, 6, 1))


def test_contract_must_end_after_it_starts():
    bad = {"starts_on": dt.date(2025, 5, 1), "ends_on": dt.date(2025, 5, 1)}
    assert refused(ContractFactory, **bad)


def test_country_must_be_iso2_and_status_known():
    assert refused(CreatorFactory, country="us")
    assert refused(CreatorFactory, status="retired")


def test_platform_account_id_unique_per_platform():
    PlatformAccountFactory(platform="tiktok", platform_account_id="123")
    assert refused(PlatformAccountFactory, platform="tiktok", platform_account_id="123")
    assert not refused(PlatformAccountFactory, platform="youtube", platform_account_id="123")


def test_a_handle_has_one_owner_at_a_time_case_insensitively():
    first = PlatformAccountFactory(handle="glowqueen")
    AccountHandle.objects.filter(account=first).update(valid_to=dt.date(2025, 3, 1))
    second = PlatformAccountFactory(handle="other")

    def claim(valid_from):
        return AccountHandle.objects.create(
            account=second, platform="tiktok", handle="GlowQueen", valid_from=valid_from
        )

    assert refused(claim, valid_from=dt.date(2025, 2, 1))
    assert not refused(claim, valid_from=dt.date(2025, 3, 1))


def test_contract_changes_are_recorded_in_history():
    contract = ContractFactory(exclusive=True)
    contract.exclusive = False
    contract.save()
    states = list(contract.history.order_by("pgh_id").values_list("pgh_label", "exclusive"))
    assert states == [("insert", True), ("update", False)]
