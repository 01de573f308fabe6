import importlib

import pytest
from django.apps import apps

_programs = importlib.import_module("creators.migrations.0003_seed_eligibility_programs")
_pools = importlib.import_module("creators.migrations.0008_video_waves")
_scoring = importlib.import_module("creators.migrations.0009_scoring_versions")
_basis = importlib.import_module("creators.migrations.0010_estimate_basis")


@pytest.fixture(autouse=True)
def _eligibility_programs(request):
    """The programs, traffic pools and scoring versions seeded by the data migrations, put
    back if a flush (a transactional test elsewhere, with --reuse-db) removed them.
    Idempotent: get_or_create."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")
    _programs.seed(apps, None)
    _basis.seed(apps, None)
    _pools.seed(apps, None)
    _scoring.seed(apps, None)
