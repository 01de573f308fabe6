import datetime as dt

import factory
from factory.django import DjangoModelFactory

from creators.models import (
    AccountHandle,
    Contract,
    Creator,
    DailyAccountMetric,
    Platform,
    PlatformAccount,
    Video,
    VideoDailyMetric,
)


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


class DailyAccountMetricFactory(DjangoModelFactory[DailyAccountMetric]):
    class Meta:
        model = DailyAccountMetric

    account = factory.SubFactory(PlatformAccountFactory)
    date = dt.date(2026, 1, 31)
    followers = 1_000
    views = 1_000
    qualified_views = factory.LazyAttribute(lambda m: m.views * 4 // 5)
    watch_time_seconds = 3_600
    videos_posted = 1


class VideoFactory(DjangoModelFactory[Video]):
    class Meta:
        model = Video

    account = factory.SubFactory(PlatformAccountFactory)
    platform_video_id = factory.Sequence(lambda n: f"vid{n:08d}")
    posted_at = dt.datetime(2026, 1, 30, 12, 0, tzinfo=dt.UTC)
    duration_seconds = 30
    views = 1_000
    qualified_views = factory.LazyAttribute(lambda v: v.views * 4 // 5)
    completed_views = factory.LazyAttribute(lambda v: v.views * 2 // 5)
    replays = 50
    likes = 100
    comments = 10
    shares = 5
    is_original = True
    niche = "beauty"


class VideoDailyMetricFactory(DjangoModelFactory[VideoDailyMetric]):
    class Meta:
        model = VideoDailyMetric

    video = factory.SubFactory(VideoFactory)
    date = factory.LazyAttribute(lambda m: m.video.posted_at.date())
    views = 500
    for_you_views = factory.LazyAttribute(lambda m: m.views * 3 // 5)
    follower_views = factory.LazyAttribute(lambda m: m.views // 5)
    completed_views = factory.LazyAttribute(lambda m: m.views // 2)
    replays = 50
    likes = 40
    comments = 4
    shares = 2
    saves = 3
    watch_time_seconds = 4_000
