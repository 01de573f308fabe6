"""Dashboard follow-ups: finance reads the recorded ledger checks; talent managers open the
programs their creators' eligibility results link to (their list in 0004_staff_roles plus
these grants; tests compare the groups with both)."""

from django.db import migrations

from agency.roles import grants_migration

GRANTS = {
    "finance": [("billing", "view_ledgercheck")],
    "talent managers": [("creators", "view_eligibilityprogram")],
}

FORWARD, BACKWARD = grants_migration(GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0007_state_machines"),
        ("billing", "0008_ledgercheck"),
    ]

    operations = [migrations.RunPython(FORWARD, BACKWARD)]
