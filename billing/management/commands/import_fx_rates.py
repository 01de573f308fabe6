"""Import dated exchange rates from CSV (columns base, quote, valid_on, rate)."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agency.errors import ApplicationError
from billing.imports import MalformedFile, parse_rates_csv
from billing.services.fx import exchange_rates_upsert


class Command(BaseCommand):
    help = "Insert or update exchange rates from a CSV file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:
        try:
            rows = parse_rates_csv(file.read_text(encoding="utf-8-sig"))
            count = exchange_rates_upsert(rows=rows, source=file.name)
        except (OSError, UnicodeDecodeError, csv.Error, MalformedFile, ApplicationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{count} rates imported.")
