"""Property-based run over the creators endpoints (schemathesis): no 5xx, every response
(errors included) matches the documented schema and status codes."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from agency.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(
    path_regex=r"^/api/v1/(creators|metrics)/"
)


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """The WSGI handler closes the connection after each request; the test needs it open."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_creators_api_fuzz(case, sub_agency_client, data_partner_client):
    client = data_partner_client if case.path.startswith("/api/v1/metrics/") else sub_agency_client
    case.headers = {**(case.headers or {}), "Authorization": f"Api-Key {client.key}"}
    case.headers.pop("Idempotency-Key", None)
    response = case.call()
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
