from celery import shared_task

from agency import idempotency
from agency.celery import Queue
from agency.webhooks.tasks import webhook_deliver, webhook_deliveries_retry_due

__all__ = ["idempotency_records_purge", "webhook_deliver", "webhook_deliveries_retry_due"]


@shared_task(queue=Queue.DEFAULT, acks_late=True, reject_on_worker_lost=True)
def idempotency_records_purge() -> int:
    """Forget Idempotency-Key records past retention. Idempotent: a re-run deletes nothing more."""
    return idempotency.idempotency_records_purge()
