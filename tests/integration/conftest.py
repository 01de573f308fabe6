"""A real Celery worker process on a real Redis, pointed at the test database."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = quote(db["PASSWORD"] or "")
    auth = f"{user}:{password}@" if password else f"{user}@"
    socket_dir = (db.get("OPTIONS") or {}).get("host")
    if socket_dir:
        return f"postgresql://{auth}/{db['NAME']}?host={socket_dir}"
    return f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue(transactional_db):
    """Start a worker consuming a queue of its own; yield the queue name; stop the worker."""
    queue = f"it-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    log = open(ROOT / "var" / f"{queue}.log", "w")  # noqa: SIM115
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "agency", "worker",
            "-Q", queue, "--pool", "solo", "--loglevel", "INFO", "--hostname", f"{queue}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_until_ready(queue)
        yield queue
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def _wait_until_ready(queue: str, timeout: float = 60) -> None:
    from agency.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=1)
        if replies:
            return
    log = (ROOT / "var" / f"{queue}.log").read_text()
    raise RuntimeError(f"The worker did not come up in {timeout} s:\n{log[-3000:]}")


def wait_for(predicate, timeout: float = 30, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
