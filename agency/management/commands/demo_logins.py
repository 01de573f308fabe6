from django.core.management.base import BaseCommand

from agency import demo


class Command(BaseCommand):
    help = (
        "Print one demo login per staff role (agency admin, finance, operations, talent "
        "manager), creating any that is missing; a finance login without an authenticator "
        "is enrolled and its enrolment printed this one time."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--base-url", default="", help="Prefix for the landing links.")

    def handle(self, *args, base_url: str = "", **options) -> None:
        self.stdout.write("Demo logins (demo data only):")
        demo.ensure_logins(stdout=self.stdout, base_url=base_url)
