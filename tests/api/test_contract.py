"""The partner contract: typed bodies with meaningful names, integer id filters, security once
per operation, money only as decimal strings, byte-exact idempotent replays compared as parsed
JSON, and one error shape (``fields``) everywhere."""

import json

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from tests.billing.helpers import creator_on_plan

EVENTS = reverse("revenue-event-list")
REMITTANCES = reverse("remittance-list")


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_security_is_listed_once_per_operation(schema):
    for name, operation in _operations(schema):
        security = [json.dumps(s, sort_keys=True) for s in operation.get("security", [])]
        assert len(security) == len(set(security)), name


def test_every_body_is_typed_with_a_meaningful_name(schema):
    components = schema["components"]["schemas"]
    generic = {"Input", "InputRequest", "Output", "OutputRequest", "Request", "Response"}
    assert not generic & set(components)
    for name, operation in _operations(schema):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            assert "$ref" in body["schema"], name
    rows = components["RevenueEventBatchRequest"]["properties"]["events"]["items"]
    row = components[rows["$ref"].rsplit("/", 1)[-1]]
    assert {"stream", "creator_id", "gross", "currency", "source_id"} <= set(row["properties"])
    assert row["properties"]["gross"]["type"] == "string"


def test_id_filters_are_integers(schema):
    for path in ("/api/v1/statements/", "/api/v1/commission-lines/"):
        params = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert params["creator"]["schema"]["type"] == "integer"


def _row(creator, **kw):
    return {
        "stream": "brand_deal",
        "creator_id": creator.pk,
        "occurred_on": "2025-03-10",
        "gross": "10.50",
        "currency": "USD",
        "source_type": "report",
        "source_id": "r-1",
        **kw,
    }


@pytest.mark.django_db
def test_a_json_number_as_money_is_a_400_naming_the_field(data_partner_client, brand_client):
    creator = creator_on_plan()
    response = data_partner_client.post(
        EVENTS, {"events": [_row(creator, gross=10.5)]}, format="json"
    )
    assert response.status_code == 400
    assert "gross" in response.json()["error"]["fields"]["events"]["0"]
    remittance = {
        "payer": "TikTok", "reference": "R-1", "currency": "USD", "amount": 95,
        "period_start": "2025-03-01", "period_end": "2025-03-31", "received_on": "2025-04-20",
        "lines": [],
    }  # fmt: skip
    response = data_partner_client.post(REMITTANCES, remittance, format="json")
    assert response.status_code == 400 and "amount" in response.json()["error"]["fields"]
    deal = {"title": "Launch", "fee": 1500, "currency": "USD",
            "creators": [{"creator_id": creator.pk}]}  # fmt: skip
    response = brand_client.post(reverse("deal-list"), deal, format="json")
    assert response.status_code == 400 and "fee" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_a_replay_returns_the_first_bytes_and_reformatted_json_is_the_same_request(
    data_partner_client,
):
    creator = creator_on_plan()
    body = {"events": [_row(creator)]}
    first = data_partner_client.post(
        EVENTS, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert first.status_code == 201
    # The same JSON with other key order and spacing: a replay, byte for byte.
    reformatted = json.dumps(
        {"events": [dict(reversed(list(body["events"][0].items())))]}, indent=2
    )
    replay = data_partner_client.post(
        EVENTS, reformatted, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.content == first.content
    other = data_partner_client.post(
        EVENTS,
        json.dumps({"events": [_row(creator, source_id="r-2")]}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert other.status_code == 422
    error = other.json()["error"]
    assert error["code"] == "idempotency_key_reused" and "Idempotency-Key" in error["fields"]
