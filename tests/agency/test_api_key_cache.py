"""Known API keys: a process remembers the partner of a key it authenticated, checks the
key's stamp, the address's failure budget and the key's request budget in one cache round
trip, and looks the key up again as soon as the key or its partner changes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agency import services
from agency.api import authentication, throttling
from agency.api.throttling import AuthFailureThrottle, PartnerKeyRateThrottle
from agency.models import PartnerAPIKey
from tests.conftest import make_partner_client

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
DEAD_REDIS = "redis://127.0.0.1:1/0"


def _key_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(ME).status_code == 200
    return sum("agency_partnerapikey" in q["sql"] for q in ctx.captured_queries)


def test_a_known_key_is_not_looked_up_again(brand_client):
    assert _key_queries(brand_client) == 1
    assert _key_queries(brand_client) == 0
    body = brand_client.get(ME).json()  # the partner as remembered: every field
    assert body["id"] == brand_client.partner.pk and body["name"] == "Brand A"
    assert body["is_active"] is True and body["kind"] == "brand" and body["created_at"]


def test_a_known_key_revoked_is_refused_on_the_next_request(brand_client):
    assert brand_client.get(ME).status_code == 200
    api_key = PartnerAPIKey.objects.get(partner=brand_client.partner)
    services.partner_api_key_revoke(api_key=api_key)
    assert brand_client.get(ME).status_code == 401


def test_a_known_key_of_a_partner_made_inactive_is_refused_at_once(brand_client):
    assert brand_client.get(ME).status_code == 200
    brand_client.partner.is_active = False
    brand_client.partner.save()
    assert brand_client.get(ME).status_code == 401


def test_a_known_key_expired_is_refused(brand_client):
    import datetime as dt

    from django.utils import timezone

    assert brand_client.get(ME).status_code == 200
    api_key = PartnerAPIKey.objects.get(partner=brand_client.partner)
    api_key.expiry_date = timezone.now() - dt.timedelta(seconds=1)
    api_key.save()
    assert brand_client.get(ME).status_code == 401


def test_a_change_saved_by_another_process_is_seen_through_the_stamp(brand_client):
    """Another process's save replaces the key's stamp in the cache; this process has only
    the stamp to go by (the update below sends no signal here)."""
    assert brand_client.get(ME).status_code == 200
    api_key = PartnerAPIKey.objects.get(partner=brand_client.partner)
    PartnerAPIKey.objects.filter(pk=api_key.pk).update(revoked=True)
    assert brand_client.get(ME).status_code == 200  # within the window: trusted
    throttling.key_stamps_replace([api_key.prefix])  # what that process's save does
    assert brand_client.get(ME).status_code == 401


def test_a_change_that_skips_save_is_seen_after_the_window(monkeypatch, brand_client):
    monkeypatch.setattr(authentication, "KNOWN_KEY_SECONDS", 0.0)
    assert brand_client.get(ME).status_code == 200
    PartnerAPIKey.objects.filter(partner=brand_client.partner).update(revoked=True)
    assert brand_client.get(ME).status_code == 401


def test_a_known_key_counts_each_request_once(monkeypatch, brand_client):
    monkeypatch.setattr(PartnerKeyRateThrottle, "get_rate", lambda self: "3/min")
    assert [brand_client.get(ME).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_a_known_key_still_obeys_the_address_failure_budget(monkeypatch, brand_client):
    monkeypatch.setattr(AuthFailureThrottle, "get_rate", lambda self: "2/min")
    assert brand_client.get(ME).status_code == 200
    guesser = make_partner_client(brand_client.partner)
    guesser.credentials(HTTP_AUTHORIZATION="Api-Key not-a.real-key")
    assert [guesser.get(ME).status_code for _ in range(3)] == [401, 401, 429]
    assert brand_client.get(ME).status_code == 429
    assert brand_client.get(ME, REMOTE_ADDR="198.51.100.7").status_code == 200


def test_while_the_cache_is_down_keys_are_looked_up_every_time(settings, brand_client):
    assert brand_client.get(ME).status_code == 200  # known, with the cache up
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    PartnerAPIKey.objects.filter(partner=brand_client.partner).update(revoked=True)
    assert brand_client.get(ME).status_code == 401
