"""Schemathesis over the billing routes: no 5xx and every response matches the schema."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def _keep_connection():
    """Like Django's test client, keep the test's database connection open across the
    in-process WSGI requests."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_key(db, _keep_connection, partner_client_factory):
    return partner_client_factory(kind="sub_agency", name="Fuzz guild").key


@pytest.fixture
def data_key(db, _keep_connection, partner_client_factory):
    return partner_client_factory(kind="data_partner", name="Fuzz data").key


@schema.include(path_regex=r"^/api/v1/(statements|commission-lines)").parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_billing_read_routes_conform(case, api_key):
    """Only server errors and body conformance are checked: the platform's own pagination
    (e.g. page=0 is a 404) and Django's HTML 404 for a malformed path belong to agency."""
    case.call_and_validate(
        headers={"Authorization": f"Api-Key {api_key}"},
        checks=[not_a_server_error, response_schema_conformance],
    )


@schema.include(path_regex=r"^/api/v1/revenue-events/").parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_revenue_event_routes_never_fail_with_a_server_error(case, data_key):
    case.call_and_validate(
        headers={"Authorization": f"Api-Key {data_key}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
