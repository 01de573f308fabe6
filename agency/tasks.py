from celery import shared_task

from agency import idempotency, webhooks
from agency.celery import Queue


@shared_task(queue=Queue.DEFAULT, acks_late=True, reject_on_worker_lost=True)
def idempotency_records_purge() -> int:
    """Forget Idempotency-Key records past retention. Idempotent: a re-run deletes nothing more."""
    return idempotency.idempotency_records_purge()


@shared_task(queue=Queue.WEBHOOKS, acks_late=True, reject_on_worker_lost=True)
def webhook_deliver(delivery_id: int) -> None:
    """One attempt at one delivery; a re-run finds it claimed or settled and does nothing."""
    webhooks.webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(queue=Queue.WEBHOOKS, ignore_result=True)
def webhook_deliveries_retry_due() -> int:
    """Periodic: enqueue the deliveries whose backoff has elapsed."""
    due = webhooks.webhook_deliveries_due()
    for delivery_id in due:
        webhook_deliver.delay(delivery_id)
    return len(due)
