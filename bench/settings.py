"""Settings for the benchmark's gunicorn: the product's settings plus the bare views."""

from agency.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
