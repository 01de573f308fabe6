import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from agency.models import PartnerAPIKey
from tests.factories.agency import PartnerFactory

pytestmark = pytest.mark.django_db


def test_create_key_action_shows_the_key_once_and_stores_only_its_hash(admin_client):
    partner = PartnerFactory(name="Acme")
    response = admin_client.post(
        reverse("admin:agency_partner_changelist"),
        {"action": "create_api_key", "_selected_action": [partner.pk]},
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    text = " ".join(messages) or response.content.decode()
    api_key = PartnerAPIKey.objects.get(partner=partner)
    key = next(word for word in text.split() if word.startswith(api_key.prefix + "."))
    assert PartnerAPIKey.objects.get_from_key(key) == api_key
    assert key.split(".")[1] not in api_key.hashed_key
    # The change page never shows the key again.
    page = admin_client.get(reverse("admin:agency_partner_change", args=[partner.pk]))
    assert key not in page.content.decode()


def test_revoke_action_revokes(admin_client, brand_client):
    api_key = PartnerAPIKey.objects.get(partner=brand_client.partner)
    admin_client.post(
        reverse("admin:agency_partnerapikey_changelist"),
        {"action": "revoke", "_selected_action": [api_key.pk]},
    )
    api_key.refresh_from_db()
    assert api_key.revoked
    assert brand_client.get("/api/v1/me/").status_code == 401


def test_admin_pages_render(admin_client, brand_client):
    for name in ["admin:agency_partner_changelist", "admin:agency_partnerapikey_changelist"]:
        assert admin_client.get(reverse(name)).status_code == 200
