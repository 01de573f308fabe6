"""The Celery app. Configuration lives in settings under the CELERY_ namespace."""

import os
from enum import StrEnum

from celery import Celery


class Queue(StrEnum):
    """Every queue a worker can consume. Tasks name theirs explicitly."""

    RECALC = "recalc"  # performance and eligibility recalculation chunks
    BILLING = "billing"  # splits, postings, statements, payouts
    WEBHOOKS = "webhooks"  # outbound partner webhooks
    DEFAULT = "default"  # housekeeping


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings")

app = Celery("agency")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
