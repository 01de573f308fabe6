"""Stage a revenue CSV as an import batch awaiting approval (or only check it: --dry-run)."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agency.rows import RowErrors
from billing.imports import MalformedFile, parse_revenue_csv
from billing.services.events import revenue_events_import


class Command(BaseCommand):
    help = "Import revenue events from CSV into a batch that a staff member approves."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate; write nothing.")

    def handle(self, *args, file: Path, dry_run: bool = False, **options) -> None:
        try:
            rows = parse_revenue_csv(file.read_text(encoding="utf-8-sig"))
            batch, new, known = revenue_events_import(
                rows=rows, filename=file.name, dry_run=dry_run
            )
        except (OSError, UnicodeDecodeError, csv.Error, MalformedFile) as exc:
            raise CommandError(str(exc)) from exc
        except RowErrors as exc:
            for index, fields in exc.extra["rows"].items():
                for field, reasons in fields.items():
                    self.stderr.write(f"row {index}: {field}: {'; '.join(reasons)}")
            raise CommandError(exc.message) from exc
        if dry_run:
            self.stdout.write(f"Dry run: {new} new events, {known} already imported.")
        else:
            self.stdout.write(
                f"Import batch #{batch.pk}: {new} new events staged, {known} already imported. "
                "They post when a staff member approves the batch."
            )
