import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django_otp import devices_for_user

from agency import services


class Command(BaseCommand):
    help = (
        "Create the first superuser if there is none: ADMIN_USERNAME / ADMIN_PASSWORD from the "
        "environment, else 'admin' with a generated password printed this one time. A "
        "superuser logs in with a TOTP code too: a first admin with no authenticator gets one, "
        "printed (otpauth:// URI, secret, QR code) this one time."
    )

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        admin = User.objects.filter(is_superuser=True).order_by("pk").first()
        if admin is not None:
            self.stdout.write(f"An admin login exists already ({admin.get_username()}).")
        else:
            username = os.environ.get("ADMIN_USERNAME", "admin")
            password = os.environ.get("ADMIN_PASSWORD")
            generated = not password
            password = password or secrets.token_urlsafe(12)
            admin = User.objects.create_superuser(username, f"{username}@agency.local", password)
            shown = password if generated else "(from ADMIN_PASSWORD)"
            self.stdout.write(f"Created admin login   user: {username}   password: {shown}")
        if next(iter(devices_for_user(admin, confirmed=True)), None) is None:
            device = services.staff_totp_enrol(user=admin)
            self.stdout.write(
                f"The admin logs in with a code from an authenticator app too. "
                f"Add {admin.get_username()}'s now (shown once; "
                f"manage.py otp_enrol {admin.get_username()} --replace makes a new one):"
            )
            self.stdout.write(services.totp_setup_text(device))
