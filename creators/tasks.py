"""Thin Celery tasks over creators.services.recalc; ids in, safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from agency.celery import Queue
from creators.services import recalc, waves

_RECALC = dict(
    queue=Queue.RECALC,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)


@shared_task(
    **_RECALC,
    # Below the sweeper's deadline, so the sweeper never doubles a live chunk.
    soft_time_limit=settings.RECALC_CHUNK_SOFT_TIME_LIMIT,
    time_limit=settings.RECALC_CHUNK_TIME_LIMIT,
)
def recalc_chunk(chunk_id: int) -> None:
    """Compute one chunk of a run (performance snapshots and eligibility)."""
    recalc.recalc_chunk_process(chunk_id=chunk_id)


@shared_task(**_RECALC)
def recalc_nightly() -> int | None:
    """Start the nightly incremental run for yesterday; a second trigger does nothing."""
    run = recalc.recalc_nightly()
    return run.pk if run else None


@shared_task(**_RECALC)
def recalc_run_retry_failed(run_id: int) -> list[int]:
    """Re-enqueue only the failed chunks of a run."""
    return recalc.recalc_run_retry_failed(run_id=run_id)


@shared_task(**_RECALC)
def recalc_redrive() -> int:
    """Periodic: send again the chunks a broker outage or a killed worker lost."""
    return len(recalc.recalc_redrive())


@shared_task(**_RECALC)
def video_daily_purge() -> int | None:
    """Delete daily video rows past the retention (a second concurrent trigger does nothing)."""
    return waves.video_daily_purge()
