"""Throttling: atomic counters, failed authentication per address, and a cache outage that
never becomes a 500 (the throttle fails open to a per-process window)."""

import threading

import pytest
from django.urls import reverse
from rest_framework.test import APIRequestFactory

from agency.api.throttling import AuthFailureThrottle, PartnerKeyRateThrottle
from agency.models import PartnerAPIKey
from tests.conftest import make_partner_client

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


def _rate(monkeypatch, throttle, rate: str) -> None:
    monkeypatch.setattr(throttle, "get_rate", lambda self: rate)


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_concurrent_requests_never_pass_the_limit(monkeypatch):
    """Many threads (standing in for web processes) on one key: exactly the limit admitted.
    A read-then-write counter loses updates here and admits more."""
    _rate(monkeypatch, PartnerKeyRateThrottle, "40/min")
    request = APIRequestFactory().get(ME, REMOTE_ADDR="203.0.113.9")
    request.user = None  # unauthenticated: counted by address
    start = threading.Barrier(8)
    admitted = []

    def client() -> None:
        start.wait()
        for _ in range(25):
            admitted.append(PartnerKeyRateThrottle().allow_request(request, None))

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 200
    assert admitted.count(True) == 40


def test_failed_authentication_is_throttled_per_client_address(monkeypatch, brand_client):
    _rate(monkeypatch, AuthFailureThrottle, "3/min")
    guesser = make_partner_client(brand_client.partner)
    guesser.credentials(HTTP_AUTHORIZATION="Api-Key not-a.real-key")
    assert [guesser.get(ME).status_code for _ in range(3)] == [401, 401, 401]
    refused = guesser.get(ME)
    assert refused.status_code == 429 and "Retry-After" in refused
    assert refused.json()["error"]["code"] == "throttled"
    # Past the budget even a valid key is not looked at from that address...
    assert brand_client.get(ME).status_code == 429
    # ...while another address is unaffected.
    assert brand_client.get(ME, REMOTE_ADDR="198.51.100.7").status_code == 200


def test_a_forged_forwarded_for_header_does_not_escape_the_failure_budget(
    monkeypatch, brand_client
):
    _rate(monkeypatch, AuthFailureThrottle, "2/min")
    brand_client.credentials(HTTP_AUTHORIZATION="Api-Key not-a.real-key")
    codes = [
        brand_client.get(ME, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}").status_code for i in range(4)
    ]
    assert codes == [401, 401, 429, 429]


def test_good_keys_do_not_use_up_the_failure_budget(monkeypatch, brand_client):
    _rate(monkeypatch, AuthFailureThrottle, "2/min")
    assert {brand_client.get(ME).status_code for _ in range(5)} == {200}


def test_the_api_keeps_answering_when_the_cache_is_down(cache_down, brand_client, caplog):
    # Reads, and a write with an Idempotency-Key, all succeed.
    assert brand_client.get(ME).status_code == 200
    assert brand_client.get(reverse("partner-api-key-list")).status_code == 200
    second = make_partner_client(brand_client.partner)
    prefix = PartnerAPIKey.objects.filter(partner=brand_client.partner).first().prefix
    response = second.post(
        reverse("partner-api-key-revoke", args=[prefix]), HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 200
    # A bad key is still a 401, not a 500.
    second.credentials(HTTP_AUTHORIZATION="Api-Key nope.nope")
    assert second.get(ME).status_code == 401
    assert "throttle_cache_unavailable_failing_open" in caplog.text


def test_while_the_cache_is_down_each_process_still_throttles(
    cache_down, monkeypatch, brand_client
):
    _rate(monkeypatch, PartnerKeyRateThrottle, "3/min")
    assert [brand_client.get(ME).status_code for _ in range(4)] == [200, 200, 200, 429]
