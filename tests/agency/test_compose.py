"""docker-compose.yml describes the production shape; no Docker engine runs here, so the file
is parsed and every command checked against real modules and settings."""

import importlib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def load():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_healthchecks():
    services = load()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ["postgres", "redis", "web", "worker", "beat"]:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")


def test_commands_point_at_real_modules():
    services = load()["services"]
    web = services["web"]["command"]
    assert web[0] == "gunicorn"
    module, attr = web[1].split(":")
    assert callable(getattr(importlib.import_module(module), attr))
    for name in ["worker", "beat"]:
        command = services[name]["command"]
        assert command[:3] == ["celery", "-A", "agency"]
        assert command[3] == name
    from agency.celery import Queue, app

    assert app.main == "agency"
    queues = services["worker"]["command"][services["worker"]["command"].index("-Q") + 1]
    assert set(queues.split(",")) == {q.value for q in Queue}
    assert services["migrate"]["command"][:3] == ["python", "manage.py", "migrate"]


def test_environment_is_env_driven_and_production():
    services = load()["services"]
    for name in ["web", "worker", "beat"]:
        env = services[name]["environment"]
        assert env["DJANGO_ENV"] == "production"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY")
    assert (ROOT / "Dockerfile").exists()
    assert "uv sync --frozen" in (ROOT / "Dockerfile").read_text()


def test_the_broker_keeps_its_queues_across_a_restart():
    """Redis runs with an append-only file on a volume, so a restart does not drop what is
    queued (and what it still loses, the sweepers re-drive from PostgreSQL)."""
    compose = load()
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[0] == "redis-server"
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] in {"everysec", "always"}
    (volume,) = [v for v in redis["volumes"] if v.endswith(":/data")]
    assert volume.split(":")[0] in compose["volumes"]
