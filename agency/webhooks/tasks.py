"""The webhook Celery tasks (registered under their historical ``agency.tasks`` names,
which the beat schedule and queued messages use)."""

from celery import shared_task

from agency.celery import Queue
from agency.webhooks.delivery import webhook_delivery_attempt
from agency.webhooks.selectors import webhook_deliveries_due


@shared_task(
    name="agency.tasks.webhook_deliver",
    queue=Queue.WEBHOOKS,
    acks_late=True,
    reject_on_worker_lost=True,
)
def webhook_deliver(delivery_id: int) -> None:
    """One attempt at one delivery; a re-run finds it claimed or settled and does nothing."""
    webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(
    name="agency.tasks.webhook_deliveries_retry_due", queue=Queue.WEBHOOKS, ignore_result=True
)
def webhook_deliveries_retry_due() -> int:
    """Periodic: enqueue the deliveries whose backoff has elapsed."""
    due = webhook_deliveries_due()
    for delivery_id in due:
        webhook_deliver.delay(delivery_id)
    return len(due)
