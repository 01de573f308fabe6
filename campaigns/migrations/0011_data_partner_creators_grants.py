"""The agency admin assigns creators to data partners (when data partners are scoped to
their assigned creators); finance reads the assignments (its list in 0004_staff_roles plus
these grants; tests compare the groups with both)."""

from django.db import migrations

from agency.roles import grants_migration

GRANTS = {
    "agency admin": [
        ("billing", "view_datapartnercreator"),
        ("billing", "add_datapartnercreator"),
        ("billing", "delete_datapartnercreator"),
    ],
    "finance": [("billing", "view_datapartnercreator")],
}


FORWARD, BACKWARD = grants_migration(GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0010_live_operations_roles"),
        ("billing", "0013_payees_and_data_partner_creators"),
    ]

    operations = [migrations.RunPython(FORWARD, BACKWARD)]
