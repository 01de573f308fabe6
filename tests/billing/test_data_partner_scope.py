"""Data partners' trust boundary (BILLING_DATA_PARTNER_SCOPE): by default they report for
every creator of the agency; scoped to "assigned", a creator not assigned to the partner is
unknown to it, in revenue events and remittance lines alike."""

import pytest
from django.test.utils import override_settings
from django.urls import reverse

from billing.models import DataPartnerCreator, RevenueEvent
from tests.billing.helpers import creator_on_plan

pytestmark = pytest.mark.django_db

EVENTS = reverse("revenue-event-list")
REMITTANCES = reverse("remittance-list")


def _events(creator):
    return {
        "events": [
            {
                "stream": "brand_deal",
                "creator_id": creator.pk,
                "occurred_on": "2025-03-10",
                "gross": "100.00",
                "currency": "USD",
                "source_type": "report",
                "source_id": f"r-{creator.pk}",
            }
        ]
    }


def test_by_default_a_data_partner_reports_for_any_creator(data_partner_client):
    creator = creator_on_plan()
    assert data_partner_client.post(EVENTS, _events(creator), format="json").status_code == 201


@override_settings(BILLING_DATA_PARTNER_SCOPE="assigned")
def test_scoped_a_data_partner_reports_only_for_its_assigned_creators(data_partner_client):
    creator = creator_on_plan()
    response = data_partner_client.post(EVENTS, _events(creator), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["events"]["0"]["creator_id"] == ["Unknown creator."]
    assert not RevenueEvent.objects.exists()

    remittance = {
        "payer": "TikTok", "reference": "R-1", "currency": "USD", "amount": "100.00",
        "period_start": "2025-03-01", "period_end": "2025-03-31", "received_on": "2025-04-20",
        "lines": [{"stream": "brand_deal", "amount": "100.00", "creator_id": creator.pk}],
    }  # fmt: skip
    response = data_partner_client.post(REMITTANCES, remittance, format="json")
    assert response.status_code == 400 and "Unknown creator." in str(response.json())

    DataPartnerCreator.objects.create(partner=data_partner_client.partner, creator=creator)
    assert data_partner_client.post(EVENTS, _events(creator), format="json").status_code == 201
    assert data_partner_client.post(REMITTANCES, remittance, format="json").status_code == 201
