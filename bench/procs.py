"""Child processes the benchmark owns: Celery workers and gunicorn, and their peak RSS."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident set size (VmHWM) of a live process, in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def self_peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def celery_workers(
    count: int, env: dict[str, str], log_dir: Path, queue: str = "recalc"
) -> list[subprocess.Popen]:
    """``count`` worker processes on ``queue``, each a solo pool (the worker process itself
    runs the task, so its VmHWM is the task's peak memory)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    workers = []
    for i in range(count):
        log = open(log_dir / f"worker-{queue}{i}.log", "w")  # noqa: SIM115 (closed with the process)
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "agency",
                    "worker",
                    "-Q",
                    queue,
                    "-P",
                    "solo",
                    "-n",
                    f"bench{queue}{i}-{os.getpid()}@%h",
                    "--loglevel=WARNING",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                ],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return workers


def celery_wait_ready(tag: str, count: int, timeout: float = 60) -> None:
    """Wait until ``count`` workers whose name contains ``tag`` answer a ping."""
    from agency.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        ready = [name for r in replies for name in r if tag in name]
        if len(ready) >= count:
            return
        time.sleep(0.5)
    raise RuntimeError(f"{count} Celery workers did not answer within {timeout} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
