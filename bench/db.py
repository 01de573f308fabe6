"""The benchmark's own database: ``bench_<scale>`` next to the one DATABASE_URL names.

Created empty and migrated before a run, dropped after it (unless kept), so a run never
touches development data.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def bench_url(base_url: str, name: str) -> str:
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_conninfo(base_url: str) -> str:
    return bench_url(base_url, "postgres")


def database_recreate(base_url: str, name: str) -> None:
    with psycopg.connect(_admin_conninfo(base_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_drop(base_url: str, name: str) -> None:
    with psycopg.connect(_admin_conninfo(base_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def child_env(url: str) -> dict[str, str]:
    """Environment of every process the benchmark starts (phases, workers, gunicorn)."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_ENV": "development",
        "DEBUG": "false",  # no query log growing in memory
        "LOG_LEVEL": "WARNING",
        "API_KEY_RATE": "100000000/min",  # measure the API, not its throttle
        "DJANGO_SETTINGS_MODULE": "agency.settings",
        "PYTHONUNBUFFERED": "1",
        "PYTHONWARNINGS": "ignore:No directory at:UserWarning",  # whitenoise, no collectstatic
    }


def migrate(url: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        env=child_env(url),
        cwd=ROOT,
        check=True,
    )
