"""Recalculation runs: chunks, completion counted in the database, retries, nightly lock."""

import datetime as dt

import pytest
from django.utils import timezone

from creators import tasks
from creators.models import (
    AccountPerformance,
    CreatorPerformance,
    EligibilityResult,
    RecalcChunk,
    RecalcRun,
)
from creators.services import recalc
from tests.factories.creators import DailyAccountMetricFactory, PlatformAccountFactory, VideoFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 1, 31)


@pytest.fixture
def roster():
    accounts = []
    for i in range(5):
        account = PlatformAccountFactory()
        DailyAccountMetricFactory(account=account, date=AS_OF, followers=1_000 * (i + 1))
        VideoFactory(
            account=account,
            posted_at=dt.datetime(2026, 1, 30, tzinfo=dt.UTC),
            views=1_000 * (i + 1),
            completed_views=100 * (i + 1),
        )
        accounts.append(account)
    return accounts


def _snapshot_state():
    return (
        sorted(AccountPerformance.objects.values_list("id", "computed_at", "score")),
        sorted(CreatorPerformance.objects.values_list("id", "computed_at", "score")),
        sorted(EligibilityResult.objects.values_list("id", "computed_at")),
    )


def _run_chunks(run: RecalcRun) -> None:
    for chunk_id in run.chunks.order_by("index").values_list("pk", flat=True):
        tasks.recalc_chunk(chunk_id)  # the task, called as a plain function


def test_chunked_run_computes_everyone_and_counts_completion(roster):
    run = recalc.recalc_start(as_of=AS_OF, mode="full", chunk_size=2, enqueue=False)
    assert (run.creators_total, run.chunks_total, run.status) == (5, 3, "running")
    assert [len(c.creator_ids) for c in run.chunks.order_by("index")] == [2, 2, 1]
    _run_chunks(run)
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.SUCCEEDED
    assert (run.chunks_done, run.chunks_failed) == (3, 0)
    assert run.finished_at is not None and run.rows_written > 0
    assert CreatorPerformance.objects.filter(as_of=AS_OF, window_days=28).count() == 5
    assert not CreatorPerformance.objects.filter(score__isnull=True).exists()
    assert EligibilityResult.objects.filter(as_of=AS_OF).count() == 5 * 6


def test_rerun_changes_nothing(roster):
    recalc.recalc_run_inline(as_of=AS_OF, chunk_size=2)
    before = _snapshot_state()
    again = recalc.recalc_run_inline(as_of=AS_OF, chunk_size=2)
    assert again.status == RecalcRun.Status.SUCCEEDED
    assert again.rows_written == 0
    assert _snapshot_state() == before


def test_running_a_done_chunk_again_is_harmless(roster):
    run = recalc.recalc_run_inline(as_of=AS_OF, chunk_size=2)
    chunk = run.chunks.first()
    tasks.recalc_chunk(chunk.pk)
    chunk.refresh_from_db()
    assert chunk.attempts == 1


def test_failed_chunk_is_retried_alone(roster, monkeypatch):
    from creators.services import performance

    real = performance.performance_compute_chunk
    doomed = roster[4].creator_id

    def flaky(*, as_of, creator_ids):
        if doomed in creator_ids:
            raise RuntimeError("disk on fire")
        return real(as_of=as_of, creator_ids=creator_ids)

    monkeypatch.setattr(recalc, "performance_compute_chunk", flaky)
    run = recalc.recalc_start(as_of=AS_OF, mode="full", chunk_size=2, enqueue=False)
    raised = []
    for chunk_id in run.chunks.order_by("index").values_list("pk", flat=True):
        try:
            tasks.recalc_chunk(chunk_id)
        except RuntimeError as exc:  # the task re-raises; Celery would record the failure
            raised.append(str(exc))
    assert raised == ["disk on fire"]
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.FAILED
    assert (run.chunks_done, run.chunks_failed) == (2, 1)
    assert "disk on fire" in run.error
    assert not CreatorPerformance.objects.filter(creator_id=doomed).exists()
    assert not CreatorPerformance.objects.filter(score__isnull=False).exists()  # not scored

    monkeypatch.setattr(recalc, "performance_compute_chunk", real)
    retried = recalc.recalc_run_retry_failed(run_id=run.pk, enqueue=False)
    assert len(retried) == 1
    tasks.recalc_chunk(retried[0])
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.SUCCEEDED
    assert (run.chunks_done, run.chunks_failed) == (3, 0)
    attempts = dict(run.chunks.values_list("pk", "attempts"))
    assert attempts.pop(retried[0]) == 2
    assert set(attempts.values()) == {1}  # the others did not run again
    assert CreatorPerformance.objects.filter(creator_id=doomed, score__isnull=False).exists()


