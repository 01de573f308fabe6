"""The data set: creators with 90 days of daily metrics and videos, contracts, approved
commission plans, FX rates and unposted revenue events, loaded with COPY.

Deterministic (one seeded generator). Ids are assigned here and the identity sequences are
moved past them afterwards, so the product's own inserts continue normally.
"""

import datetime as dt
import random
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from bench.scales import Scale

PLATFORMS = ["tiktok", "youtube", "instagram", "douyin", "kuaishou"]
NICHES = ["comedy", "beauty", "gaming", "food", "travel", "music", "education"]
COUNTRIES = ["US", "GB", "DE", "BR", "JP", "ID", "MX", "FR"]
PAYOUT_CURRENCIES = ["USD", "EUR", "GBP", "JPY"]
EVENT_CURRENCIES = ["USD", "EUR", "JPY", "BRL"]
USD_PER = {"USD": "1", "EUR": "0.92", "GBP": "0.79", "JPY": "150", "BRL": "5.2"}
STREAMS = [
    "live_gifts",
    "creator_fund",
    "affiliate",
    "live_commerce",
    "brand_deal",
    "agency_service",
]
HOLD_DAYS = {
    "brand_deal": 45,
    "live_gifts": 15,
    "live_commerce": 15,
    "affiliate": 45,
    "creator_fund": 30,
    "agency_service": 30,
}
DAYS = 90
SUB_AGENCIES = 4
MANAGERS = 3
EXPONENT = {"USD": 2, "EUR": 2, "GBP": 2, "BRL": 2, "JPY": 0}


def as_of_date() -> dt.date:
    """Yesterday (UTC): the last complete day, as the nightly run uses."""
    return timezone.now().date() - dt.timedelta(days=1)


def event_months(as_of: dt.date) -> list[dt.date]:
    """The three whole months before the current one: their statements can be closed."""
    months = []
    day = timezone.now().date().replace(day=1)
    for _ in range(3):
        day = (day - dt.timedelta(days=1)).replace(day=1)
        months.append(day)
    return sorted(months)


def _tsv(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


def copy_rows(table: str, columns: list[str], rows: Iterator[tuple], batch: int = 20_000) -> int:
    """COPY ``rows`` into ``table`` (text format, written in batches). Returns the count."""
    count = 0
    with connection.cursor() as cursor:
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            buffer: list[str] = []
            for row in rows:
                buffer.append("\t".join(_tsv(v) for v in row))
                count += 1
                if len(buffer) >= batch:
                    copy.write("\n".join(buffer) + "\n")
                    buffer.clear()
            if buffer:
                copy.write("\n".join(buffer) + "\n")
    return count


def _sync_sequences(tables: list[str]) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )


def accounts_of(n_creators: int) -> Iterator[tuple[int, int, str]]:
    """(account id, creator id, platform): one account each, a second one for every 5th."""
    account_id = 0
    for creator_id in range(1, n_creators + 1):
        platform_count = 2 if creator_id % 5 == 0 else 1
        for k in range(platform_count):
            account_id += 1
            yield account_id, creator_id, PLATFORMS[(creator_id + k) % len(PLATFORMS)]


