"""Record a platform's settlement report (CSV) as remittances and match them to events."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agency.rows import RowErrors
from billing.imports import MalformedFile, parse_settlement_csv
from billing.services.remittances import remittances_import
from creators.services.ingestion import format_errors


class Command(BaseCommand):
    help = (
        "Record a settlement report: one row per settled item, grouped by reference into "
        "remittances, then matched to revenue events. All or nothing: any bad row writes "
        "nothing and every bad row is listed with its line. A re-upload records nothing new."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate; write nothing.")

    def handle(self, *args, file: Path, dry_run: bool = False, **options) -> None:
        try:
            rows = parse_settlement_csv(file.read_text(encoding="utf-8-sig"))
            result = remittances_import(rows=rows, filename=file.name, dry_run=dry_run)
        except (OSError, UnicodeDecodeError, csv.Error, MalformedFile) as exc:
            raise CommandError(str(exc)) from exc
        except RowErrors as exc:
            for line in format_errors({"rows": exc.extra["rows"]}):
                self.stderr.write(line)
            raise CommandError(exc.message) from exc
        known = len(result.known)
        if dry_run:
            self.stdout.write(
                f"Dry run: {result.new} new remittances, {known} already recorded; "
                "nothing was written."
            )
            return
        self.stdout.write(f"Recorded {result.new} remittances, {known} already recorded.")
        for remittance in result.created:
            self.stdout.write(f"  {remittance}: {remittance.get_status_display()}")
