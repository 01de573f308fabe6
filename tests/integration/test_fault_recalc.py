"""Faults a recalculation run survives, with real processes: Redis stopped and restarted
(without persistence, so everything queued is lost) and the whole worker killed with
SIGKILL. The run completes through the sweeper, with every snapshot written exactly once.

The test plays beat: it sends the sweeper task to the worker every few seconds (its
deadline is cut to seconds for the worker through ``RECALC_REDRIVE_AFTER_MINUTES``).
Figures (tried / held) are appended to ``var/test-workers/fault-figures.log``.
"""

import datetime as dt
import time

import pytest

from agency.celery import Queue
from creators.models import Creator, CreatorPerformance, RecalcChunk, RecalcRun
from creators.services import recalc
from creators.tasks import recalc_redrive
from tests.factories.creators import DailyAccountMetricFactory, PlatformAccountFactory
from tests.integration.conftest import figures, start_worker, wait_until

pytestmark = pytest.mark.integration

AS_OF = dt.date(2026, 1, 31)
CREATORS = 150  # one chunk each: 150 messages in the broker when the fault hits
SWEEPER_ENV = {"RECALC_REDRIVE_AFTER_MINUTES": "0.05"}  # 3 s
WINDOWS = 3  # snapshots per creator and date (7, 28 and 90 days)


@pytest.fixture
def roster(django_db_setup, django_db_blocker):
    """Committed creators with an account and a day of metrics each; deleted afterwards with
    the runs this test made."""
    with django_db_blocker.unblock():
        runs_before = set(RecalcRun.objects.values_list("pk", flat=True))
        ids = []
        for i in range(CREATORS):
            account = PlatformAccountFactory()
            DailyAccountMetricFactory(account=account, date=AS_OF, followers=1_000 + i)
            ids.append(account.creator_id)
        yield ids
        RecalcRun.objects.exclude(pk__in=runs_before).delete()
        Creator.objects.filter(pk__in=ids).delete()  # cascades to snapshots and results


def _chunks(run: RecalcRun) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in RecalcChunk.objects.filter(run=run).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def _until_under_way(run: RecalcRun, worker) -> None:
    """Wait until the worker has done a few chunks: the fault hits a run in full flow."""
    wait_until(
        lambda: RecalcChunk.objects.filter(run=run, status="done").count() >= 10,
        describe=lambda: f"chunks {_chunks(run)}",
        worker=worker,
        timeout=60,
    )


def _until_done_sweeping(run: RecalcRun, worker, timeout: float = 45) -> float:
    """Send the sweeper every 2 s (as beat does every minute) until the run is over;
    returns how long that took."""
    started = time.monotonic()
    last_sweep = 0.0

    def finished() -> bool:
        nonlocal last_sweep
        if time.monotonic() - last_sweep > 2:
            recalc_redrive.apply_async()
            last_sweep = time.monotonic()
        run.refresh_from_db()
        return run.status != RecalcRun.Status.RUNNING

    wait_until(
        finished,
        describe=lambda: f"run {run.pk} is {run.status}; chunks {_chunks(run)}",
        worker=worker,
        timeout=timeout,
    )
    return time.monotonic() - started


def _assert_complete_once(run: RecalcRun, creator_ids: list[int]) -> None:
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.SUCCEEDED, _chunks(run)
    assert run.chunks_done == run.chunks_total == len(creator_ids)
    rows = list(
        CreatorPerformance.objects.filter(creator_id__in=creator_ids, as_of=AS_OF).values_list(
            "creator_id", "window_days"
        )
    )
    assert len(rows) == len(set(rows)) == len(creator_ids) * WINDOWS  # none missing, none twice
    assert not CreatorPerformance.objects.filter(
        creator_id__in=creator_ids, as_of=AS_OF, score__isnull=True
    ).exists()


def test_redis_stopped_and_restarted_mid_run_the_run_completes(own_redis, roster):
    worker = start_worker(queues=[Queue.RECALC.value], extra_env=SWEEPER_ENV)
    try:
        run = recalc.recalc_start(as_of=AS_OF, mode="full", creator_ids=roster, chunk_size=1)
        _until_under_way(run, worker)
        own_redis.stop()  # no persistence: every queued chunk message is gone
        down_at = _chunks(run)
        time.sleep(10)
        own_redis.start()
        took = _until_done_sweeping(run, worker)
        _assert_complete_once(run, roster)
        attempts = sum(RecalcChunk.objects.filter(run=run).values_list("attempts", flat=True))
        figures(
            f"recalc/redis-restart: {len(roster)} chunks queued, Redis down 10 s with "
            f"{len(roster) - down_at.get('done', 0)} not done (lost), run completed "
            f"{took:.0f} s after restart, {run.chunks_done}/{run.chunks_total} done, "
            f"{attempts} chunk attempts, 0 duplicate rows"
        )
    finally:
        worker.stop()


def test_worker_killed_with_sigkill_mid_run_and_restarted_the_run_completes(own_redis, roster):
    worker = start_worker(queues=[Queue.RECALC.value], concurrency=2, extra_env=SWEEPER_ENV)
    run = recalc.recalc_start(as_of=AS_OF, mode="full", creator_ids=roster, chunk_size=1)
    _until_under_way(run, worker)
    worker.kill()
    killed_at = _chunks(run)
    worker = start_worker(queues=[Queue.RECALC.value], concurrency=2, extra_env=SWEEPER_ENV)
    try:
        took = _until_done_sweeping(run, worker)
        _assert_complete_once(run, roster)
        redone = RecalcChunk.objects.filter(run=run, attempts__gt=1).count()
        figures(
            f"recalc/sigkill: {len(roster)} chunks, worker (2 processes) killed with "
            f"{killed_at.get('done', 0)} done and {killed_at.get('running', 0)} running, "
            f"restarted; run completed {took:.0f} s later (not the visibility timeout), "
            f"{run.chunks_done}/{run.chunks_total} done, {redone} chunks redone, "
            f"0 duplicate rows"
        )
    finally:
        worker.stop()
