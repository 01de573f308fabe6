"""Fixtures shared by every test folder."""

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from rest_framework.test import APIClient

from agency import services
from agency.models import Partner
from agency.roles import needs_second_factor
from tests.factories.agency import PartnerFactory


class PartnerClient(APIClient):
    """An API client authenticated as one partner (``client.partner``, ``client.key``)."""

    partner: Partner
    key: str


def make_partner_client(partner: Partner) -> PartnerClient:
    _, key = services.partner_api_key_create(partner=partner, name="test key")
    client = PartnerClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    client.partner = partner
    client.key = key
    return client


def key_known(client: PartnerClient) -> None:
    """One request, so this process knows the client's API key: a known key is not looked
    up again (agency.api.authentication), so pinned query counts leave the lookup out."""
    assert client.get("/api/v1/me/").status_code == 200


def staff_login(client: Client, user) -> Client:
    """Log ``user`` in as the admin's login page would: a session, and for users who need a
    second factor (superusers, finance) a TOTP device that verified it. The admin's check is
    unchanged; the test only skips typing the code."""
    client.force_login(user)
    if needs_second_factor(user):
        device = user.totpdevice_set.filter(confirmed=True).first() or services.staff_totp_enrol(
            user=user
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def admin_client(db, admin_user) -> Client:
    """pytest-django's ``admin_client``, with the superuser's second factor verified."""
    return staff_login(Client(), admin_user)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters live in the cache; every test starts with none. (While Redis is
    down they live in this process, and task sends are skipped: both start afresh too.)"""
    from agency.api.throttling import throttle_state_reset
    from agency.queueing import broker_state_reset

    cache.clear()
    throttle_state_reset()
    broker_state_reset()
    yield


@pytest.fixture
def partner_client_factory(db):
    def make(**partner_fields) -> PartnerClient:
        return make_partner_client(PartnerFactory(**partner_fields))

    return make


@pytest.fixture
def brand_client(partner_client_factory) -> PartnerClient:
    return partner_client_factory(kind=Partner.Kind.BRAND, name="Brand A")


@pytest.fixture
def other_brand_client(partner_client_factory) -> PartnerClient:
    return partner_client_factory(kind=Partner.Kind.BRAND, name="Brand B")


@pytest.fixture
def sub_agency_client(partner_client_factory) -> PartnerClient:
    return partner_client_factory(kind=Partner.Kind.SUB_AGENCY, name="Guild A")


@pytest.fixture
def other_sub_agency_client(partner_client_factory) -> PartnerClient:
    return partner_client_factory(kind=Partner.Kind.SUB_AGENCY, name="Guild B")


@pytest.fixture
def data_partner_client(partner_client_factory) -> PartnerClient:
    return partner_client_factory(kind=Partner.Kind.DATA_PARTNER, name="Data A")


def migrated_role_permissions() -> dict[str, set[str]]:
    """Each role's permissions ("app_label.codename") as the data migrations leave them:
    campaigns/0004_staff_roles' lists plus the ``GRANTS`` of every later role migration."""
    import importlib
    from pathlib import Path

    base = importlib.import_module("campaigns.migrations.0004_staff_roles")
    result = {name: set(perms) for name, perms in base.ROLES.items()}
    for path in sorted(Path(base.__file__).parent.glob("0*.py")):
        if path.stem <= "0004_staff_roles":
            continue
        grants = getattr(importlib.import_module(f"campaigns.migrations.{path.stem}"), "GRANTS", {})
        for name, perms in grants.items():
            result[name] |= {f"{app}.{codename}" for app, codename in perms}
    return result
