"""Import daily or video metrics from a CSV file (the same service as the API)."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rest_framework.exceptions import ValidationError
from tqdm import tqdm

from creators.services.ingestion import format_errors, metrics_ingest_csv
from creators.services.ingestion_rows import KINDS


def guess_kind(header: list[str]) -> str:
    if "platform_video_id" not in header:
        return "daily"
    if "hour" in header:
        return "video_hourly"
    return "video_daily" if "date" in header else "videos"


def _data_lines(path: Path) -> int:
    """Lines after the header (the bar's total; a quoted cell may span lines)."""
    lines = 0
    with path.open("rb") as raw:
        while block := raw.read(1 << 20):
            lines += block.count(b"\n")
    return max(lines - 1, 0)


class Command(BaseCommand):
    help = (
        "Import metrics from a CSV with a header row. All or nothing: any bad row writes "
        "nothing and every bad row is listed with its line. --dry-run reports what would be "
        "created or changed and writes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", choices=KINDS, help="Default: from the header row.")
        parser.add_argument("--dry-run", action="store_true", help="Report only; write nothing.")

    def handle(self, *args, file: Path, kind: str | None, dry_run: bool, **options) -> None:
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        with file.open(newline="", encoding="utf-8-sig") as fh:
            try:
                if kind is None:
                    kind = guess_kind(next(csv.reader(fh), []))
                    fh.seek(0)
                # A progress bar on a terminal (tqdm is silent when stderr is not one).
                with tqdm(
                    total=_data_lines(file), unit="row", disable=None, file=self.stderr
                ) as bar:
                    result = metrics_ingest_csv(
                        kind=kind,
                        file=fh,
                        dry_run=dry_run,
                        progress=lambda n: bar.update(n - bar.n),
                    )
            except (UnicodeDecodeError, csv.Error) as exc:
                raise CommandError(f"{file} is not a readable UTF-8 CSV file: {exc}") from exc
            except ValidationError as exc:
                if isinstance(exc.detail, dict) and "file" in exc.detail:  # not rows: the file
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
            for index, key, action in result.changes[:100]:
                self.stdout.write(f"  line {index + 2}: {action} {key}")
            self.stdout.write("Dry run: nothing was written.")
