"""Recalculation runs: fan out creator ids in chunks, count completion in PostgreSQL.

``recalc_start`` records a run and its chunks and enqueues one task per chunk after
commit. ``recalc_chunk_process`` computes one chunk (performance snapshots, then
eligibility) in one transaction and marks it done; whichever chunk finishes last, under a
lock on the run row, scores the cohort and closes the run. Everything is an upsert that
skips unchanged rows, so a re-run (or a redelivered task) changes nothing, and a failed
chunk can be retried alone (``recalc_run_retry_failed``).

Nothing queued is lost: a chunk's state lives here, not in the broker. ``recalc_redrive``
(periodic) sends again every chunk still pending or running long after it was handed out
(a message lost with Redis, a worker killed outright) and settles runs whose chunks all
finished but whose closing step died with its worker.

Incremental mode takes the creators whose metrics or videos changed since the last
successful run started, plus those with no snapshot for ``as_of`` yet (windows move every
day, so a new date needs everyone once). Full mode takes every creator with an account.
"""

import datetime as dt
from collections.abc import Sequence

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from agency.locks import try_advisory_lock
from agency.queueing import enqueue_on_commit
from creators.models import (
    Creator,
    CreatorPerformance,
    DailyAccountMetric,
    PlatformAccount,
    RecalcChunk,
    RecalcRun,
    Video,
    VideoDailyMetric,
)
from creators.services.eligibility import eligibility_evaluate_chunk
from creators.services.performance import performance_compute_chunk, performance_score
from creators.services.waves import waves_compute_chunk

RECALC_CHUNK_TASK = "creators.tasks.recalc_chunk"  # registered by creators.apps

logger = structlog.get_logger(__name__)

DEFAULT_CHUNK_SIZE = 500
NIGHTLY_LOCK = ("creators", "recalc_nightly")  # advisory lock of the nightly trigger
REDRIVE_LOCK = ("creators", "recalc_redrive")  # advisory lock of the sweeper


def default_as_of() -> dt.date:
    """Yesterday (UTC): the last complete day of metrics."""
    return timezone.now().date() - dt.timedelta(days=1)


