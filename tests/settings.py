"""Test settings: the project's settings with DJANGO_ENV=test defaults."""

import os

os.environ.setdefault("DJANGO_ENV", "test")

from agency.settings import *  # noqa: F403
