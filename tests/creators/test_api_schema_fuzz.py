"""Property-based run over the creators endpoints (schemathesis): no 5xx, every response
(errors included) matches the documented schema and status codes."""

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from agency.wsgi import application
from creators.services import recalc
from tests.creators.test_api import AS_OF, creator_with_data

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


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "client_name"),
    [
        ("/api/v1/creators/", "sub_agency_client"),
        ("/api/v1/creators/", "brand_client"),
        ("/api/v1/creators/{id}/", "brand_client"),
        ("/api/v1/creators/{id}/performance/", "brand_client"),
        ("/api/v1/creators/{id}/eligibility/", "sub_agency_client"),
    ],
)
def test_real_responses_match_the_schema(request, path, client_name):
    """Responses with data in them (the fuzz run mostly sees empty lists and 404s)."""
    client = request.getfixturevalue(client_name)
    sub_agency = client.partner if client.partner.kind == "sub_agency" else None
    creator = creator_with_data(sub_agency=sub_agency, views=50_000, followers=250_000)
    recalc.recalc_run_inline(as_of=AS_OF)
    case = schema[path]["GET"].Case(
        path_parameters={"id": creator.pk} if "{id}" in path else {},
        query={"as_of": str(AS_OF + dt.timedelta(days=1))} if "performance" in path else {},
        headers={"Authorization": f"Api-Key {client.key}"},
    )
    response = case.call()
    assert response.status_code == 200
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
