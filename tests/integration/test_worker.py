"""A task sent through real Redis to a real worker process changes PostgreSQL."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from agency.celery import Queue, app
from agency.models import IdempotencyRecord
from agency.tasks import idempotency_records_purge
from tests.factories.agency import PartnerFactory
from tests.integration.conftest import wait_for, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_task_runs_in_a_real_worker_and_its_effect_is_in_postgresql(worker_queue):
    partner = PartnerFactory()
    old = IdempotencyRecord.objects.create(partner=partner, key="old", request_fingerprint="x")
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    fresh = IdempotencyRecord.objects.create(partner=partner, key="fresh", request_fingerprint="y")

    idempotency_records_purge.apply_async(queue=worker_queue)

    wait_until(
        lambda: not IdempotencyRecord.objects.filter(pk=old.pk).exists(),
        describe=lambda: "the expired idempotency record is still there",
    )
    assert IdempotencyRecord.objects.filter(pk=fresh.pk).exists()

    # Sent twice, it changes nothing more (idempotent).
    idempotency_records_purge.apply_async(queue=worker_queue)
    assert not wait_for(lambda: not IdempotencyRecord.objects.filter(pk=fresh.pk).exists(), 3)


def test_delay_on_commit_enqueues_only_after_commit(monkeypatch):
    sent = []
    monkeypatch.setattr(idempotency_records_purge, "apply_async", lambda *a, **k: sent.append(1))
    with transaction.atomic():
        idempotency_records_purge.delay_on_commit()
        assert sent == []
    assert sent == [1]
    with pytest.raises(RuntimeError), transaction.atomic():
        idempotency_records_purge.delay_on_commit()
        raise RuntimeError("rolled back")
    assert sent == [1]  # a rolled-back transaction enqueues nothing


def test_celery_configuration_matches_the_quality_bar():
    # A worker and beat import every app's tasks module at start-up; do the same, so the
    # check holds whichever tests ran before (or none).
    app.loader.import_default_modules()
    conf = app.conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_soft_time_limit and conf.task_time_limit > conf.task_soft_time_limit
    assert {q.name for q in conf.task_queues} == {q.value for q in Queue}
    assert conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    assert conf.task_always_eager is False
    assert idempotency_records_purge.acks_late is True
    assert idempotency_records_purge.reject_on_worker_lost is True
    assert idempotency_records_purge.queue == Queue.DEFAULT
    for entry in conf.beat_schedule.values():
        assert entry["task"] in app.tasks, entry
