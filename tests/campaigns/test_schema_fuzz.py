"""Schemathesis over the brand routes: no 5xx and every response matches the schema."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.factories.campaigns import BrandDealFactory, BrandFactory, DeliverableFactory
from tests.factories.creators import CreatorFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def _keep_connection():
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def brand_key(db, _keep_connection, partner_client_factory):
    client = partner_client_factory(kind="brand", name="Fuzz brand")
    brand = BrandFactory(partner=client.partner)
    deal = BrandDealFactory(brand=brand, status="delivered")
    DeliverableFactory(deal=deal, creator=CreatorFactory(), status="submitted")
    return client.key


@schema.include(path_regex=r"^/api/v1/(deals|deliverables|invoices)").parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_brand_routes_conform(case, brand_key):
    case.call_and_validate(
        headers={"Authorization": f"Api-Key {brand_key}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
