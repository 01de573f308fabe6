"""The OpenAPI schema is valid with no warnings, and schemathesis finds no 5xx and no response
that breaks the schema on any partner route, for every partner kind."""

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from agency.models import Partner
from agency.wsgi import application
from tests.conftest import make_partner_client
from tests.factories.agency import PartnerFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


def test_schema_validates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    text = (tmp_path / "schema.yaml").read_text()
    assert "/api/v1/me/" in text and "ApiKeyAuth" in text


@pytest.fixture
def _keep_test_connection():
    """The raw WSGI app closes DB connections at request end; Django's test client disconnects
    that handler during requests, and so do we, so the test's transaction stays open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=[k.value for k in Partner.Kind])
def auth_headers(request, db, _keep_test_connection):
    client = make_partner_client(PartnerFactory(kind=request.param))
    # Another partner's data exists too, so scoping is exercised.
    make_partner_client(PartnerFactory(kind=request.param))
    return {"Authorization": f"Api-Key {client.key}"}


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_schema(case, auth_headers):
    # Valid and invalid generated input alike: never a 5xx, and every status, content type,
    # header and body is one the schema documents. (The negative-data check is left out: it
    # cannot tell a case that drops the Authorization header from ours, which adds it.)
    case.call_and_validate(
        headers=auth_headers,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
    )


def _post_paths() -> list[str]:
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return sorted(path for path, operations in paths.items() if "post" in operations)


HOSTILE_BODIES = {
    "nested": "[" * 5_000 + "]" * 5_000,
    "nul": '{"title": "a\\u0000b", "rows": [{"x\\u0000": 1}], "url": "\\u0000"}',
}


@pytest.mark.django_db
@pytest.mark.parametrize("body", sorted(HOSTILE_BODIES))
def test_hostile_bodies_are_a_4xx_in_the_error_shape_on_every_post(body):
    """Every POST route, for every partner kind: a body nested too deeply or carrying NUL
    characters is refused in the error shape (400 once the route reads it), never a 5xx."""
    clients = [make_partner_client(PartnerFactory(kind=kind)) for kind in Partner.Kind]
    paths = _post_paths()
    assert len(paths) >= 5
    for path in paths:
        url = path.replace("{id}", "1").replace("{prefix}", "nokey").replace("{pk}", "1")
        statuses = set()
        for client in clients:
            response = client.generic(
                "POST", url, HOSTILE_BODIES[body], content_type="application/json"
            )
            assert response.status_code in (400, 403, 404), (path, response.status_code)
            error = response.json()["error"]
            assert error["code"] and error["message"]
            statuses.add(response.status_code)
        if "{" not in path:  # a route every check lets through reads the body: a 400
            assert 400 in statuses, (path, statuses)
