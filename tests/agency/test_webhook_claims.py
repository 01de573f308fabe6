"""Webhook deliveries: one send per attempt (a delivery is claimed, and only when due),
the backoff restarted from now after an outage, and nothing lost when the broker is down
at emit time."""

from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from agency import webhooks
from agency.models import WebhookDelivery
from agency.tasks import webhook_deliver, webhook_deliveries_retry_due
from agency.webhooks import delivery as delivery_module
from tests.agency.test_webhooks import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def delivery(brand_client, receiver):
    webhooks.webhook_endpoint_create(partner=brand_client.partner, url=receiver.url)
    (delivery,) = webhooks.webhook_event_emit(
        partner=brand_client.partner, event_type="deal.updated", data={"deal": 1}
    )
    return delivery


def test_a_second_task_for_a_delivery_being_sent_sends_nothing(
    monkeypatch,
    delivery,
    receiver,
):
    real_send = delivery_module.send
    second = []

    def send_while_another_task_runs(url, body, headers):
        if not second:  # the emit's task and the poller's task run at the same time
            second.append(webhooks.webhook_delivery_attempt(delivery_id=delivery.pk))
        return real_send(url, body, headers)

    monkeypatch.setattr(delivery_module, "send", send_while_another_task_runs)
    webhook_deliver(delivery.pk)
    assert second == [None]  # the other task found the delivery claimed
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)


def test_after_an_outage_one_attempt_is_made_and_the_backoff_restarts_from_now(
    monkeypatch,
    delivery,
    receiver,
):
    receiver.status = 503
    # Three attempts failed; the fourth fell due while no worker ran, and every poll during
    # the outage queued the delivery again.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=3, next_attempt_at=timezone.now() - timedelta(minutes=2)
    )
    queued = []
    monkeypatch.setattr(webhook_deliver, "delay", queued.append)
    for _ in range(4):
        webhook_deliveries_retry_due()
    assert queued == [delivery.pk] * 4
    before = timezone.now()
    for delivery_id in queued:  # the worker comes back and drains them
        webhook_deliver(delivery_id)
    delivery.refresh_from_db()
    assert len(receiver.requests) == 1 and delivery.attempts == 4
    assert delivery.status == WebhookDelivery.Status.PENDING
    # The fifth attempt waits a full backoff counted from now: 2^3 * 30 s, jittered to half.
    assert delivery.next_attempt_at >= before + timedelta(minutes=2)


def test_a_delivery_not_yet_due_is_not_sent(delivery, receiver):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk) is None
    assert receiver.requests == []


def test_an_event_emitted_while_the_broker_is_down_is_sent_by_the_poller(
    monkeypatch,
    brand_client,
    receiver,
    django_capture_on_commit_callbacks,
):
    def broker_down(args):
        raise BrokerError("Connection refused.")

    webhooks.webhook_endpoint_create(partner=brand_client.partner, url=receiver.url)
    monkeypatch.setattr(webhook_deliver, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):  # the request does not fail
        (delivery,) = webhooks.webhook_event_emit(
            partner=brand_client.partner, event_type="x", data={}
        )
    assert webhooks.webhook_deliveries_due() == [delivery.pk]
    webhook_deliver(delivery.pk)  # what the poller sends once the broker is back
    assert len(receiver.requests) == 1
