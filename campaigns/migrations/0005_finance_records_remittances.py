"""Finance records and matches platform remittances, closes creators' months and prepares
payout batches on demand: the finance role gets those permissions (its list in
0004_staff_roles plus these grants; tests compare the groups with both)."""

from django.db import migrations

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


def _permissions(apps, name: str):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():  # permissions are made after migrate else
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    for app_label, codename in GRANTS[name]:
        yield Permission.objects.get(content_type__app_label=app_label, codename=codename)


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GRANTS:
        Group.objects.get(name=name).permissions.add(*_permissions(apps, name))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GRANTS:
        Group.objects.get(name=name).permissions.remove(*_permissions(apps, name))


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0004_staff_roles"), ("billing", "0006_remittances")]

    operations = [migrations.RunPython(grant, revoke)]
