import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from campaigns.models import (
    AdAccount,
    AffiliateLink,
    AffiliateOrder,
    Brand,
    BrandDeal,
    DealCreator,
    Deliverable,
    LiveSession,
    ServiceAgreement,
)
from tests.factories.creators import CreatorFactory, PlatformAccountFactory


class BrandFactory(DjangoModelFactory[Brand]):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")
    partner = None


class BrandDealFactory(DjangoModelFactory[BrandDeal]):
    class Meta:
        model = BrandDeal

    brand = factory.SubFactory(BrandFactory)
    title = factory.Sequence(lambda n: f"Deal {n}")
    fee_minor = 1_000_00
    currency = "USD"


class DealCreatorFactory(DjangoModelFactory[DealCreator]):
    class Meta:
        model = DealCreator

    deal = factory.SubFactory(BrandDealFactory)
    creator = factory.SubFactory(CreatorFactory)
    share = Decimal(1)


class DeliverableFactory(DjangoModelFactory[Deliverable]):
    class Meta:
        model = Deliverable

    deal = factory.SubFactory(BrandDealFactory)
    creator = factory.SubFactory(CreatorFactory)
    type = Deliverable.Type.VIDEO
    due_on = dt.date(2026, 12, 1)


class LiveSessionFactory(DjangoModelFactory[LiveSession]):
    class Meta:
        model = LiveSession

    account = factory.SubFactory(PlatformAccountFactory)
    creator = factory.SelfAttribute("account.creator")
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=3))
    ended_at = factory.LazyAttribute(lambda s: s.started_at + dt.timedelta(hours=2))
    currency = "USD"


class AdAccountFactory(DjangoModelFactory[AdAccount]):
    class Meta:
        model = AdAccount

    brand = factory.SubFactory(BrandFactory)
    platform = "tiktok"
    external_id = factory.Sequence(lambda n: f"adv{n:06d}")
    currency = "USD"
    fee_model = AdAccount.FeeModel.FEE
    fee_rate = Decimal("0.10")


class ServiceAgreementFactory(DjangoModelFactory[ServiceAgreement]):
    class Meta:
        model = ServiceAgreement

    client = factory.SubFactory(BrandFactory)
    kind = ServiceAgreement.Kind.ACCOUNT_OPERATION
    billing = ServiceAgreement.Billing.RETAINER
    price_minor = 2_000_00
    currency = "USD"
    starts_on = dt.date(2026, 1, 1)


class AffiliateLinkFactory(DjangoModelFactory[AffiliateLink]):
    class Meta:
        model = AffiliateLink

    creator = factory.SubFactory(CreatorFactory)
    platform = "tiktok"
    code = factory.Sequence(lambda n: f"https://shop.test/l/{n}")
    clicks = 1000


class AffiliateOrderFactory(DjangoModelFactory[AffiliateOrder]):
    class Meta:
        model = AffiliateOrder

    link = factory.SubFactory(AffiliateLinkFactory)
    external_id = factory.Sequence(lambda n: f"ord-{n}")
    product = "Lip tint"
    gmv_minor = 100_00
    currency = "USD"
    commission_rate = Decimal("0.15")
    ordered_on = dt.date(2026, 10, 1)
    settles_on = dt.date(2026, 10, 16)
