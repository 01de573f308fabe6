"""The remittance API for data partners: wiring, money as strings, scoping, idempotency."""

import datetime as dt

import pytest
from django.urls import reverse

from billing.models import Remittance, RevenueEvent
from tests.billing.helpers import creator_on_plan

pytestmark = pytest.mark.django_db

REMITTANCES = reverse("remittance-list")


def _body(event, **kw):
    return {
        "payer": "TikTok Shop",
        "reference": "S-2025-03",
        "currency": "USD",
        "amount": "95.00",
        "fee_withheld": "5.00",
        "period_start": "2025-03-01",
        "period_end": "2025-03-31",
        "received_on": "2025-04-20",
        "lines": [{"stream": "affiliate", "amount": "100.00", "external_id": event.source_id}],
        **kw,
    }


def test_a_data_partner_reports_a_remittance_that_pays_its_event(ingest, data_partner_client):
    creator = creator_on_plan(streams=["affiliate"])
    event = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 3))
    response = data_partner_client.post(
        REMITTANCES, _body(event), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "matched"
    assert data["amount"] == {"amount": "95.00", "currency": "USD"}
    assert data["matched"] == {"amount": "100.00", "currency": "USD"}
    assert data["unmatched"]["amount"] == "0.00" and data["difference"]["amount"] == "0.00"
    assert data["lines"][0]["event_ids"] == [event.pk]
    assert data["lines"][0]["expected"] == {"amount": "100.00", "currency": "USD"}
    event.refresh_from_db()
    assert event.cash_received_on == dt.date(2025, 4, 20)

    replay = data_partner_client.post(
        REMITTANCES, _body(event), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    again = data_partner_client.post(REMITTANCES, _body(event), format="json")
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert Remittance.objects.count() == 1

    listed = data_partner_client.get(REMITTANCES).json()["results"]
    assert [r["id"] for r in listed] == [data["id"]]
    detail = data_partner_client.get(reverse("remittance-detail", args=[data["id"]]))
    assert detail.status_code == 200 and detail.json()["lines"][0]["status"] == "matched"


def test_money_as_a_json_number_is_refused_naming_the_field(ingest, data_partner_client):
    creator = creator_on_plan(streams=["affiliate"])
    event = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 3))
    body = _body(event, amount=95.0)
    body["lines"][0]["amount"] = 100
    response = data_partner_client.post(REMITTANCES, body, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "decimal string" in fields["amount"][0]
    assert "decimal string" in fields["lines"]["0"]["amount"][0]


def test_service_errors_name_the_field_and_the_line(ingest, data_partner_client):
    creator = creator_on_plan(streams=["affiliate"])
    event = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 3))
    body = _body(event, received_on="2999-01-01", currency="JPY", amount="95.5")
    body["lines"].append({"stream": "affiliate", "amount": "1"})
    response = data_partner_client.post(REMITTANCES, body, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["received_on"] == ["Must not be in the future."]
    assert "more decimals than JPY" in fields["amount"][0]
    assert "external id or a creator" in fields["lines"]["1"]["external_id"][0]
    assert not Remittance.objects.exists()


def test_partners_see_only_their_own_remittances(
    ingest, data_partner_client, partner_client_factory, sub_agency_client
):
    creator = creator_on_plan(streams=["affiliate"])
    event = ingest(creator, stream="affiliate", gross="100.00", on=dt.date(2025, 3, 3))
    mine = data_partner_client.post(REMITTANCES, _body(event), format="json").json()
    other = partner_client_factory(kind="data_partner")
    assert other.get(REMITTANCES).json()["results"] == []
    assert other.get(reverse("remittance-detail", args=[mine["id"]])).status_code == 404
    # the same reference is another partner's own namespace
    theirs = other.post(REMITTANCES, _body(event), format="json")
    assert theirs.status_code == 201
    assert theirs.json()["lines"][0]["status"] == "unmatched"  # paid already, never twice
    assert sub_agency_client.get(REMITTANCES).status_code == 403
    assert RevenueEvent.objects.get().cash_received_on == dt.date(2025, 4, 20)
