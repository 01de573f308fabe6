"""Hourly video metrics: talent managers send and read them for their creators, as they do
the daily video rows (0006_video_waves_roles). The agency admin keeps the monetisation
programs and their rule sets (thresholds, rates per country), as it keeps the pool and
scoring definitions; until now only superusers could edit them."""

from django.db import migrations

from agency.roles import grants_migration

VAC = ("view", "add", "change")

GRANTS = {
    "talent managers": [("creators", f"{a}_videohourlymetric") for a in VAC],
    "agency admin": [
        ("creators", f"{a}_{m}") for m in ("eligibilityprogram", "eligibilityruleset") for a in VAC
    ],
}

FORWARD, BACKWARD = grants_migration(GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0011_data_partner_creators_grants"),
        ("creators", "0015_video_hourly_metrics"),
    ]

    operations = [migrations.RunPython(FORWARD, BACKWARD)]