def recalc_creator_ids(
    *, as_of: dt.date, mode: str, creator_ids: Sequence[int] | None = None
) -> list[int]:
    # A creator with no platform account has nothing to compute, in every mode.
    has_account = Exists(PlatformAccount.objects.filter(creator=OuterRef("pk")))
    creators = Creator.objects.filter(has_account)
    if creator_ids is not None:  # a selection, even an empty one, is never "everyone"
        return list(creators.filter(id__in=creator_ids).order_by("pk").values_list("pk", flat=True))
    if mode == RecalcRun.Mode.INCREMENTAL:
        last = (
            RecalcRun.objects.filter(status=RecalcRun.Status.SUCCEEDED, selected_only=False)
            .order_by("-started_at")
            .values_list("started_at", flat=True)
            .first()
        )
        if last is not None:  # with no successful run yet, everyone
            missing = ~Exists(
                CreatorPerformance.objects.filter(creator=OuterRef("pk"), as_of=as_of)
            )
            changed_metric = DailyAccountMetric.objects.filter(
                account__creator=OuterRef("pk"), updated_at__gte=last
            )
            changed_video = Video.objects.filter(
                account__creator=OuterRef("pk"), updated_at__gte=last
            )
            changed_video_day = VideoDailyMetric.objects.filter(
                video__account__creator=OuterRef("pk"), updated_at__gte=last
            )
            creators = creators.filter(
                missing | Exists(changed_metric) | Exists(changed_video) | Exists(changed_video_day)
            )
    return list(creators.order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def recalc_start(
    *,
    as_of: dt.date,
    mode: str = RecalcRun.Mode.INCREMENTAL,
    trigger: str = RecalcRun.Trigger.COMMAND,
    creator_ids: Sequence[int] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    enqueue: bool = True,
) -> RecalcRun:
    """Record a run and its chunks; with ``enqueue`` each chunk task is sent after commit."""
    ids = recalc_creator_ids(as_of=as_of, mode=mode, creator_ids=creator_ids)
    chunks = [ids[i : i + chunk_size] for i in range(0, len(ids), chunk_size)]
    run = RecalcRun.objects.create(
        as_of=as_of,
        mode=mode,
        trigger=trigger,
        selected_only=creator_ids is not None,
        chunk_size=chunk_size,
        creators_total=len(ids),
        chunks_total=len(chunks),
    )
    chunk_rows = RecalcChunk.objects.bulk_create(
        [
            RecalcChunk(run=run, index=i, creator_ids=c, enqueued_at=run.started_at)
            for i, c in enumerate(chunks)
        ]
    )
    if not chunks:
        run.status = RecalcRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at"])
    if enqueue:
        _enqueue([c.pk for c in chunk_rows])
    logger.info("recalc_started", run_id=run.pk, creators=len(ids), chunks=len(chunks))
    return run


def _enqueue(chunk_ids: Sequence[int]) -> None:
    """Mark the chunks handed out now and send one task each after commit. A broker that
    is down then loses nothing: the sweeper sends them again."""
    RecalcChunk.objects.filter(pk__in=chunk_ids).update(enqueued_at=timezone.now())
    for chunk_id in chunk_ids:
        enqueue_on_commit(RECALC_CHUNK_TASK, chunk_id)  # by name: tasks import this module


def recalc_chunk_process(*, chunk_id: int) -> RecalcChunk:
    """Compute one chunk. Safe to run twice: a done chunk returns at once."""
    with transaction.atomic():
        chunk = RecalcChunk.objects.select_for_update().select_related("run").get(pk=chunk_id)
        already_done = chunk.status == RecalcChunk.Status.DONE
        if not already_done:
            chunk.status = RecalcChunk.Status.RUNNING
            chunk.attempts += 1
            chunk.started_at = timezone.now()
            chunk.error = ""
            chunk.save(update_fields=["status", "attempts", "started_at", "error"])
    if already_done:
        # A redelivery after the chunk committed: settle the run in case the worker died
        # before it did (settling twice is harmless).
        _run_settle(run_id=chunk.run_id)
        return chunk
    run = chunk.run
    try:
        with transaction.atomic():
            rows = performance_compute_chunk(as_of=run.as_of, creator_ids=chunk.creator_ids)
            rows += eligibility_evaluate_chunk(as_of=run.as_of, creator_ids=chunk.creator_ids)
            rows += waves_compute_chunk(as_of=run.as_of, creator_ids=chunk.creator_ids)
            RecalcChunk.objects.filter(pk=chunk.pk).update(
                status=RecalcChunk.Status.DONE, rows_written=rows, finished_at=timezone.now()
            )
    except Exception as exc:
        RecalcChunk.objects.filter(pk=chunk.pk).update(
            status=RecalcChunk.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        logger.warning("recalc_chunk_failed", run_id=run.pk, chunk_id=chunk.pk, error=str(exc))
        _run_settle(run_id=run.pk)
        raise
    _run_settle(run_id=run.pk)
    chunk.refresh_from_db()
    return chunk


@transaction.atomic
def _run_settle(*, run_id: int) -> RecalcRun:
    """Count the chunks in the database; the last one to finish scores and closes the run."""
    run = RecalcRun.objects.select_for_update().get(pk=run_id)
    if run.status == RecalcRun.Status.SUCCEEDED:
        return run
    counts = run.chunks.aggregate(
        done=Count("pk", filter=Q(status=RecalcChunk.Status.DONE)),
        failed=Count("pk", filter=Q(status=RecalcChunk.Status.FAILED)),
        rows=Sum("rows_written", default=0),
    )
    run.chunks_done, run.chunks_failed = counts["done"], counts["failed"]
    run.rows_written = counts["rows"]
    errors = run.chunks.filter(status=RecalcChunk.Status.FAILED).values_list("error", flat=True)
    run.error = "\n".join(errors)[:10_000]
    if run.chunks_done == run.chunks_total:
        run.rows_written += performance_score(as_of=run.as_of)
        run.status = RecalcRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
    elif run.chunks_done + run.chunks_failed == run.chunks_total:
        run.status = RecalcRun.Status.FAILED
        run.finished_at = timezone.now()
    run.save()
    return run


@transaction.atomic
def recalc_run_retry_failed(*, run_id: int, enqueue: bool = True) -> list[int]:
    """Put a run's failed chunks back to pending (and enqueue them); others are untouched."""
    run = RecalcRun.objects.select_for_update().get(pk=run_id)
    chunk_ids = list(
        run.chunks.filter(status=RecalcChunk.Status.FAILED).values_list("pk", flat=True)
    )
    if chunk_ids:
        RecalcChunk.objects.filter(pk__in=chunk_ids).update(status=RecalcChunk.Status.PENDING)
        run.status, run.finished_at = RecalcRun.Status.RUNNING, None
        run.save(update_fields=["status", "finished_at"])
        if enqueue:
            _enqueue(chunk_ids)
    return chunk_ids


def recalc_redrive(*, stale_after: dt.timedelta | None = None, enqueue: bool = True) -> list[int]:
    """The sweeper: send again every chunk of a running run that is still pending, or still
    running, ``stale_after`` (``RECALC_REDRIVE_AFTER_MINUTES``) after it was handed out, and
    settle running runs with no unfinished chunk left. Returns the chunk ids sent.

    Idempotent: a chunk sent twice is computed once more at most (upserts; a done chunk
    returns at once), and each chunk is sent at most once per ``stale_after``. Concurrent
    sweeps skip (advisory lock).
    """
    if stale_after is None:
        stale_after = dt.timedelta(minutes=settings.RECALC_REDRIVE_AFTER_MINUTES)
    cutoff = timezone.now() - stale_after
    with transaction.atomic():
        if not try_advisory_lock(*REDRIVE_LOCK):
            return []
        handed_out_long_ago = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=cutoff)
        # A running chunk counts from when it started: its task may have begun long after
        # it was sent, behind a queue.
        stale = Q(status=RecalcChunk.Status.PENDING) | Q(
            status=RecalcChunk.Status.RUNNING, started_at__lt=cutoff
        )
        chunk_ids = list(
            RecalcChunk.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(handed_out_long_ago & stale, run__status=RecalcRun.Status.RUNNING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if chunk_ids:
            logger.warning("recalc_chunks_redriven", chunks=len(chunk_ids))
            if enqueue:
                _enqueue(chunk_ids)
            else:
                RecalcChunk.objects.filter(pk__in=chunk_ids).update(enqueued_at=timezone.now())
    unfinished = RecalcChunk.objects.filter(
        run=OuterRef("pk"), status__in=[RecalcChunk.Status.PENDING, RecalcChunk.Status.RUNNING]
    )
    orphaned = RecalcRun.objects.filter(status=RecalcRun.Status.RUNNING, started_at__lt=cutoff)
    for run_id in orphaned.filter(~Exists(unfinished)).values_list("pk", flat=True):
        _run_settle(run_id=run_id)
    return chunk_ids


@transaction.atomic
def recalc_nightly(*, as_of: dt.date | None = None, enqueue: bool = True) -> RecalcRun | None:
    """The scheduled run. An advisory lock plus a unique row per date: triggered twice, it
    runs once (the second call returns None)."""
    as_of = as_of or default_as_of()
    if not try_advisory_lock(*NIGHTLY_LOCK):
        return None
    if RecalcRun.objects.filter(as_of=as_of, trigger=RecalcRun.Trigger.NIGHTLY).exists():
        return None
    return recalc_start(
        as_of=as_of,
        mode=RecalcRun.Mode.INCREMENTAL,
        trigger=RecalcRun.Trigger.NIGHTLY,
        enqueue=enqueue,
    )


def recalc_run_inline(
    *,
    as_of: dt.date,
    mode: str = RecalcRun.Mode.FULL,
    trigger: str = RecalcRun.Trigger.COMMAND,
    creator_ids: Sequence[int] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress=None,
) -> RecalcRun:
    """The same run in this process (command, admin, demo): chunks one after another."""
    run = recalc_start(
        as_of=as_of,
        mode=mode,
        trigger=trigger,
        creator_ids=creator_ids,
        chunk_size=chunk_size,
        enqueue=False,
    )
    for chunk_id in run.chunks.order_by("index").values_list("pk", flat=True):
        recalc_chunk_process(chunk_id=chunk_id)
        if progress is not None:
            progress(1)
    run.refresh_from_db()
    return run
