import pytest

from tests.billing.helpers import creator_on_plan
from tests.factories.campaigns import BrandFactory


@pytest.fixture
def creators_on_plan(db):
    """Three USD creators with approved plans on every stream (agency 20 %)."""
    return [creator_on_plan() for _ in range(3)]


@pytest.fixture
def brand_a(brand_client):
    return BrandFactory(name="Glow A", partner=brand_client.partner)


@pytest.fixture
def brand_b(other_brand_client):
    return BrandFactory(name="Nimbus B", partner=other_brand_client.partner)
