"""Demo roster: a few hundred creators across platforms and countries, 90 days of daily
metrics and videos, then the recalculation in-process so the admin shows real numbers.

Deterministic (seeded random). Creators of "Star Guild" (if agency/demo.py created it) are
assigned to that sub-agency. Talent managers get a demo password printed below.
"""

import datetime as dt
import math
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from agency.demo import DEMO_PASSWORD
from agency.models import Partner
from agency.roles import TALENT_MANAGER
from creators.models import (
    AccountHandle,
    Contract,
    Creator,
    DailyAccountMetric,
    Platform,
    PlatformAccount,
    RecalcRun,
    Video,
)
from creators.services import recalc

CREATORS = 300
DAYS = 90
MANAGERS = ["ana.manager", "ben.manager", "chen.manager"]
MANAGER_PASSWORD = DEMO_PASSWORD  # demo only; change it on any shared machine
COUNTRIES = ["US", "GB", "DE", "FR", "IT", "ES", "JP", "KR", "BR", "ID", "MY", "PH", "TH", "VN"]
CURRENCY = {
    "US": "USD", "GB": "GBP", "JP": "JPY", "KR": "KRW", "BR": "BRL", "ID": "IDR",
    "DE": "EUR", "FR": "EUR", "IT": "EUR", "ES": "EUR",
}  # fmt: skip
NICHES = ["beauty", "gaming", "food", "fitness", "comedy", "tech", "travel", "fashion"]
PLATFORM_WEIGHTS = [
    (Platform.TIKTOK, 50),
    (Platform.YOUTUBE, 20),
    (Platform.INSTAGRAM, 15),
    (Platform.DOUYIN, 10),
    (Platform.KUAISHOU, 5),
]
FIRST = ["Mia", "Leo", "Aiko", "Noah", "Lina", "Omar", "Zoe", "Ravi", "Ines", "Kai", "Yuna", "Theo"]
LAST = ["Park", "Silva", "Tanaka", "Müller", "Rossi", "Dubois", "Garcia", "Nguyen", "Smith"]


