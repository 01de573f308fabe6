"""Seed the monetisation programs of domain.md's table. Editable afterwards in the admin."""

import datetime as dt

from django.db import migrations

D = dt.date

PROGRAMS = [
    {
        "code": "tiktok_creator_fund",
        "name": "TikTok Creator Fund",
        "platform": "tiktok",
        "description": "Paid per view of For You videos; closed in US, GB, FR, DE in Dec 2023.",
        "rule_sets": [
            dict(version=1, name="Creator Fund", effective_from=D(2020, 7, 1),
                 effective_to=D(2023, 12, 16), min_age=18, min_followers=10_000,
                 views_window_days=30, min_views=10_000, original_content_required=True,
                 countries=["US", "GB", "DE", "FR", "IT", "ES"], rate_basis="views",
                 rate_per_views=1_000_000, rate_min_minor=1_000, rate_max_minor=2_000,
                 rate_currency="USD", notes="USD 10-20 per 1M For You views."),
            dict(version=2, name="Creator Fund (closed in US, GB, FR, DE)",
                 effective_from=D(2023, 12, 16), min_age=18, min_followers=10_000,
                 views_window_days=30, min_views=10_000, original_content_required=True,
                 countries=["IT", "ES"], rate_basis="views", rate_per_views=1_000_000,
                 rate_min_minor=1_000, rate_max_minor=2_000, rate_currency="USD"),
        ],
    },
    {
        "code": "tiktok_creator_rewards",
        "name": "TikTok Creator Rewards",
        "platform": "tiktok",
        "description": "Creativity Program (2023), renamed Creator Rewards (2024).",
        "rule_sets": [
            dict(version=1, name="Creativity Program", effective_from=D(2023, 2, 1),
                 effective_to=D(2024, 3, 1), min_age=18, min_followers=10_000,
                 views_window_days=30, min_qualified_views=100_000,
                 video_longer_than_seconds=60, original_content_required=True,
                 countries=["US", "GB", "DE", "FR", "JP", "KR", "BR"],
                 rate_basis="qualified_views", rate_per_views=1_000, rate_min_minor=40,
                 rate_max_minor=100, rate_currency="USD"),
            dict(version=2, name="Creator Rewards", effective_from=D(2024, 3, 1), min_age=18,
                 min_followers=10_000, views_window_days=30, min_qualified_views=100_000,
                 video_longer_than_seconds=60, original_content_required=True,
                 countries=["US", "GB", "DE", "FR", "JP", "KR", "BR"],
                 rate_basis="qualified_views", rate_per_views=1_000, rate_min_minor=40,
                 rate_max_minor=100, rate_currency="USD",
                 notes="About USD 0.40-1.00 per 1,000 qualified views (about 5 s, For You)."),
        ],
    },
    {
        "code": "youtube_partner",
        "name": "YouTube Partner Program",
        "platform": "youtube",
        "description": "Revenue share; no per-view estimate.",
        "rule_sets": [
            dict(version=1, effective_from=D(2021, 1, 1), min_age=18, min_followers=1_000,
                 watch_hours_window_days=365, min_watch_hours=4_000, alt_views_window_days=90,
                 alt_min_views=10_000_000, notes="18+ or with a guardian."),
        ],
    },
    {
        "code": "shop_affiliate",
        "name": "Shop / affiliate links",
        "platform": "tiktok",
        "description": "Commission on GMV; business accounts need no followers.",
        "rule_sets": [
            dict(version=1, effective_from=D(2021, 1, 1), min_age=18, min_followers=1_000,
                 min_followers_business=0,
                 countries=["US", "GB", "ID", "MY", "PH", "SG", "TH", "VN"]),
        ],
    },
    {
        "code": "live_gifts",
        "name": "LIVE gifts",
        "platform": "tiktok",
        "description": "Host share about 50 % of gift value (US Scaled LIVE Rewards: up to 53 %).",
        "rule_sets": [
            dict(version=1, effective_from=D(2021, 1, 1), min_age=18, min_followers=1_000),
        ],
    },
    {
        "code": "brand_deal_ready",
        "name": "Brand-deal ready",
        "platform": "",
        "description": "Agency rule: ready to be offered to brands.",
        "rule_sets": [
            dict(version=1, effective_from=D(2020, 1, 1), min_age=18, min_followers=200_000),
        ],
    },
]  # fmt: skip


def seed(apps, schema_editor):
    Program = apps.get_model("creators", "EligibilityProgram")
    RuleSet = apps.get_model("creators", "EligibilityRuleSet")
    for spec in PROGRAMS:
        spec = dict(spec)
        rule_sets = spec.pop("rule_sets")
        program, _ = Program.objects.get_or_create(code=spec["code"], defaults=spec)
        for rules in rule_sets:
            RuleSet.objects.get_or_create(program=program, version=rules["version"], defaults=rules)


def unseed(apps, schema_editor):
    Program = apps.get_model("creators", "EligibilityProgram")
    Program.objects.filter(code__in=[p["code"] for p in PROGRAMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("creators", "0002_metrics_performance_eligibility")]

    operations = [migrations.RunPython(seed, unseed)]
