"""Finance closes creators' months from the admin (statement page button, list action):
the finance role gets ``billing.change_statement``. Statements stay read-only in the admin;
the permission only admits the close action, which calls the closing service."""

from django.db import migrations

GRANTS = {"finance": [("billing", "change_statement")]}


def _permissions(apps, name: str):
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
    dependencies = [("campaigns", "0004_staff_roles")]

    operations = [migrations.RunPython(grant, revoke)]
