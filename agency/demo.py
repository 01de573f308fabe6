"""Demo partners with known API keys, and one demo login per staff role, so the API and the
admin can be tried right after ``make run``."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp import devices_for_user

from agency import roles, services
from agency.models import Partner

# Demo only: every demo staff login shares it; change it (or the users) on a shared machine.
DEMO_PASSWORD = "demo-staff-password"

# role, username, what the login is for, and its landing page (the role's dashboard)
DEMO_LOGINS = [
    (roles.AGENCY_ADMIN, "agency.ada", "partners, API keys, webhooks; proposes plans",
     "/admin/"),
    (roles.FINANCE, "finance.ben", "approves payout batches finance.anna prepared, closes months",
     "/admin/"),
    (roles.OPERATIONS, "ops.olga", "deals, live sessions, ad spend, invoices",
     "/admin/"),
    (roles.TALENT_MANAGER, "ana.manager", "her own creators, their scores and eligibility",
     "/admin/"),
]  # fmt: skip

DEMO_PARTNERS = [
    ("Glow Cosmetics", Partner.Kind.BRAND),
    ("Nimbus Audio", Partner.Kind.BRAND),
    ("Star Guild", Partner.Kind.SUB_AGENCY),
    ("Metricsy Data", Partner.Kind.DATA_PARTNER),
]


def seed(*, stdout) -> None:
    for name, kind in DEMO_PARTNERS:
        partner = services.partner_create(name=name, kind=kind)
        _, key = services.partner_api_key_create(partner=partner, name="demo key")
        stdout.write(f"  {kind:<13} {name:<16} Authorization: Api-Key {key}")


def ensure_logins(*, stdout, base_url: str = "") -> None:
    """One login per role (created if missing, put in its role's group). A demo user with no
    usable password gets :data:`DEMO_PASSWORD`; one who changed it keeps theirs. A login that
    needs a second factor (finance) and has no authenticator is enrolled, and the enrolment
    is printed this one time, as for the first admin."""
    user_model = get_user_model()
    for role, username, duty, landing in DEMO_LOGINS:
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"is_staff": True, "email": f"{username}@agency.test"}
        )
        if created or not user.has_usable_password() or not user.is_staff:
            user.is_staff = True
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=role))
        shown = DEMO_PASSWORD if user.check_password(DEMO_PASSWORD) else "(changed since)"
        stdout.write(
            f"  {role:<15} user: {username:<12} password: {shown}   {duty}; "
            f"starts at {base_url}{landing}"
        )
        if roles.needs_second_factor(user):
            if next(iter(devices_for_user(user, confirmed=True)), None) is None:
                device = services.staff_totp_enrol(user=user)
                stdout.write(
                    f"  {username} logs in with an authenticator code too. Add it now (shown "
                    f"once; manage.py otp_enrol {username} --replace makes a new one):"
                )
                stdout.write(services.totp_setup_text(device))
            else:
                stdout.write(f"  {username}: authenticator enrolled earlier")
