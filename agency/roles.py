"""Staff roles: groups created with exact permissions by a data migration
(campaigns/migrations/0004_staff_roles.py, the last app in the dependency order, so every
permission exists by then), extended by later migrations there that declare ``GRANTS`` and
apply them with :func:`grants_migration`. Names only here; the permissions live in those
migrations.

A superuser holds every permission but no role: money moves that need the finance role
(approving payout batches, marking payouts paid) need a finance member, never just a
superuser, so four-eyes cannot be bypassed by the most powerful login.
"""

AGENCY_ADMIN = "agency admin"
FINANCE = "finance"
OPERATIONS = "operations"
TALENT_MANAGER = "talent managers"

ROLES = (AGENCY_ADMIN, FINANCE, OPERATIONS, TALENT_MANAGER)


def has_role(user, role: str) -> bool:
    """An active staff member of the role's group."""
    if not (user and user.is_active and user.is_staff):
        return False
    return user.groups.filter(name=role).exists()


def needs_second_factor(user) -> bool:
    """Superusers and finance members log in with a TOTP token as well as a password."""
    return bool(user and user.is_superuser) or has_role(user, FINANCE)


def grants_migration(grants: dict[str, list[tuple[str, str]]]):
    """The (forward, backward) RunPython pair that adds ``grants`` (role -> [(app_label,
    codename)]) to the roles' groups, and takes them away again."""

    def permissions(apps, role: str):
        from django.contrib.auth.management import create_permissions

        for app_config in apps.get_app_configs():  # permissions are made after migrate else
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
        Permission = apps.get_model("auth", "Permission")
        for app_label, codename in grants[role]:
            yield Permission.objects.get(content_type__app_label=app_label, codename=codename)

    def grant(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        for role in grants:
            Group.objects.get(name=role).permissions.add(*permissions(apps, role))

    def revoke(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        for role in grants:
            Group.objects.get(name=role).permissions.remove(*permissions(apps, role))

    return grant, revoke
