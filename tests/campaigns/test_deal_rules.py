"""The deal's rules live in the service (the API only parses): refusals name their field."""

import datetime as dt
from decimal import Decimal

import pytest

from agency.errors import ApplicationError
from campaigns.models import BrandDeal
from campaigns.services.deals import DeliverableSpec, deal_create
from creators.models import Creator
from tests.factories.campaigns import BrandFactory
from tests.factories.creators import CreatorFactory

pytestmark = pytest.mark.django_db


def _create(**kwargs):
    base = {"brand": BrandFactory(), "title": "x", "fee_minor": 100, "currency": "USD"}
    return deal_create(**{**base, **kwargs})


@pytest.mark.parametrize(
    ("case", "field"),
    [("twice", "creators"), ("hidden", "creators"), ("stray", "deliverables"), ("ccy", "currency")],
)
def test_each_refusal_names_its_field_and_writes_nothing(case, field):
    a, b = CreatorFactory(), CreatorFactory()
    kwargs = {
        "twice": {"creator_shares": [(a.pk, Decimal(1)), (a.pk, Decimal(1))]},
        "hidden": {
            "creator_shares": [(a.pk, Decimal(1)), (b.pk, Decimal(1))],
            "creators_visible": Creator.objects.filter(pk=a.pk),
        },
        "stray": {
            "creator_shares": [(a.pk, Decimal(1))],
            "deliverables": [DeliverableSpec(b.pk, "video", dt.date(2026, 12, 1))],
        },
        "ccy": {"creator_shares": [(a.pk, Decimal(1))], "currency": "XXX"},
    }[case]
    with pytest.raises(ApplicationError) as caught:
        _create(**kwargs)
    assert list(caught.value.fields) == [field]
    assert not BrandDeal.objects.exists()
