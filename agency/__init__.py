"""Project package: settings, URLs, the Celery app and the partner-API platform."""

from agency.celery import app as celery_app

__all__ = ("celery_app",)
