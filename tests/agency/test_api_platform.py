"""The partner-API platform: authentication, scoping, errors, pagination, throttling."""

import pytest
from django.urls import reverse

from agency import services
from agency.api.throttling import PartnerKeyRateThrottle
from agency.models import PartnerAPIKey
from tests.conftest import make_partner_client
from tests.factories.agency import PartnerFactory

pytestmark = pytest.mark.django_db

ME = reverse("partner-me")


def test_valid_key_authenticates_its_partner(brand_client):
    response = brand_client.get(ME)
    assert response.status_code == 200
    assert response.json()["name"] == "Brand A"
    assert response.json()["kind"] == "brand"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Api-Key ",
        "Api-Key abcdefgh.notarealkeynotarealkeynotarealke",
        "Api-Key garbage",
        "Bearer x",
    ],
)
def test_missing_or_unknown_key_is_401_with_error_shape(client, header):
    kwargs = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get(ME, **kwargs)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    body = response.json()["error"]
    assert body["code"] in {"not_authenticated", "authentication_failed"}
    assert body["message"]


def test_revoked_key_is_401(brand_client):
    api_key = PartnerAPIKey.objects.get(partner=brand_client.partner)
    services.partner_api_key_revoke(api_key=api_key)
    assert brand_client.get(ME).status_code == 401


def test_inactive_partner_is_401(brand_client):
    brand_client.partner.is_active = False
    brand_client.partner.save()
    assert brand_client.get(ME).status_code == 401


def test_keys_are_stored_only_as_hashes(brand_client):
    api_key = PartnerAPIKey.objects.get(partner=brand_client.partner)
    secret = brand_client.key.split(".", 1)[1]
    stored = " ".join(str(getattr(api_key, f.attname)) for f in PartnerAPIKey._meta.concrete_fields)
    assert secret not in stored
    assert brand_client.key.startswith(api_key.prefix + ".")


def test_another_partners_key_is_404_on_detail_and_revoke(brand_client, other_brand_client):
    other_prefix = PartnerAPIKey.objects.get(partner=other_brand_client.partner).prefix
    own_prefix = PartnerAPIKey.objects.get(partner=brand_client.partner).prefix
    assert brand_client.get(reverse("partner-api-key-detail", args=[own_prefix])).status_code == 200
    assert (
        brand_client.get(reverse("partner-api-key-detail", args=[other_prefix])).status_code == 404
    )
    response = brand_client.post(reverse("partner-api-key-revoke", args=[other_prefix]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not PartnerAPIKey.objects.get(prefix=other_prefix).revoked


def test_list_shows_only_own_keys_paginated_with_capped_page_size(brand_client, other_brand_client):
    for i in range(3):
        services.partner_api_key_create(partner=brand_client.partner, name=f"k{i}")
    response = brand_client.get(reverse("partner-api-key-list"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    assert {k["prefix"] for k in body["results"]} == set(
        PartnerAPIKey.objects.filter(partner=brand_client.partner).values_list("prefix", flat=True)
    )
    page = brand_client.get(reverse("partner-api-key-list"), {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]


@pytest.mark.parametrize("page_size", ["0", "501", "abc", "-1", "null"])
def test_page_size_outside_bounds_is_400_naming_the_parameter(brand_client, page_size):
    response = brand_client.get(reverse("partner-api-key-list"), {"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in response.json()["error"]["fields"]


def test_page_size_at_the_maximum_is_accepted(settings, brand_client):
    url = reverse("partner-api-key-list")
    assert brand_client.get(url, {"page_size": settings.API_MAX_PAGE_SIZE}).status_code == 200


def test_list_query_count_is_constant(brand_client, django_assert_max_num_queries):
    for i in range(20):
        services.partner_api_key_create(partner=brand_client.partner, name=f"k{i}")
    # auth (key + partner) + count + page
    with django_assert_max_num_queries(3):
        assert brand_client.get(reverse("partner-api-key-list")).status_code == 200


def test_revoke_own_key_then_it_is_refused(brand_client):
    prefix = PartnerAPIKey.objects.get(partner=brand_client.partner).prefix
    second = make_partner_client(brand_client.partner)
    response = second.post(reverse("partner-api-key-revoke", args=[prefix]))
    assert response.status_code == 200 and response.json()["revoked"] is True
    assert brand_client.get(ME).status_code == 401
    assert second.get(ME).status_code == 200


def test_throttle_per_key_returns_429(monkeypatch, brand_client, other_brand_client):
    monkeypatch.setattr(PartnerKeyRateThrottle, "rate", "3/min", raising=False)
    monkeypatch.setattr(PartnerKeyRateThrottle, "num_requests", 3, raising=False)
    monkeypatch.setattr(PartnerKeyRateThrottle, "duration", 60, raising=False)
    monkeypatch.setattr(PartnerKeyRateThrottle, "get_rate", lambda self: "3/min")
    codes = [brand_client.get(ME).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    throttled = brand_client.get(ME)
    assert throttled.json()["error"]["code"] == "throttled"
    assert "Retry-After" in throttled
    # Another key has its own budget.
    assert other_brand_client.get(ME).status_code == 200


def test_partner_create_command_prints_a_working_key(client):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("partner_create", "--name", "Acme", "--kind", "data_partner", stdout=out)
    key = next(line.split()[-1] for line in out.getvalue().splitlines() if "Api-Key" in line)
    response = client.get(ME, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 200
    assert response.json()["kind"] == "data_partner"


def test_unknown_route_under_api_is_a_json_404(brand_client):
    response = brand_client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert brand_client.get("/api/v1/webhooks/endpoints/not-an-id/").json()["error"]


def test_partner_factory_kinds():
    assert PartnerFactory(kind="sub_agency").get_kind_display() == "Sub-agency"
