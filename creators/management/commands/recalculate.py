"""Recalculate performance and eligibility in this process, with a progress bar."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from creators.models import RecalcRun
from creators.services import recalc


class Command(BaseCommand):
    help = (
        "Recalculate performance snapshots and eligibility as of a date (default: yesterday, "
        "UTC). Incremental unless --full or --creator is given."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as-of", type=dt.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--full", action="store_true", help="Every creator.")
        parser.add_argument("--creator", type=int, nargs="+", default=[], help="Creator ids.")
        parser.add_argument("--chunk-size", type=int, default=recalc.DEFAULT_CHUNK_SIZE)

    def handle(self, *args, as_of, full, creator, chunk_size, **options) -> None:
        as_of = as_of or recalc.default_as_of()
        mode = RecalcRun.Mode.FULL if full or creator else RecalcRun.Mode.INCREMENTAL
        ids = recalc.recalc_creator_ids(as_of=as_of, mode=mode, creator_ids=creator or None)
        if creator and len(ids) != len(set(creator)):
            missing = sorted(set(creator) - set(ids))
            raise CommandError(f"Unknown creator id(s): {', '.join(map(str, missing))}")
        chunks = -(-len(ids) // chunk_size)
        with tqdm(total=chunks, unit="chunk", disable=None, file=self.stderr) as bar:
            run = recalc.recalc_run_inline(
                as_of=as_of,
                mode=mode,
                trigger=RecalcRun.Trigger.COMMAND,
                creator_ids=ids if creator else None,
                chunk_size=chunk_size,
                progress=bar.update,
            )
        self.stdout.write(
            f"Run {run.pk} ({run.mode}) as of {as_of}: {run.status}, {run.creators_total} "
            f"creators in {run.chunks_total} chunks, {run.rows_written} rows changed."
        )
