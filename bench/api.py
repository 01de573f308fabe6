"""API under load on loopback: gunicorn (started here, free port, 2 sync workers) serving the
partner creators list (page of 100) and a statement detail, and the bare views beside them;
a bounded threaded client measures req/s, p50 and p99, the product and its bare view in
alternating slices so both meet the same machine load. Query counts are taken in-process
with CaptureQueriesContext at two page sizes / two statement sizes: they must not differ."""

import http.client
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.procs import ROOT, free_port, stop

MAX_REQUESTS = 200_000  # per endpoint, whatever the time budget
STATEMENT_CREATORS = 50  # creators settled when the database has no statement yet


def statements_ensure(*, sub_agency_id: int, period, creators: int = STATEMENT_CREATORS) -> dict:
    """A database kept after ``generate`` alone has no statement (the settle phase makes
    them): then post the revenue events of the sub-agency's first ``creators`` creators with
    the product's batch engine (``revenue_events_post``) and close their first month
    (``statements_close_month``), so the statement endpoint has real statements to serve."""
    from billing.models import RevenueEvent, Statement
    from billing.services.posting import revenue_events_post
    from billing.services.statements import statements_close_month

    mine = Statement.objects.filter(creator__sub_agency_id=sub_agency_id, lines__isnull=False)
    if mine.exists():
        return {"posted": 0, "closed": 0}
    ids = list(
        RevenueEvent.objects.filter(
            creator__sub_agency_id=sub_agency_id,
            creator_id__in=RevenueEvent.objects.filter(creator__sub_agency_id=sub_agency_id)
            .order_by("creator_id")
            .values("creator_id")
            .distinct()[:creators],
            posted_at__isnull=True,
        )
        .order_by("creator_id", "occurred_on", "pk")
        .values_list("pk", flat=True)
    )
    posted = len(revenue_events_post(event_ids=ids).posted) if ids else 0
    return {"posted": posted, "closed": statements_close_month(period=period)}


def query_counts(*, key: str, sub_agency_id: int, statements: list[int]) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")

    def count(url: str) -> tuple[int, int]:
        client.get(url)  # warm caches (key lookup, content types)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        return response.status_code, len(ctx.captured_queries)

    out = {
        "creators_page_10": count("/api/v1/creators/?page_size=10"),
        "creators_page_100": count("/api/v1/creators/?page_size=100"),
        "creators_page_100_p2": count("/api/v1/creators/?page_size=100&page=2"),
    }
    for i, pk in enumerate(statements):
        out[f"statement_{i}"] = count(f"/api/v1/statements/{pk}/")
    creators = {v[1] for k, v in out.items() if k.startswith("creators")}
    stmts = {v[1] for k, v in out.items() if k.startswith("statement")}
    return {
        "counts": {k: v[1] for k, v in out.items()},
        "statuses": sorted({v[0] for v in out.values()}),
        "constant": len(creators) == 1 and len(stmts) <= 1,
    }


SLICES = 5  # product and bare alternate in this many slices each (same machine load)


def _alternating(port: int, product: tuple, bare: tuple, seconds: float) -> tuple[dict, dict]:
    """Load ``product`` and ``bare`` (path, headers) for ``seconds`` each, in alternating
    slices, so a change in the shared machine's load falls on both alike."""
    runs: dict[str, list[dict]] = {"product": [], "bare": []}
    for _ in range(SLICES):
        for name, (path, headers) in (("product", product), ("bare", bare)):
            runs[name].append(_load(port, path, headers, seconds / SLICES, raw=True))
    return _merged(runs["product"]), _merged(runs["bare"])


def _merged(runs: list[dict]) -> dict:
    latencies = sorted(x for r in runs for x in r["latencies"])
    elapsed = sum(r["elapsed"] for r in runs)
    n = len(latencies)
    return {
        "requests": n,
        "errors": sum(r["errors"] for r in runs),
        "req_per_s": round(n / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if n else None,
        "p99_ms": round(latencies[min(n - 1, int(n * 0.99))] * 1000, 1) if n else None,
    }


def _load(
    port: int, path: str, headers: dict, seconds: float, threads: int = 4, raw: bool = False
) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        mine, bad = [], 0
        while time.monotonic() < deadline and len(latencies) + len(mine) < MAX_REQUESTS:
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
            except OSError:
                bad += 1
            finally:
                conn.close()
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    started = time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    if raw:
        return {"latencies": latencies, "elapsed": elapsed, "errors": errors[0]}
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n,
        "errors": errors[0],
        "req_per_s": round(n / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if n else None,
        "p99_ms": round(latencies[min(n - 1, int(n * 0.99))] * 1000, 1) if n else None,
    }


def _wait_up(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited while starting")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer within {timeout} s")


def load(
    *, env: dict, key: str, sub_agency_id: int, statement_id: int, seconds: float, log_dir: Path
) -> dict:
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / "gunicorn.log", "w")  # noqa: SIM115 (closed after the run)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "agency.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--error-logfile",
            "-",
            "--log-level",
            "warning",
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    auth = {"Authorization": f"Api-Key {key}"}
    try:
        _wait_up(port, process)
        targets = {
            "creators": (
                ("/api/v1/creators/?page_size=100", auth),
                (f"/bench/bare/creators/?sub_agency={sub_agency_id}&page_size=100", {}),
            ),
            "statement": (
                (f"/api/v1/statements/{statement_id}/", auth),
                (f"/bench/bare/statements/{statement_id}/", {}),
            ),
        }
        out = {}
        for name, ((product_path, h1), (bare_path, h2)) in targets.items():
            _load(port, product_path, h1, min(1.0, seconds))  # warm up both workers
            _load(port, bare_path, h2, min(1.0, seconds))
            product, bare = _alternating(port, (product_path, h1), (bare_path, h2), seconds)
            out[name] = {
                "product": product,
                "bare": bare,
                "ratio": round(product["req_per_s"] / bare["req_per_s"], 3)
                if bare["req_per_s"]
                else None,
            }
    finally:
        stop(process)
        log.close()
    return out
