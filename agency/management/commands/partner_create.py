from django.core.management.base import BaseCommand, CommandError

from agency import services
from agency.models import Partner


class Command(BaseCommand):
    help = "Create a partner and print its first API key (shown once, never stored)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, choices=Partner.Kind.values)

    def handle(self, *args, name: str, kind: str, **options) -> None:
        if Partner.objects.filter(name=name, kind=kind).exists():
            raise CommandError(f"A {kind} partner named {name!r} exists already.")
        partner = services.partner_create(name=name, kind=kind)
        _, key = services.partner_api_key_create(partner=partner, name=f"{name} key")
        self.stdout.write(f"Partner {partner.pk}: {partner}")
        self.stdout.write(f"API key (store it now, it will not be shown again): {key}")
        self.stdout.write(f"Use it as the header   Authorization: Api-Key {key}")
