"""The URL a test worker gets names the same server and database as the test session."""

import environ
import pytest

from tests.integration.conftest import database_url


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres@127.0.0.1:5432/test_mcn",
        "postgres://app:s%40cret@db.internal:6543/test_mcn?sslmode=require",
        # The embedded server: a socket directory, no host and no port.
        "postgresql://postgres:@/test_mcn?host=/work/var/pg",
    ],
)
def test_database_url_round_trips_every_connection_form(url):
    parsed = environ.Env.db_url_config(url)
    again = environ.Env.db_url_config(database_url(parsed))
    host = parsed["HOST"] or parsed.get("OPTIONS", {}).get("host")
    host_again = again["HOST"] or again.get("OPTIONS", {}).get("host")
    assert host_again == host
    for key in ("NAME", "USER", "PASSWORD", "PORT"):
        assert (again.get(key) or "") == (parsed.get(key) or ""), key
    options = {k: v for k, v in (parsed.get("OPTIONS") or {}).items() if k != "host"}
    assert {k: v for k, v in (again.get("OPTIONS") or {}).items() if k != "host"} == options


def test_the_embedded_servers_uri_keeps_its_socket_directory():
    parsed = environ.Env.db_url_config("postgresql://postgres:@/test_mcn?host=/work/var/pg")
    assert environ.Env.db_url_config(database_url(parsed))["OPTIONS"] == {"host": "/work/var/pg"}


def test_a_socket_directory_in_host_travels_as_the_host_option():
    db = {"NAME": "test_mcn", "USER": "postgres", "HOST": "/var/run/postgresql", "PORT": ""}
    parsed = environ.Env.db_url_config(database_url(db))
    assert (parsed["HOST"], parsed["OPTIONS"]) == ("", {"host": "/var/run/postgresql"})
