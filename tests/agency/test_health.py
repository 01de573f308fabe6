"""/healthz: the database is vital (503 without it); a broker or cache outage is reported
as degraded with a 200, because the API keeps working without Redis."""

import pytest

from agency.api import views

pytestmark = pytest.mark.django_db


def test_healthz_checks_database_broker_and_cache(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "cache": "ok"}


def test_healthz_reports_a_broker_outage_as_degraded(client, monkeypatch):
    from agency.celery import app

    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded" and body["database"] == "ok"
    assert body["broker"].startswith("error")


def test_healthz_reports_a_cache_outage_as_degraded(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    body = client.get("/healthz").json()
    assert body["status"] == "degraded" and body["cache"].startswith("error")


def test_healthz_is_503_without_the_database(client, monkeypatch):
    monkeypatch.setattr(views, "_check_database", lambda: "error: OperationalError")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
