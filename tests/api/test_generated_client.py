"""A client generated from the schema alone with openapi-python-client (a pinned dev
dependency) posts revenue events and a remittance, and reads them back typed: proof that
every body the partner needs is in the schema with its fields."""

import datetime as dt
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from agency.models import Partner
from agency.wsgi import application
from billing.models import RevenueEvent
from tests.billing.helpers import creator_on_plan
from tests.conftest import make_partner_client
from tests.factories.agency import PartnerFactory

httpx = pytest.importorskip("httpx", reason="httpx comes with the dev dependencies")


def _generator() -> list[str] | None:
    """The generator's command: the installed package, else the CLI on PATH."""
    try:
        importlib.import_module("openapi_python_client")
    except ImportError:
        cli = shutil.which("openapi-python-client")
        return [cli] if cli else None
    return [sys.executable, "-m", "openapi_python_client"]


@pytest.fixture
def generated(tmp_path: Path):
    command = _generator()
    if command is None:
        pytest.skip("openapi-python-client is not installed (uv sync installs the dev group)")
    schema = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(schema))
    (tmp_path / "config.yaml").write_text("package_name_override: partner_client\npost_hooks: []\n")
    subprocess.run(
        [*command, "generate", "--path", str(schema), "--meta", "none",
         "--config", str(tmp_path / "config.yaml"), "--output-path",
         str(tmp_path / "partner_client")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    sys.path.insert(0, str(tmp_path))
    yield importlib.import_module
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.split(".")[0] == "partner_client"]:
        del sys.modules[name]


@pytest.fixture
def _keep_test_connection():
    """The WSGI app closes DB connections at request end; keep the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_a_generated_client_posts_revenue_events_and_a_remittance(generated, _keep_test_connection):
    key = make_partner_client(PartnerFactory(kind=Partner.Kind.DATA_PARTNER)).key
    creator = creator_on_plan(streams=["affiliate"])
    client_mod = generated("partner_client.client")
    models = generated("partner_client.models")
    create_events = generated("partner_client.api.revenue_events.revenue_events_create")
    create_remittance = generated("partner_client.api.remittances.remittances_create")
    client = client_mod.AuthenticatedClient(
        base_url="http://testserver",
        token=key,
        prefix="Api-Key",
        httpx_args={"transport": httpx.WSGITransport(app=application)},
    )

    row = models.RevenueEventRowRequest(
        stream=models.StreamEnum.AFFILIATE,
        creator_id=creator.pk,
        occurred_on=dt.date(2025, 3, 3),
        gross="100.00",
        currency=models.CurrencyEnum.USD,
        source_type="shop-report",
        source_id="order-1",
    )
    response = create_events.sync_detailed(
        client=client, body=models.RevenueEventBatchRequest(events=[row]), idempotency_key="e-1"
    )
    assert response.status_code == 201, response.content
    result = response.parsed
    assert isinstance(result, models.RevenueEventBatchResult)
    assert result.created == 1 and result.events[0].gross.amount == "100.00"

    remittance = models.RemittanceCreateRequest(
        payer="TikTok Shop",
        reference="S-1",
        currency=models.CurrencyEnum.USD,
        amount="100.00",
        period_start=dt.date(2025, 3, 1),
        period_end=dt.date(2025, 3, 31),
        received_on=dt.date(2025, 4, 20),
        lines=[
            models.RemittanceLineCreateRequest(
                stream=models.StreamEnum.AFFILIATE, amount="100.00", external_id="order-1"
            )
        ],
    )
    response = create_remittance.sync_detailed(client=client, body=remittance)
    assert response.status_code == 201, response.content
    assert response.parsed.status == models.RemittanceStatusEnum.MATCHED
    event = RevenueEvent.objects.get(source_id="order-1")
    assert str(event.cash_received_on) == "2025-04-20"
