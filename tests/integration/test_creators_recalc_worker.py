"""A recalculation fanned out to a real Celery worker over a real Redis broker.

The worker is another process, so the data must be committed: this test writes to the
test database outside a test transaction and deletes exactly what it created afterwards
(no flush, which would also drop the eligibility programs seeded by a data migration).
"""

import datetime as dt
import importlib

import pytest
from django.apps import apps

from creators.models import Creator, CreatorPerformance, RecalcChunk, RecalcRun
from creators.services import recalc
from tests.factories.creators import DailyAccountMetricFactory, PlatformAccountFactory, VideoFactory
from tests.integration.conftest import start_worker, wait_until

pytestmark = pytest.mark.integration

AS_OF = dt.date(2026, 1, 31)


@pytest.fixture
def worker(django_db_setup):
    from agency.celery import Queue

    worker = start_worker(queues=[Queue.RECALC.value], concurrency=2)
    yield worker
    worker.stop()


@pytest.fixture
def committed_roster(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        # Data the migrations seed (a flush elsewhere may have removed it); idempotent.
        for migration in ("0008_video_waves", "0009_scoring_versions"):
            importlib.import_module(f"creators.migrations.{migration}").seed(apps, None)
        ids = []
        for i in range(6):
            account = PlatformAccountFactory()
            DailyAccountMetricFactory(account=account, date=AS_OF, followers=1_000 * (i + 1))
            VideoFactory(account=account, posted_at=dt.datetime(2026, 1, 30, tzinfo=dt.UTC))
            ids.append(account.creator_id)
        runs_before = set(RecalcRun.objects.values_list("pk", flat=True))
        yield ids
        RecalcRun.objects.exclude(pk__in=runs_before).delete()
        Creator.objects.filter(pk__in=ids).delete()  # cascades to snapshots and results


def test_chunks_run_on_a_worker_and_the_run_completes(worker, committed_roster):
    from agency.celery import app

    with app.connection_for_write() as conn:  # start from an empty recalc queue
        conn.default_channel.queue_purge("recalc")
    run = recalc.recalc_start(  # commits, then sends one task per chunk
        as_of=AS_OF, mode="full", creator_ids=committed_roster, chunk_size=2
    )

    def finished() -> bool:
        run.refresh_from_db()
        return run.status != RecalcRun.Status.RUNNING

    def describe() -> str:
        chunks = RecalcChunk.objects.filter(run=run).values_list("index", "status", "error")
        return f"run {run.pk} is {run.status!r} (error: {run.error!r}); chunks: {list(chunks)}"

    wait_until(finished, describe=describe, worker=worker)
    assert run.status == RecalcRun.Status.SUCCEEDED, describe()
    assert (run.chunks_done, run.chunks_total) == (3, 3)
    scored = CreatorPerformance.objects.filter(
        creator_id__in=committed_roster, as_of=AS_OF, score__isnull=False
    )
    assert scored.count() == 18
