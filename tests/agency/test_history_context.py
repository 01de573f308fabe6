"""Recorded history says who changed what, in which request (quality.md invariant 5)."""

import pytest
from django.urls import reverse

from billing.models import ExchangeRate

pytestmark = pytest.mark.django_db


def test_admin_change_is_recorded_with_user_url_and_request_id(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:billing_exchangerate_add"),
        {"base": "USD", "quote": "EUR", "valid_on": "2026-10-01", "rate": "0.92", "source": "ecb"},
        HTTP_X_REQUEST_ID="req-fx-42",
    )
    assert response.status_code == 302, response.content[:500]
    rate = ExchangeRate.objects.get()
    event = rate.history.get()
    metadata = event.pgh_context.metadata
    assert metadata["user"] == admin_user.pk
    assert metadata["request_id"] == "req-fx-42"
    assert metadata["url"] == reverse("admin:billing_exchangerate_add")
