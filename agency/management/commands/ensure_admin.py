import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the first superuser if there is none: ADMIN_USERNAME / ADMIN_PASSWORD from the "
        "environment, else 'admin' with a generated password printed this one time."
    )

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An admin login exists already.")
            return
        username = os.environ.get("ADMIN_USERNAME", "admin")
        password = os.environ.get("ADMIN_PASSWORD")
        generated = not password
        password = password or secrets.token_urlsafe(12)
        User.objects.create_superuser(username, f"{username}@agency.local", password)
        shown = password if generated else "(from ADMIN_PASSWORD)"
        self.stdout.write(f"Created admin login   user: {username}   password: {shown}")