def daily_metric_rows(
    accounts: list[tuple[int, int, str]], dates: list[dt.date], seed: int, now: str
) -> Iterator[tuple]:
    rng = random.Random(seed)
    for account_id, _creator_id, _platform in accounts:
        followers = int(rng.lognormvariate(9, 1.6))
        base_views = int(rng.lognormvariate(8, 1.5))
        for day in dates:
            followers += rng.randint(-5, 40 + followers // 500)
            followers = max(followers, 0)
            views = max(0, int(base_views * rng.uniform(0.3, 1.8)))
            qualified = views * rng.randint(50, 95) // 100
            yield (
                account_id,
                day,
                followers,
                views,
                qualified,
                views * rng.randint(5, 40),
                rng.randint(0, 1),
                now,
                now,
            )


DAILY_COLUMNS = [
    "account_id",
    "date",
    "followers",
    "views",
    "qualified_views",
    "watch_time_seconds",
    "videos_posted",
    "created_at",
    "updated_at",
]


def _video_rows(
    accounts: list[tuple[int, int, str]], as_of: dt.date, rng: random.Random, now: str
) -> Iterator[tuple]:
    video_id = 0
    start = dt.datetime.combine(as_of - dt.timedelta(days=DAYS - 1), dt.time(), tzinfo=dt.UTC)
    for account_id, _creator_id, _platform in accounts:
        niche = NICHES[account_id % len(NICHES)]
        scale = rng.lognormvariate(8, 1.8)
        for _ in range(rng.randint(10, 50)):
            video_id += 1
            posted = start + dt.timedelta(seconds=rng.randint(0, DAYS * 86_400 - 1))
            views = int(scale * rng.uniform(0.2, 3))
            yield (
                video_id,
                account_id,
                f"v{video_id}",
                posted.isoformat(),
                rng.choice([15, 30, 45, 61, 90, 180, 600]),
                views,
                views * rng.randint(40, 95) // 100,
                views * rng.randint(10, 70) // 100,
                views * rng.randint(0, 20) // 100,
                views * rng.randint(1, 12) // 100,
                views * rng.randint(0, 3) // 100,
                views * rng.randint(0, 2) // 100,
                rng.random() > 0.03,
                niche if rng.random() > 0.2 else rng.choice(NICHES),
                now,
                now,
            )


VIDEO_DAILY_DAYS = 14

# Daily rows for the last VIDEO_DAILY_DAYS days (up to as_of) of each video's life: its views
# spread over its days so far with a halving decay (most in the first days, as a wave plays
# out), every count scaled alike; For You 60 % and followers 20 % of each day's views.
VIDEO_DAILY_SQL = """
INSERT INTO creators_videodailymetric
    (video_id, date, views, for_you_views, follower_views, completed_views, replays, likes,
     comments, shares, saves, watch_time_seconds, created_at, updated_at)
SELECT v.id, d.day, d.views, d.views * 6 / 10, d.views * 2 / 10,
       floor(v.completed_views * d.share), floor(v.replays * d.share),
       floor(v.likes * d.share), floor(v.comments * d.share), floor(v.shares * d.share),
       d.views * (v.id %% 4) / 100, d.views * v.duration_seconds / 2, now(), now()
FROM (SELECT v.*, (v.posted_at AT TIME ZONE 'UTC')::date AS posted_on FROM creators_video v) v
CROSS JOIN LATERAL (
    SELECT v.posted_on + g.n AS day, share, floor(v.views * share)::bigint AS views
    FROM generate_series(0, %(as_of)s::date - v.posted_on) AS g(n)
    CROSS JOIN LATERAL (
        SELECT power(0.5, g.n) / (2 - power(0.5, %(as_of)s::date - v.posted_on)) AS share
    ) s
    WHERE v.posted_on + g.n > %(as_of)s::date - %(days)s
) d
"""


def video_daily_rows(*, as_of: dt.date) -> int:
    """Insert the daily video rows (set-based, from the loaded videos). Returns the count."""
    with connection.cursor() as cursor:
        cursor.execute(VIDEO_DAILY_SQL, {"as_of": as_of, "days": VIDEO_DAILY_DAYS})
        count = cursor.rowcount
        cursor.execute("ANALYZE creators_videodailymetric")
    return count


def _rate(base: str, quote: str, jitter: float) -> Decimal:
    value = Decimal(USD_PER[quote]) / Decimal(USD_PER[base]) * Decimal(str(jitter))
    return value.quantize(Decimal("0.0000000001"))


def _history_context() -> None:
    """Give this session's triggers their settings up front.

    pgtrigger's ``_pgtrigger_should_ignore`` and pghistory's ``_pgh_attach_context`` read a
    setting inside a ``BEGIN ... EXCEPTION`` block, so while the setting is absent every row
    costs a caught error (a subtransaction), and one statement inserting n rows takes
    O(n^2) time: 20,000 commission plans in one INSERT take 6.9 s without the settings and
    0.7 s with them (bench/README.md). Setting them (nothing ignored; the history rows carry
    a "bench load" context) keeps the load linear and the history rows written.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', false)")
        cursor.execute("SELECT set_config('pghistory.context_id', %s, false)", [str(uuid.uuid4())])
        cursor.execute(
            "SELECT set_config('pghistory.context_metadata', %s, false)",
            ['{"source": "bench load"}'],
        )


def generate(*, scale: Scale, seed: int = 6, progress: Callable[[str], None] = print) -> dict:
    """Load the data set; returns rows and rows/s per table and in total."""
    from django.contrib.auth import get_user_model

    from agency.models import Partner
    from agency.services import partner_api_key_create, partner_create

    rng = random.Random(seed)
    as_of = as_of_date()
    now = timezone.now().isoformat()
    n = scale.creators
    stats: dict[str, dict] = {}

    def timed(table: str, columns: list[str], rows: Iterator[tuple]) -> None:
        started = time.perf_counter()
        count = copy_rows(table, columns, rows)
        seconds = time.perf_counter() - started
        with connection.cursor() as cursor:  # later tables' foreign keys look these rows up
            cursor.execute(f"ANALYZE {table}")
        stats[table] = {"rows": count, "seconds": round(seconds, 3)}
        progress(f"  {table}: {count:,} rows in {seconds:.1f} s ({count / seconds:,.0f} rows/s)")

    # A few rows through the product's services: staff users, partners, API keys.
    User = get_user_model()
    maker = User.objects.create_user("bench_maker", is_staff=True)
    checker = User.objects.create_user("bench_checker", is_staff=True)
    managers = [User.objects.create_user(f"bench_manager_{i}", is_staff=True) for i in range(3)]
    sub_agencies = [
        partner_create(name=f"Bench sub-agency {i}", kind=Partner.Kind.SUB_AGENCY)
        for i in range(SUB_AGENCIES)
    ]
    data_partner = partner_create(name="Bench data partner", kind=Partner.Kind.DATA_PARTNER)
    _, sub_agency_key = partner_api_key_create(partner=sub_agencies[0], name="bench")
    _, data_partner_key = partner_api_key_create(partner=data_partner, name="bench")

    _history_context()
    started_all = time.perf_counter()
    timed(
        "creators_creator",
        [
            "id",
            "legal_name",
            "stage_name",
            "date_of_birth",
            "country",
            "payout_currency",
            "status",
            "created_at",
            "updated_at",
            "sub_agency_id",
            "talent_manager_id",
        ],
        (
            (
                i,
                f"Legal Name {i}",
                f"creator{i:07d}",
                dt.date(1975 + i % 30, 1 + i % 12, 1 + i % 28),
                COUNTRIES[i % len(COUNTRIES)],
                PAYOUT_CURRENCIES[i % len(PAYOUT_CURRENCIES)],
                "active" if i % 10 else "paused",
                now,
                now,
                sub_agencies[i % SUB_AGENCIES].pk,
                managers[i % MANAGERS].pk if i % 2 else None,
            )
            for i in range(1, n + 1)
        ),
    )
    accounts = list(accounts_of(n))
    timed(
        "creators_platformaccount",
        [
            "id",
            "creator_id",
            "platform",
            "platform_account_id",
            "handle",
            "account_type",
            "niche",
            "created_at",
        ],
        (
            (
                a,
                c,
                p,
                f"pa{a}",
                f"handle{a}",
                "business" if a % 17 == 0 else "personal",
                NICHES[a % len(NICHES)],
                now,
            )
            for a, c, p in accounts
        ),
    )
    timed(
        "creators_accounthandle",
        ["id", "account_id", "platform", "handle", "valid_from", "valid_to"],
        ((a, a, p, f"handle{a}", dt.date(2024, 1, 1), None) for a, _c, p in accounts),
    )
    dates = [as_of - dt.timedelta(days=d) for d in range(DAYS - 1, -1, -1)]
    timed(
        "creators_dailyaccountmetric", DAILY_COLUMNS, daily_metric_rows(accounts, dates, seed, now)
    )
    timed(
        "creators_video",
        [
            "id",
            "account_id",
            "platform_video_id",
            "posted_at",
            "duration_seconds",
            "views",
            "qualified_views",
            "completed_views",
            "replays",
            "likes",
            "comments",
            "shares",
            "is_original",
            "niche",
            "created_at",
            "updated_at",
        ],
        _video_rows(accounts, as_of, rng, now),
    )
    started = time.perf_counter()
    count = video_daily_rows(as_of=as_of)
    seconds = time.perf_counter() - started
    stats["creators_videodailymetric"] = {"rows": count, "seconds": round(seconds, 3)}
    progress(f"  creators_videodailymetric: {count:,} rows in {seconds:.1f} s (INSERT ... SELECT)")
    contract_start = dt.date(2025, 1, 1)
    timed(
        "creators_contract",
        [
            "id",
            "creator_id",
            "starts_on",
            "ends_on",
            "exclusive",
            "payout_currency",
            "signed_at",
            "notes",
            "created_at",
        ],
        (
            (i, i, contract_start, None, True, PAYOUT_CURRENCIES[i % 4], now, "", now)
            for i in range(1, n + 1)
        ),
    )

    def plans() -> Iterator[tuple]:
        plan_id = 0
        for i in range(1, n + 1):
            for stream in STREAMS:
                plan_id += 1
                tiers = (
                    '[{"from": "1000.00", "rate": "0.200000"}]' if stream == "live_gifts" else "[]"
                )
                yield (
                    plan_id,
                    i,
                    stream,
                    contract_start,
                    PAYOUT_CURRENCIES[i % 4],
                    "0.300000",
                    tiers,
                    "0.200000",
                    "0.100000",
                    "net" if stream in ("live_gifts", "live_commerce") else "gross",
                    "approved",
                    maker.pk,
                    checker.pk,
                    now,
                    now,
                )

    timed(
        "billing_commissionplan",
        [
            "id",
            "contract_id",
            "stream",
            "effective_from",
            "currency",
            "agency_rate",
            "tiers",
            "manager_share",
            "sub_agency_share",
            "basis",
            "status",
            "created_by_id",
            "approved_by_id",
            "approved_at",
            "created_at",
        ],
        plans(),
    )
    months = event_months(as_of)
    first_rate_day = months[0] - dt.timedelta(days=10)
    rate_days = [
        first_rate_day + dt.timedelta(days=d) for d in range((as_of - first_rate_day).days + 1)
    ]
    pairs = [(b, q) for i, b in enumerate(sorted(USD_PER)) for q in sorted(USD_PER)[i + 1 :]]
    timed(
        "billing_exchangerate",
        ["base", "quote", "valid_on", "rate", "source", "created_at"],
        (
            (b, q, day, _rate(b, q, rng.uniform(0.97, 1.03)), "bench", now)
            for day in rate_days
            for b, q in pairs
        ),
    )
    period_end = (months[-1].replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    span = (period_end - months[0]).days

    def events() -> Iterator[tuple]:
        for e in range(1, scale.events + 1):
            creator_id = rng.randint(1, n)
            stream = STREAMS[e % len(STREAMS)]
            currency = EVENT_CURRENCIES[e % len(EVENT_CURRENCIES)]
            occurred = months[0] + dt.timedelta(days=rng.randrange(span))
            gross = rng.randint(100, 500_000) // (100 if EXPONENT[currency] == 0 else 1) + 1
            fee = gross * rng.randint(0, 30) // 100
            yield (
                e,
                stream,
                "sale",
                creator_id,
                occurred,
                gross,
                fee,
                currency,
                "bench",
                str(e),
                "",
                "pending",
                occurred + dt.timedelta(days=HOLD_DAYS[stream]),
                now,
            )

    timed(
        "billing_revenueevent",
        [
            "id",
            "stream",
            "kind",
            "creator_id",
            "occurred_on",
            "gross_minor",
            "platform_fee_minor",
            "currency",
            "source_type",
            "source_id",
            "description",
            "status",
            "locks_on",
            "created_at",
        ],
        events(),
    )
    copy_seconds = time.perf_counter() - started_all
    tables = list(stats)
    _sync_sequences([t for t in tables if t != "billing_exchangerate"])
    total = sum(s["rows"] for s in stats.values())
    return {
        "as_of": as_of.isoformat(),
        "months": [m.isoformat() for m in months],
        "tables": stats,
        "rows": total,
        "seconds": round(copy_seconds, 2),
        "rows_per_s": round(total / copy_seconds),
        "sub_agency_id": sub_agencies[0].pk,
        "sub_agency_key": sub_agency_key,
        "data_partner_key": data_partner_key,
    }
