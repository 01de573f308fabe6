"""Load demo data. Each app contributes a ``demo.py`` with ``seed(*, stdout) -> None``.

Apps are discovered (``autodiscover_modules``), so this command imports none of them and
every app's seeding runs in dependency order: agency, creators, billing, campaigns.
"""

import importlib

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from agency.models import Partner

APP_ORDER = ["agency", "creators", "billing", "campaigns"]


class Command(BaseCommand):
    help = "Load realistic demo data (skipped when demo data exists, unless --force)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="Seed even if data exists.")

    def handle(self, *args, force: bool = False, **options) -> None:
        if Partner.objects.exists() and not force:
            self.stdout.write("Demo data is present already; nothing to do (use --force).")
            return
        with transaction.atomic():
            for label in APP_ORDER:
                config = apps.get_app_config(label)
                if module_has_submodule(config.module, "demo"):
                    module = importlib.import_module(f"{config.name}.demo")
                    self.stdout.write(f"Seeding {label}...")
                    module.seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
