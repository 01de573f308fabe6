"""Traffic pools and scoring versions: talent managers read their creators' video waves and
send daily video metrics; the agency admin keeps the pool and scoring definitions (its list
in 0004_staff_roles plus these grants; tests compare the groups with both)."""

from django.db import migrations

from agency.roles import grants_migration

VAC = ("view", "add", "change")

GRANTS = {
    "talent managers": [
        ("creators", "view_videowave"),
        ("creators", "view_creatorwavesummary"),
        *(("creators", f"{a}_videodailymetric") for a in VAC),
    ],
    "agency admin": [
        ("creators", f"{a}_{m}")
        for m in ("trafficpoolversion", "trafficpool", "scoringversion")
        for a in VAC
    ],
}

FORWARD, BACKWARD = grants_migration(GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0005_finance_records_remittances"),
        ("creators", "0011_account_strike_flags"),
    ]

    operations = [migrations.RunPython(FORWARD, BACKWARD)]