def test_chunks_are_enqueued_only_after_commit(
    roster, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(tasks.recalc_chunk, "apply_async", lambda args: sent.extend(args))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = recalc.recalc_start(as_of=AS_OF, mode="full", chunk_size=2)
    assert sent == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 3
    for callback in callbacks:
        callback()
    assert sorted(sent) == sorted(run.chunks.values_list("pk", flat=True))


def test_nightly_triggered_twice_runs_once(roster):
    first = recalc.recalc_nightly(as_of=AS_OF, enqueue=False)
    second = recalc.recalc_nightly(as_of=AS_OF, enqueue=False)
    assert first is not None and second is None
    assert RecalcRun.objects.filter(trigger=RecalcRun.Trigger.NIGHTLY).count() == 1


def test_incremental_takes_only_changed_creators(roster):
    recalc.recalc_run_inline(as_of=AS_OF, mode="full")
    assert recalc.recalc_creator_ids(as_of=AS_OF, mode="incremental") == []
    changed = roster[2]
    VideoFactory(account=changed, posted_at=dt.datetime(2026, 1, 31, tzinfo=dt.UTC))
    assert recalc.recalc_creator_ids(as_of=AS_OF, mode="incremental") == [changed.creator_id]
    # A new date has no snapshots yet: everyone.
    next_day = AS_OF + dt.timedelta(days=1)
    assert len(recalc.recalc_creator_ids(as_of=next_day, mode="incremental")) == 5
    run = recalc.recalc_run_inline(as_of=AS_OF, mode="incremental")
    assert run.creators_total == 1
    assert recalc.recalc_creator_ids(as_of=AS_OF, mode="incremental") == []


def test_explicit_creators_and_empty_runs():
    run = recalc.recalc_start(as_of=AS_OF, mode="full", enqueue=False)
    assert (run.creators_total, run.status) == (0, RecalcRun.Status.SUCCEEDED)
    assert run.finished_at <= timezone.now()
    assert not RecalcChunk.objects.filter(run=run).exists()


def test_a_run_for_chosen_creators_is_not_an_incremental_baseline(roster):
    recalc.recalc_run_inline(as_of=AS_OF, mode="full")
    changed = roster[0]
    VideoFactory(account=changed, posted_at=dt.datetime(2026, 1, 31, tzinfo=dt.UTC))
    other = roster[1]
    recalc.recalc_run_inline(as_of=AS_OF, creator_ids=[other.creator_id])  # e.g. the admin
    assert recalc.recalc_creator_ids(as_of=AS_OF, mode="incremental") == [changed.creator_id]


def test_nightly_task_called_as_a_function_runs_once(roster, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run_id = tasks.recalc_nightly()
        assert tasks.recalc_nightly() is None
    run = RecalcRun.objects.get(pk=run_id)
    assert (run.trigger, run.as_of, run.mode) == ("nightly", recalc.default_as_of(), "incremental")
    assert len(callbacks) == run.chunks_total == 1  # one chunk task, sent after commit


def test_redelivered_chunk_settles_a_run_its_worker_left_open(roster, monkeypatch):
    real_settle = recalc._run_settle
    run = recalc.recalc_start(as_of=AS_OF, mode="full", chunk_size=5, enqueue=False)
    chunk = run.chunks.get()
    monkeypatch.setattr(recalc, "_run_settle", lambda *, run_id: None)  # worker dies here
    tasks.recalc_chunk(chunk.pk)
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.RUNNING
    monkeypatch.setattr(recalc, "_run_settle", real_settle)
    tasks.recalc_chunk(chunk.pk)  # the broker redelivers (acks_late)
    run.refresh_from_db()
    chunk.refresh_from_db()
    assert run.status == RecalcRun.Status.SUCCEEDED
    assert chunk.attempts == 1  # the work was not done twice
    assert not CreatorPerformance.objects.filter(score__isnull=True).exists()


def test_chosen_creators_without_accounts_are_skipped_and_the_run_succeeds(roster):
    from tests.factories.creators import CreatorFactory

    bare = CreatorFactory()  # no platform account: nothing to compute
    run = recalc.recalc_run_inline(as_of=AS_OF, creator_ids=[bare.pk, roster[0].creator_id])
    assert run.status == RecalcRun.Status.SUCCEEDED
    assert run.creators_total == 1
    assert CreatorPerformance.objects.filter(creator_id=roster[0].creator_id).exists()
    assert not CreatorPerformance.objects.filter(creator=bare).exists()


def test_the_chunk_task_is_enqueued_by_its_registered_name():
    assert tasks.recalc_chunk.name == recalc.RECALC_CHUNK_TASK
