"""Bad input to the platform: nested or oversized bodies, NUL characters, request ids and
filters that could tell which ids exist. Each is a 4xx in the one error shape, never a 5xx."""

import uuid

import pytest
from django.conf import settings
from django.urls import reverse

from agency import webhooks
from agency.api.parsers import MAX_DEPTH
from agency.models import Partner, PartnerAPIKey
from tests.conftest import staff_login
from tests.factories.agency import StaffUserFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = reverse("webhook-endpoint-list")
DELIVERIES = reverse("webhook-delivery-list")


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] and error["message"]
    return error


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/api/v1/webhooks/endpoints/", Partner.Kind.BRAND),
        ("/api/v1/metrics/daily/", Partner.Kind.DATA_PARTNER),
        ("/api/v1/revenue-events/", Partner.Kind.DATA_PARTNER),
        ("/api/v1/deals/", Partner.Kind.BRAND),
    ],
)
def test_deeply_nested_json_is_a_400_on_any_post(path, kind, partner_client_factory):
    client = partner_client_factory(kind=kind)
    client.raise_request_exception = False
    for body in (nested(1_000), nested(100_000), '{"rows": ' + nested(MAX_DEPTH) + "}"):
        response = client.post(path, data=body, content_type="application/json")
        error = _error(response, 400)
        assert error["code"] == "parse_error"
        assert f"deeper than {MAX_DEPTH} levels" in error["message"]


def test_nesting_within_the_limit_is_parsed(brand_client):
    response = brand_client.post(ENDPOINTS, data=nested(MAX_DEPTH), content_type="application/json")
    # A list is not the object the route wants: a field error, so the parser let it through.
    assert _error(response, 400)["code"] == "invalid"


def test_a_body_over_the_limit_is_a_413_in_the_error_shape(brand_client):
    brand_client.raise_request_exception = False
    body = '{"url": "https://example.com/' + "a" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + '"}'
    response = brand_client.post(ENDPOINTS, data=body, content_type="application/json")
    error = _error(response, 413)
    assert error["code"] == "payload_too_large"
    assert error["request_id"]
    # With an Idempotency-Key the body is read earlier, for its fingerprint: the same 413.
    response = brand_client.post(
        ENDPOINTS, data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert _error(response, 413)["code"] == "payload_too_large"


def test_a_body_over_the_limit_to_the_admin_is_not_a_server_error(client):
    staff_login(client, StaffUserFactory(is_superuser=True))
    client.raise_request_exception = False
    body = "x=" + "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(
        "/admin/agency/partner/add/", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/api-keys/%00/revoke/"),
        ("get", "/api/v1/api-keys/%00/"),
        ("get", "/api/v1/api-keys/ab%00cd/"),
        ("get", "/api/v1/creators/%00/"),
    ],
)
def test_nul_in_the_path_is_a_400(brand_client, method, path):
    brand_client.raise_request_exception = False
    response = getattr(brand_client, method)(path)
    error = _error(response, 400)
    assert "NUL" in error["message"]
    assert not PartnerAPIKey.objects.filter(revoked=True).exists()


def test_nul_in_the_admin_path_is_a_400_not_a_server_error(admin_client):
    admin_client.raise_request_exception = False
    response = admin_client.get("/admin/agency/partnerapikey/%00/change/")
    assert response.status_code == 400


def test_nul_in_a_query_parameter_is_a_400_naming_it(brand_client):
    response = brand_client.get(DELIVERIES, {"event_type": "deal\x00updated", "page": "1"})
    error = _error(response, 400)
    assert error["fields"] == {"event_type": ["NUL characters are not allowed."]}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"url": "https://example.com/\x00"}, {"url": ["NUL characters are not allowed."]}),
        (
            {"url": "https://example.com/", "event_types": ["ok", "a\x00b"]},
            {"event_types": {"1": ["NUL characters are not allowed."]}},
        ),
        (
            {"url": "https://example.com/", "extra\x00": 1},
            {"extra\\x00": ["NUL characters are not allowed."]},
        ),
    ],
)
def test_nul_in_a_json_string_or_key_is_a_400_naming_the_field(brand_client, body, fields):
    response = brand_client.post(ENDPOINTS, body, format="json")
    assert _error(response, 400)["fields"] == fields


def test_nul_in_a_free_form_row_is_a_400_naming_row_and_field(data_partner_client):
    # Metric rows are plain objects until the service reads them: the parser guards them.
    rows = [{"platform": "tiktok"}, {"platform": "tiktok", "note": "x\x00"}]
    response = data_partner_client.post(reverse("metrics-daily"), {"rows": rows}, format="json")
    fields = _error(response, 400)["fields"]
    assert fields == {"rows": {"1": {"note": ["NUL characters are not allowed."]}}}


def test_an_overlong_or_odd_request_id_is_replaced_by_a_fresh_one(client):
    for bad in ("x" * 8_000, "x" * 129, "id with spaces", "id\nforged-log-line"):
        response = client.get("/api/v1/me/", HTTP_X_REQUEST_ID=bad)
        request_id = _error(response, 401)["request_id"]
        assert request_id != bad
        assert uuid.UUID(request_id)
    upstream = "Root=1-5759e988-bd862e3fe1be46a994272793:" + "a" * 80
    response = client.get("/api/v1/me/", HTTP_X_REQUEST_ID=upstream)
    assert _error(response, 401)["request_id"] == upstream


def test_delivery_filter_answers_the_same_for_foreign_and_missing_endpoints(
    brand_client, other_brand_client
):
    mine = webhooks.webhook_endpoint_create(
        partner=brand_client.partner, url="https://hooks.example.com/a"
    )
    theirs = webhooks.webhook_endpoint_create(
        partner=other_brand_client.partner, url="https://hooks.example.com/b"
    )
    webhooks.webhook_event_emit(partner=brand_client.partner, event_type="deal.updated", data={})
    webhooks.webhook_event_emit(
        partner=other_brand_client.partner, event_type="deal.updated", data={}
    )
    missing = theirs.pk + 1_000
    foreign = brand_client.get(DELIVERIES, {"endpoint": theirs.pk})
    absent = brand_client.get(DELIVERIES, {"endpoint": missing})
    assert foreign.status_code == absent.status_code == 200
    assert foreign.json() == absent.json()
    assert foreign.json()["count"] == 0
    own = brand_client.get(DELIVERIES, {"endpoint": mine.pk}).json()
    assert own["count"] == 1 and own["results"][0]["endpoint"] == mine.pk
    too_big = brand_client.get(DELIVERIES, {"endpoint": 10**30})
    assert too_big.status_code == 200 and too_big.json()["count"] == 0  # past bigint: none


def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(brand_client):
    body = {"url": "https://hooks.example.com/x", "event_types": ["literal \\u0000 text"]}
    response = brand_client.post(ENDPOINTS, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["event_types"] == ["literal \\u0000 text"]


def test_a_request_django_refuses_before_routing_gets_the_error_shape(brand_client):
    # More query parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS: refused while the query
    # string is read for the NUL check, before any view; the 400 handler answers.
    query = "&".join(f"p{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    brand_client.raise_request_exception = False
    error = _error(brand_client.get(f"/api/v1/me/?{query}"), 400)
    assert error["code"] == "bad_request"
    assert error["request_id"]
