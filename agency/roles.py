"""Staff roles: groups created with exact permissions by a data migration
(campaigns/migrations/0003_staff_roles.py, the last app in the dependency order, so every
permission exists by then). Names only here; the permissions live in that migration.

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
