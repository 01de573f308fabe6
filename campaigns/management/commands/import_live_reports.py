"""Import monthly LIVE reports (diamonds, valid live days, live minutes) from CSV.

Columns: platform, platform_account_id, month (YYYY-MM), diamonds, valid_live_days,
live_minutes. All rows are validated first; any bad row aborts the import and every bad row
is reported with its line number (the header is line 1). ``--dry-run`` writes nothing.
"""

import csv
import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agency.rows import RowErrors
from campaigns.services.live import REPORT_COLUMNS, live_reports_import


class Command(BaseCommand):
    help = "Import monthly LIVE reports from a CSV file (all or nothing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate; write nothing.")

    def handle(self, *args, file: Path, dry_run: bool = False, **options) -> None:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            reader = csv.DictReader(io.StringIO(text))
            missing = [c for c in REPORT_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise CommandError(f"Missing columns: {', '.join(missing)}.")
            rows = list(reader)
        except csv.Error as exc:
            raise CommandError(f"{file} is not a readable CSV file: {exc}") from exc
        try:
            result = live_reports_import(rows=rows, dry_run=dry_run)
        except RowErrors as exc:
            lines = [exc.message]
            for line, reasons in exc.extra["rows"].items():
                lines.extend(f"  line {line}: {reason}" for reason in reasons)
            raise CommandError("\n".join(lines)) from exc
        prefix = "Dry run: would import" if dry_run else "Imported"
        self.stdout.write(f"{prefix} {result.created} new and {result.updated} updated reports.")
