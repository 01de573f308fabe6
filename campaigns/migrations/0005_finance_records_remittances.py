"""Finance records and matches platform remittances, closes creators' months and prepares
payout batches on demand: the finance role gets those permissions (its list in
0004_staff_roles plus these grants; tests compare the groups with both)."""

from django.db import migrations

from agency.roles import grants_migration

GRANTS = {
    "finance": [
        ("billing", "view_remittance"),
        ("billing", "add_remittance"),
        ("billing", "change_remittance"),
        ("billing", "view_remittanceline"),
        ("billing", "view_remittancematch"),
        ("billing", "add_payoutbatch"),
        ("billing", "change_statement"),
    ]
}


FORWARD, BACKWARD = grants_migration(GRANTS)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0004_staff_roles"), ("billing", "0006_remittances")]

    operations = [migrations.RunPython(FORWARD, BACKWARD)]
