"""A webhook receiver that refuses, then fails, then accepts, with a real worker: one request
per attempt whatever duplicates the queue holds, the backoff restarted from the moment of
the attempt after a worker outage, and exactly one success.

The test plays the clock (it makes the delivery due instead of waiting its backoff) and
beat (it sends the poller). It knows the worker has drained what was queued before by a
sentinel: a delivery to a second, always-up receiver, sent last (one worker process takes
messages in order).
"""

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socket import socket

import pytest
from django.db import transaction
from django.utils import timezone

from agency import webhooks
from agency.celery import Queue
from agency.models import Partner, WebhookDelivery
from agency.tasks import webhook_deliver, webhook_deliveries_retry_due
from tests.factories.agency import PartnerFactory
from tests.integration.conftest import figures, start_worker, wait_until

pytestmark = pytest.mark.integration

EVENT, PING = "deal.updated", "sentinel.ping"


class Receiver:
    """An HTTP server on loopback that answers ``status`` and records each request; until
    ``listen`` nothing listens on its port (connections are refused)."""

    def __init__(self) -> None:
        with socket() as probe:  # a free port, for now refused
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.status = 200
        self.received: list[tuple[str, int]] = []  # (delivery id, status answered)
        self.server: ThreadingHTTPServer | None = None

    def listen(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.headers["X-MCN-Delivery"], receiver.status))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def receivers(django_db_setup, django_db_blocker):
    """A flaky receiver and a sentinel one, each an endpoint of one committed partner."""
    flaky, sentinel = Receiver(), Receiver()
    sentinel.listen()
    with django_db_blocker.unblock():
        partner = PartnerFactory(kind=Partner.Kind.BRAND)
        webhooks.webhook_endpoint_create(partner=partner, url=flaky.url, event_types=[EVENT])
        webhooks.webhook_endpoint_create(partner=partner, url=sentinel.url, event_types=[PING])
        try:
            yield partner, flaky, sentinel
        finally:
            flaky.close()
            sentinel.close()
            partner.delete()  # cascades to endpoints and deliveries


def _emit(partner: Partner, event_type: str) -> WebhookDelivery:
    with transaction.atomic():  # sent to the worker when this commits
        (delivery,) = webhooks.webhook_event_emit(partner=partner, event_type=event_type, data={})
    return delivery


def _drain(partner: Partner, sentinel: Receiver, worker) -> None:
    """Twice: send a sentinel and wait for it, so the worker has run every message queued
    before, and then the ones those (the poller's) queued in turn."""
    for _ in range(2):
        ping = _emit(partner, PING)
        wait_until(
            lambda ping=ping: (str(ping.pk), 200) in sentinel.received,
            describe=lambda: f"sentinel requests {sentinel.received}",
            worker=worker,
            timeout=40,
        )


def _duplicates(delivery: WebhookDelivery, *, polls: int, delivers: int) -> int:
    """What an outage or a race leaves queued: polls (each queues every due delivery) and
    direct tasks for the same delivery. Returns how many messages were sent."""
    for _ in range(polls):
        webhook_deliveries_retry_due.apply_async()
    for _ in range(delivers):
        webhook_deliver.apply_async(args=[delivery.pk])
    return polls + delivers


def _make_due(delivery: WebhookDelivery, *, ago: timedelta = timedelta(0)) -> None:
    """The test's clock: the backoff has elapsed (``ago`` before now)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - ago)


def test_refused_then_failing_then_accepting_one_request_per_attempt_one_success(
    own_redis, receivers
):
    partner, flaky, sentinel = receivers
    worker = start_worker(queues=[Queue.WEBHOOKS.value])
    sent = 1
    try:
        # 1. Refused: the attempt fails, duplicates of its task change nothing.
        delivery = _emit(partner, EVENT)
        sent += _duplicates(delivery, polls=2, delivers=2)
        _drain(partner, sentinel, worker)
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.status) == (1, "pending"), delivery.last_error
        assert "Connection" in delivery.last_error and delivery.last_status_code is None

        # 2. A worker outage: the attempt falls due while nothing runs and the polls pile up.
        worker.stop()
        flaky.status = 503
        flaky.listen()
        _make_due(delivery, ago=timedelta(minutes=2))
        sent += _duplicates(delivery, polls=4, delivers=2)
        worker = start_worker(queues=[Queue.WEBHOOKS.value])
        _drain(partner, sentinel, worker)
        delivery.refresh_from_db()
        assert flaky.received == [(str(delivery.pk), 503)]  # one attempt, not six
        assert delivery.attempts == 2 and delivery.status == "pending"
        # The next one waits a full backoff from now (2nd failure: 30-60 s), not from before.
        assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=20)

        # 3. Accepting: exactly one success, and nothing after it.
        flaky.status = 200
        _make_due(delivery)
        sent += _duplicates(delivery, polls=3, delivers=2)
        _drain(partner, sentinel, worker)
        sent += _duplicates(delivery, polls=2, delivers=2)
        _drain(partner, sentinel, worker)
        delivery.refresh_from_db()
        assert flaky.received == [(str(delivery.pk), 503), (str(delivery.pk), 200)]
        assert (delivery.attempts, delivery.status) == (3, "succeeded")
        figures(
            f"webhooks/refuse-fail-accept: {sent} tasks or polls sent for one delivery across "
            f"3 attempts (refused; 503 after a worker outage with 6 stale messages; 200), "
            f"{len(flaky.received)} requests received, 1 success, attempts={delivery.attempts}"
        )
    finally:
        worker.stop()