def seed(*, stdout) -> None:
    # Long on purpose: the demo roster as one script read top to bottom; each block seeds
    # one kind of record the later blocks use.
    rng = random.Random(20260131)
    today = dt.datetime.now(dt.UTC).date()
    as_of = today - dt.timedelta(days=1)
    managers = _managers(stdout)
    guild = Partner.objects.filter(name="Star Guild", kind=Partner.Kind.SUB_AGENCY).first()

    creators = []
    for i in range(CREATORS):
        country = rng.choice(COUNTRIES)
        age_days = rng.randint(16 * 365, 40 * 365)
        creators.append(
            Creator(
                legal_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                stage_name=f"{rng.choice(NICHES)}_{rng.choice(FIRST).lower()}{i:03d}",
                date_of_birth=today - dt.timedelta(days=age_days) if rng.random() > 0.05 else None,
                country=country,
                payout_currency=CURRENCY.get(country, "USD"),
                status=rng.choices(
                    [Creator.Status.ACTIVE, Creator.Status.PROSPECT, Creator.Status.PAUSED],
                    [85, 10, 5],
                )[0],
                talent_manager=rng.choice(managers),
                sub_agency=guild if guild and i % 7 == 0 else None,
            )
        )
    creators = Creator.objects.bulk_create(creators)
    Contract.objects.bulk_create(
        Contract(
            creator=c,
            starts_on=today - dt.timedelta(days=rng.randint(100, 900)),
            payout_currency=c.payout_currency,
            exclusive=rng.random() < 0.7,
        )
        for c in creators
        if c.status == Creator.Status.ACTIVE
    )

    accounts, profiles = [], []
    platforms, weights = zip(*PLATFORM_WEIGHTS, strict=True)
    for creator in creators:
        chosen = {rng.choices(platforms, weights)[0]}
        if rng.random() < 0.3:
            chosen.add(rng.choices(platforms, weights)[0])
        niche = creator.stage_name.split("_")[0]
        for platform in sorted(chosen):
            accounts.append(
                PlatformAccount(
                    creator=creator,
                    platform=platform,
                    platform_account_id=f"{platform[:2]}{rng.randrange(10**12):012d}",
                    handle=f"{creator.stage_name}.{platform[:2]}",
                    account_type=PlatformAccount.AccountType.BUSINESS
                    if rng.random() < 0.1
                    else PlatformAccount.AccountType.PERSONAL,
                    niche=niche,
                )
            )
            profiles.append(
                {
                    "followers": int(math.exp(rng.uniform(math.log(300), math.log(3_000_000)))),
                    "growth": rng.uniform(-0.002, 0.01),
                    "reach": rng.uniform(0.05, 1.5),
                    "completion": rng.uniform(0.1, 0.7),
                    "engagement": rng.uniform(0.01, 0.15),
                    "per_week": rng.choice([0.5, 1, 2, 3, 5, 7, 10]),
                    "niche": niche,
                }
            )
    accounts = PlatformAccount.objects.bulk_create(accounts)
    AccountHandle.objects.bulk_create(
        AccountHandle(
            account=a, platform=a.platform, handle=a.handle, valid_from=today - dt.timedelta(400)
        )
        for a in accounts
    )

    daily, videos = [], []
    for account, p in zip(accounts, profiles, strict=True):
        followers = p["followers"]
        posting_days = {
            d for d in range(DAYS) if rng.random() < p["per_week"] / 7 * rng.uniform(0.5, 1.5)
        }
        for d in range(DAYS - 1, -1, -1):
            day = as_of - dt.timedelta(days=d)
            followers = max(0, int(followers * (1 + p["growth"] * rng.uniform(0, 2))))
            views = int(followers * p["reach"] * rng.uniform(0.3, 1.7) / 7)
            daily.append(
                DailyAccountMetric(
                    account=account,
                    date=day,
                    followers=followers,
                    views=views,
                    qualified_views=int(views * rng.uniform(0.4, 0.8)),
                    watch_time_seconds=int(views * rng.uniform(6, 25)),
                    videos_posted=1 if d in posting_days else 0,
                )
            )
            if d in posting_days:
                v = int(followers * p["reach"] * rng.uniform(0.2, 3.0))
                completion = min(0.95, p["completion"] * rng.uniform(0.7, 1.3))
                videos.append(
                    Video(
                        account=account,
                        platform_video_id=f"{account.platform_account_id}-{d}",
                        posted_at=dt.datetime.combine(day, dt.time(rng.randint(8, 22)), dt.UTC),
                        duration_seconds=rng.choice([15, 30, 45, 59, 61, 75, 90, 180, 600]),
                        views=v,
                        qualified_views=int(v * rng.uniform(0.5, 0.9)),
                        completed_views=int(v * completion),
                        replays=int(v * completion * rng.uniform(0.05, 0.4)),
                        likes=int(v * p["engagement"] * rng.uniform(0.5, 1.5)),
                        comments=int(v * p["engagement"] * rng.uniform(0.02, 0.15)),
                        shares=int(v * p["engagement"] * rng.uniform(0.01, 0.1)),
                        is_original=rng.random() > 0.05,
                        niche=p["niche"] if rng.random() < 0.85 else rng.choice(NICHES),
                    )
                )
    DailyAccountMetric.objects.bulk_create(daily, batch_size=5_000)
    Video.objects.bulk_create(videos, batch_size=5_000)
    stdout.write(
        f"  {len(creators)} creators, {len(accounts)} accounts, {len(daily)} daily rows, "
        f"{len(videos)} videos"
    )

    for days_back in (14, 7, 0):  # three snapshots, so trends can be read
        run = recalc.recalc_run_inline(
            as_of=as_of - dt.timedelta(days=days_back),
            mode=RecalcRun.Mode.FULL,
            trigger=RecalcRun.Trigger.DEMO,
        )
        stdout.write(f"  recalculated as of {run.as_of}: {run.status}, {run.rows_written} rows")


def _managers(stdout) -> list:
    user_model = get_user_model()
    group, _ = Group.objects.get_or_create(name=TALENT_MANAGER)  # permissions: its migration
    managers = []
    for username in MANAGERS:
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"is_staff": True, "email": f"{username}@agency.test"}
        )
        if created:
            user.set_password(MANAGER_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(group)
        managers.append(user)
    stdout.write(f"  talent managers {', '.join(MANAGERS)} (password: {MANAGER_PASSWORD})")
    return managers
