from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from agency import services
from agency.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Enrol an authenticator app (TOTP) for a staff login and print its otpauth:// URI, "
        "secret and QR code. Superusers and finance members need one to use the admin."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace the login's authenticator (a lost phone): the old one stops working.",
        )

    def handle(self, *args, username: str, replace: bool, **options) -> None:
        user = get_user_model().objects.filter(username=username, is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff login named {username!r}.")
        try:
            device = services.staff_totp_enrol(user=user, replace=replace)
        except ApplicationError as exc:
            raise CommandError(f"{exc.message} Use --replace.") from exc
        self.stdout.write(f"Authenticator enrolled for {username}. Add it to your app:")
        self.stdout.write(services.totp_setup_text(device))
