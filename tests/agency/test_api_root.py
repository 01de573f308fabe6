"""/api/v1/ (the "API" link ``make run`` prints) and the landing page behind "View site"."""

import pytest
import yaml
from django.core.management import call_command

from agency.models import Partner

pytestmark = pytest.mark.django_db


def test_without_a_key_the_root_answers_with_the_docs_and_how_to_authenticate(client):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    assert body["partner"] is None and body["resources"] == {}
    assert body["authentication"] == "Authorization: Api-Key <key>"
    assert body["docs"] == "http://testserver/api/docs/"
    assert body["schema"] == "http://testserver/api/schema/"
    assert body["health"] == "http://testserver/healthz"


def test_a_bad_key_is_refused_in_the_error_shape(client):
    response = client.get("/api/v1/", HTTP_AUTHORIZATION="Api-Key nope.nope")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.parametrize(
    ("kind", "present", "absent"),
    [
        (
            Partner.Kind.BRAND,
            {"deals", "deals/{pk}", "deliverables/{pk}/approve", "invoices", "creators"},
            {"revenue-events", "statements", "metrics/daily", "commission-lines"},
        ),
        (
            Partner.Kind.SUB_AGENCY,
            {"statements", "commission-lines", "creators", "creators/{pk}/eligibility"},
            {"deals", "invoices", "revenue-events", "metrics/daily"},
        ),
        (
            Partner.Kind.DATA_PARTNER,
            {"metrics/daily", "metrics/videos", "revenue-events"},
            {"deals", "creators", "statements"},
        ),
    ],
)
def test_a_key_sees_links_to_exactly_the_routes_its_kind_may_use(
    partner_client_factory, kind, present, absent
):
    api = partner_client_factory(kind=kind)
    body = api.get("/api/v1/").json()
    assert body["partner"] == {"id": api.partner.pk, "name": api.partner.name, "kind": kind}
    names = set(body["resources"])
    assert present <= names and not absent & names
    assert {"me", "api-keys", "webhooks/endpoints", "webhooks/deliveries"} <= names
    assert body["resources"]["me"] == {"href": "http://testserver/api/v1/me/", "methods": ["GET"]}
    assert body["resources"]["api-keys/{prefix}/revoke"] == {
        "href": "http://testserver/api/v1/api-keys/{prefix}/revoke/",
        "methods": ["POST"],
    }
    # Every link without a template part answers this key (no 403/404 behind a listed link).
    for name, resource in body["resources"].items():
        if "{" in name or "GET" not in resource["methods"]:
            continue
        assert api.get(resource["href"]).status_code == 200, name


def test_the_root_is_documented_in_the_schema(tmp_path):
    call_command("spectacular", "--file", str(tmp_path / "schema.yaml"))
    schema = yaml.safe_load((tmp_path / "schema.yaml").read_text())
    operation = schema["paths"]["/api/v1/"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiRoot"
    }
    assert {"partner", "resources", "docs", "schema"} <= set(
        schema["components"]["schemas"]["ApiRoot"]["properties"]
    )


def test_view_site_leads_to_a_landing_page_with_the_links(admin_client):
    index = admin_client.get("/admin/").content.decode()
    assert 'href="/"' in index  # the admin's "View site"
    page = admin_client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    for href in ("/admin/", "/api/v1/", "/api/docs/", "/api/schema/", "/healthz"):
        assert f'href="{href}"' in html, href
