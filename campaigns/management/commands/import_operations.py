"""Import operations data from a CSV file (the same service as the partner API).

Kinds and their columns (a header row names them; empty cells count as absent):
- live_sessions: external_id, platform, platform_account_id, started_at, ended_at, viewers,
  peak_viewers, product_clicks, orders, diamonds, currency, gifts_value, gmv,
  commerce_commission_rate, operated_by_agency, client_id, operation_fee
- affiliate_orders: external_id, link, product, gmv, currency, commission_rate, ordered_on,
  settlement_days
- affiliate_refunds: order_external_id, external_id, amount, refunded_on
- live_commerce_refunds: session_external_id, external_id, amount, refunded_on
- ad_spend: platform, ad_account_id, spent_on, currency, amount
Money is in major units ("3500.00"). Rows are recorded in the staff namespace.
"""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rest_framework.exceptions import ValidationError

from campaigns.services.operations_intake import KINDS, operations_ingest_csv
from creators.services.ingestion import format_errors


class Command(BaseCommand):
    help = (
        "Import live sessions, affiliate orders or refunds, live-commerce refunds or ad spend "
        "from a CSV with a header row. All or nothing: any bad row writes nothing and every "
        "bad row is listed with its line. --dry-run counts what would change; writes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Report only; write nothing.")

    def handle(self, *args, kind: str, file: Path, dry_run: bool, **options) -> None:
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        with file.open(newline="", encoding="utf-8-sig") as fh:
            try:
                result = operations_ingest_csv(kind=kind, file=fh, dry_run=dry_run)
            except (UnicodeDecodeError, csv.Error) as exc:
                raise CommandError(f"{file} is not a readable UTF-8 CSV file: {exc}") from exc
            except ValidationError as exc:
                if isinstance(exc.detail, dict) and "file" in exc.detail:
                    raise CommandError(f"{file}: {'; '.join(exc.detail['file'])}") from exc
                for line in format_errors(exc.detail):
                    self.stderr.write(line)
                raise CommandError("Nothing was imported: fix the rows above.") from exc
        verb = "Would create" if dry_run else "Created"
        self.stdout.write(
            f"{verb} {result.created}, {'would update' if dry_run else 'updated'} "
            f"{result.updated}, unchanged {result.unchanged} ({result.rows} {kind} rows)."
        )
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
