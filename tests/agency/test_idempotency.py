"""Idempotency-Key on POST (quality.md invariant 3)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agency import idempotency
from agency.models import IdempotencyRecord, Partner
from agency.tasks import idempotency_records_purge

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.agency.urls")]

MAKE = "/t/make/"


def post(client, body, key="k-1", path=MAKE):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_key_same_body_replays_first_response_without_rerunning(brand_client):
    first = post(brand_client, {"name": "Acme"})
    second = post(brand_client, {"name": "Acme"})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Partner.objects.filter(name="Acme").count() == 1


def test_same_key_different_body_is_422(brand_client):
    post(brand_client, {"name": "Acme"})
    response = post(brand_client, {"name": "Other"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert not Partner.objects.filter(name="Other").exists()


def test_same_key_while_first_is_running_is_409(brand_client):
    body = b'{"name": "Acme"}'
    idempotency.idempotency_begin(
        partner=brand_client.partner,
        key="k-1",
        request_fingerprint=idempotency.fingerprint(method="POST", path=MAKE, body=body),
    )
    response = brand_client.post(
        MAKE, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"
    assert not Partner.objects.filter(name="Acme").exists()


def test_abandoned_in_progress_key_is_taken_over_after_lock_timeout(settings, brand_client):
    body = b'{"name": "Acme"}'
    idempotency.idempotency_begin(
        partner=brand_client.partner,
        key="k-1",
        request_fingerprint=idempotency.fingerprint(method="POST", path=MAKE, body=body),
    )
    IdempotencyRecord.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    response = brand_client.post(
        MAKE, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert response.status_code == 201


def test_keys_are_scoped_per_partner(brand_client, other_brand_client):
    assert post(brand_client, {"name": "Acme"}).status_code == 201
    other = post(other_brand_client, {"name": "Acme"})
    assert other.status_code == 201 and "Idempotent-Replayed" not in other
    assert Partner.objects.filter(name="Acme").count() == 2


def test_validation_errors_are_stored_and_replayed(brand_client):
    first = post(brand_client, {"name": ""})
    assert first.status_code == 400
    assert first.json()["error"]["fields"]["name"]
    second = post(brand_client, {"name": ""})
    assert second.status_code == 400 and second["Idempotent-Replayed"] == "true"


def test_server_error_releases_the_key_for_a_retry(brand_client):
    brand_client.raise_request_exception = False
    response = post(brand_client, {}, path="/t/broken/")
    assert response.status_code == 500
    assert not IdempotencyRecord.objects.filter(key="k-1").exists()


def test_without_header_every_post_runs(brand_client):
    brand_client.post(MAKE, {"name": "Acme"}, format="json")
    brand_client.post(MAKE, {"name": "Acme"}, format="json")
    assert Partner.objects.filter(name="Acme").count() == 2


def test_overlong_key_is_400(brand_client):
    response = post(brand_client, {"name": "Acme"}, key="x" * 300)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_header"


def test_records_are_kept_24h_and_purged_after_retention(brand_client):
    post(brand_client, {"name": "Acme"}, key="fresh")
    post(brand_client, {"name": "Acme"}, key="day-old")
    post(brand_client, {"name": "Acme"}, key="expired")
    now = timezone.now()
    IdempotencyRecord.objects.filter(key="day-old").update(created_at=now - timedelta(hours=25))
    IdempotencyRecord.objects.filter(key="expired").update(created_at=now - timedelta(hours=49))
    assert idempotency_records_purge() == 1  # called as a plain function
    assert set(IdempotencyRecord.objects.values_list("key", flat=True)) == {"fresh", "day-old"}
    assert idempotency_records_purge() == 0  # running twice changes nothing


@pytest.mark.django_db(transaction=True)
def test_the_reservation_is_durable_so_it_never_waits_for_an_outer_transaction():
    from django.db import transaction

    from agency.idempotency import idempotency_begin
    from tests.factories.agency import PartnerFactory

    partner = PartnerFactory()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        idempotency_begin(partner=partner, key="k-durable", request_fingerprint="f")
    assert idempotency_begin(partner=partner, key="k-durable", request_fingerprint="f") is None
