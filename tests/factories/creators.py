import datetime as dt

import factory
from factory.django import DjangoModelFactory

from creators.models import AccountHandle, Contract, Creator, Platform, PlatformAccount


class CreatorFactory(DjangoModelFactory[Creator]):
    class Meta:
        model = Creator

    legal_name = factory.Faker("name")
    stage_name = factory.Sequence(lambda n: f"creator{n}")
    date_of_birth = dt.date(1998, 5, 17)
    country = "US"
    payout_currency = "USD"
    status = Creator.Status.ACTIVE


class PlatformAccountFactory(DjangoModelFactory[PlatformAccount]):
    class Meta:
        model = PlatformAccount
        skip_postgeneration_save = True

    creator = factory.SubFactory(CreatorFactory)
    platform = Platform.TIKTOK
    platform_account_id = factory.Sequence(lambda n: f"pid{n:08d}")
    handle = factory.Sequence(lambda n: f"handle{n}")
    niche = "beauty"

    @factory.post_generation
    def handle_history(obj, create, extracted, **kwargs):
        if create:
            AccountHandle.objects.create(
                account=obj,
                platform=obj.platform,
                handle=obj.handle,
                valid_from=dt.date(2020, 1, 1),
            )


class ContractFactory(DjangoModelFactory[Contract]):
    class Meta:
        model = Contract

    creator = factory.SubFactory(CreatorFactory)
    starts_on = dt.date(2025, 1, 1)
    ends_on = None
    exclusive = True
    payout_currency = factory.SelfAttribute("creator.payout_currency")
