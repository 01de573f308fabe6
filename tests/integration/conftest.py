"""Real Celery worker processes on a real Redis, pointed at the test database.

A worker is another process, so it must reach exactly the server and database this test
session uses, whatever form the connection takes (TCP, a unix-socket directory in HOST or in
OPTIONS, as the embedded server's URI gives it). ``database_url`` turns the session's
connection settings back into the URL the worker's settings parse into the same settings.
Every wait has a deadline sized for a busy 2-core machine and fails with what went wrong:
the state it waited on and the worker's own output.
"""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / "var" / "test-workers"
DEADLINE = 180  # seconds; generous for two worker processes and pytest on 2 busy cores
_running: list["Worker"] = []  # started and not yet stopped, for failure reports


def database_url(db: dict[str, Any]) -> str:
    """The ``DATABASE_URL`` that django-environ parses back into ``db``'s connection."""
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or ""
    options = {k: str(v) for k, v in (db.get("OPTIONS") or {}).items()}
    if host.startswith("/"):  # a socket directory cannot stand in the URL's host part
        options.setdefault("host", host)
        host = ""
    netloc = (auth + "@" if auth else "") + quote(host, safe="")
    if host and db.get("PORT"):
        netloc += f":{db['PORT']}"
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{netloc}/{quote(db['NAME'], safe='')}{query}"


@dataclass
class Worker:
    """A worker process and the file its output goes to."""

    process: subprocess.Popen
    hostname: str
    log: Path

    def output(self, tail: int = 4000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text[-tail:] or "(no output)"

    def stop(self) -> None:
        if self in _running:
            _running.remove(self)
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_worker(
    *, queues: list[str], concurrency: int = 1, extra_env: dict[str, str] | None = None
) -> Worker:
    """Start a worker consuming ``queues`` against the test database (``extra_env`` on top);
    return once it answers a ping, or fail with its output if it exits or stays silent past
    the deadline."""
    hostname = f"it-{uuid.uuid4().hex[:8]}@{os.uname().nodename}"
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"{hostname.split('@')[0]}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_ENV": "test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **(extra_env or {}),
    }
    pool = ["--pool", "solo"] if concurrency == 1 else ["--pool", "prefork", "-c", str(concurrency)]
    with open(log, "w") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "agency", "worker", "-Q", ",".join(queues),
                *pool, "--loglevel", "INFO", "--hostname", hostname,
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    worker = Worker(process=process, hostname=hostname, log=log)
    _running.append(worker)
    try:
        _wait_until_ready(worker)
    except BaseException:
        worker.stop()
        raise
    return worker


def _wait_until_ready(worker: Worker) -> None:
    from agency.celery import app

    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            pytest.fail(
                f"The worker exited with {worker.process.returncode}:\n{worker.output()}",
                pytrace=False,
            )
        if app.control.ping(destination=[worker.hostname], timeout=1):
            return
    pytest.fail(f"The worker did not answer in {DEADLINE} s:\n{worker.output()}", pytrace=False)


@pytest.fixture
def worker_queue(transactional_db) -> Iterator[str]:
    """A worker consuming a queue of its own; yields the queue name."""
    queue = f"it-{uuid.uuid4().hex[:8]}"
    worker = start_worker(queues=[queue])
    try:
        yield queue
    finally:
        worker.stop()


def wait_for(predicate: Callable[[], bool], timeout: float = 30, interval: float = 0.2) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` passes; say which."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def wait_until(
    predicate: Callable[[], bool],
    *,
    describe: Callable[[], str],
    worker: Worker | None = None,
    timeout: float = DEADLINE,
) -> None:
    """Poll ``predicate`` until it holds; past the deadline, or as soon as a worker has
    exited, fail with ``describe()`` (the state waited on) and the workers' output
    (``worker``'s, or every running test worker's)."""
    workers = [worker] if worker is not None else list(_running)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if any(w.process.poll() is not None for w in workers):
            break
        time.sleep(0.25)
    if predicate():
        return
    exited = [w for w in workers if w.process.poll() is not None]
    reason = (
        f"a worker exited with {exited[0].process.returncode}"
        if exited
        else f"not done after {timeout:.0f} s"
    )
    output = "".join(f"\n--- worker {w.hostname} ---\n{w.output()}" for w in workers)
    pytest.fail(f"{reason}: {describe()}{output}", pytrace=False)
