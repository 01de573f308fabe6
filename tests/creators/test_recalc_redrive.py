"""Nothing queued is lost: chunks live in PostgreSQL and the sweeper sends them again.

A broker that loses its messages (Redis restarted without persistence) or a worker killed
outright (its messages parked unacked) must not leave a run ``running`` forever.
"""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from agency.celery import app
from creators import tasks
from creators.models import CreatorPerformance, RecalcChunk, RecalcRun
from creators.services import recalc
from tests.factories.creators import DailyAccountMetricFactory, PlatformAccountFactory, VideoFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 1, 31)
LONG_AGO = dt.timedelta(minutes=settings.RECALC_REDRIVE_AFTER_MINUTES + 1)


@pytest.fixture
def roster():
    for i in range(5):
        account = PlatformAccountFactory()
        DailyAccountMetricFactory(account=account, date=AS_OF, followers=1_000 * (i + 1))
        VideoFactory(account=account, posted_at=dt.datetime(2026, 1, 30, tzinfo=dt.UTC))


@pytest.fixture
def sent(monkeypatch) -> list[int]:
    """Chunk ids handed to the broker (the broker itself is not needed here)."""
    ids: list[int] = []
    monkeypatch.setattr(tasks.recalc_chunk, "apply_async", lambda args: ids.extend(args))
    return ids


def _age(run: RecalcRun, **fields) -> None:
    """Make the run's chunks look handed out (and started) ``LONG_AGO``."""
    then = timezone.now() - LONG_AGO
    RecalcChunk.objects.filter(run=run).update(enqueued_at=then, **fields)
    RecalcRun.objects.filter(pk=run.pk).update(started_at=then)


def test_chunks_whose_messages_were_lost_are_sent_again_and_the_run_completes(
    roster, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the messages never arrive
        run = recalc.recalc_start(as_of=AS_OF, mode="full", chunk_size=2)
    assert sent == []
    assert recalc.recalc_redrive() == []  # not overdue yet: a queue may just be long

    _age(run)
    with django_capture_on_commit_callbacks(execute=True):
        redriven = tasks.recalc_redrive()  # the periodic task, called as a plain function
    chunk_ids = sorted(run.chunks.values_list("pk", flat=True))
    assert redriven == 3 and sorted(sent) == chunk_ids

    with django_capture_on_commit_callbacks(execute=True):
        assert recalc.recalc_redrive() == []  # sent once per deadline, not on every sweep
    for chunk_id in sent:
        tasks.recalc_chunk(chunk_id)
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.SUCCEEDED
    scored = CreatorPerformance.objects.filter(as_of=AS_OF, score__isnull=False)
    assert scored.values("creator_id").distinct().count() == 5


def test_a_chunk_left_running_by_a_killed_worker_is_sent_again(roster, sent):
    run = recalc.recalc_start(as_of=AS_OF, mode="full", chunk_size=2, enqueue=False)
    stuck, fresh, pending = run.chunks.order_by("index")
    _age(run)
    RecalcChunk.objects.filter(pk=stuck.pk).update(
        status=RecalcChunk.Status.RUNNING, started_at=timezone.now() - LONG_AGO, attempts=1
    )
    # A chunk started a moment ago (behind a long queue) is alive: left alone.
    RecalcChunk.objects.filter(pk=fresh.pk).update(
        status=RecalcChunk.Status.RUNNING, started_at=timezone.now(), attempts=1
    )
    assert recalc.recalc_redrive(enqueue=False) == [stuck.pk, pending.pk]

    for chunk_id in (stuck.pk, fresh.pk, pending.pk):
        tasks.recalc_chunk(chunk_id)
    tasks.recalc_chunk(stuck.pk)  # the original message comes back too: harmless
    run.refresh_from_db()
    stuck.refresh_from_db()
    assert run.status == RecalcRun.Status.SUCCEEDED
    assert stuck.attempts == 2  # redone once, not on the duplicate
    rows = list(
        CreatorPerformance.objects.filter(as_of=AS_OF).values_list("creator_id", "window_days")
    )
    assert len(rows) == len(set(rows)) == 5 * 3  # every creator and window once, no duplicate


def test_a_run_whose_worker_died_before_closing_it_is_settled(roster, monkeypatch):
    run = recalc.recalc_start(as_of=AS_OF, mode="full", chunk_size=5, enqueue=False)
    monkeypatch.setattr(recalc, "_run_settle", lambda *, run_id: None)  # dies here
    tasks.recalc_chunk(run.chunks.get().pk)
    monkeypatch.undo()
    _age(run)
    assert recalc.recalc_redrive(enqueue=False) == []  # nothing to resend...
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.SUCCEEDED  # ...but the run is closed


def test_a_broker_down_when_a_run_starts_loses_nothing(
    roster, monkeypatch, django_capture_on_commit_callbacks
):
    tried = []

    def broker_down(args):
        tried.append(args)
        raise BrokerError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.recalc_chunk, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        run = recalc.recalc_start(as_of=AS_OF, mode="full", chunk_size=2)  # does not raise
    assert len(tried) == 1  # the other two sends did not wait for a dead broker
    assert run.chunks.filter(status=RecalcChunk.Status.PENDING).count() == 3
    _age(run)
    assert len(recalc.recalc_redrive(enqueue=False)) == 3


def test_the_broker_gives_unacked_messages_back_within_minutes():
    app.loader.import_default_modules()
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    # Long enough for a prefetched message to wait behind a task and then run itself...
    assert visibility > 2 * app.conf.task_time_limit
    # ...and far below the hour a SIGKILLed worker's messages used to stay parked.
    assert visibility <= 1800
    # The sweeper's deadline is past the chunk task's hard limit: it never doubles a live one.
    assert tasks.recalc_chunk.time_limit < settings.RECALC_REDRIVE_AFTER_MINUTES * 60
    entry = app.conf.beat_schedule["creators-recalc-redrive"]
    assert entry["task"] == tasks.recalc_redrive.name
    assert entry["schedule"] <= 60
