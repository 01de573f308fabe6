"""``python -m bench [--scale tiny|small|default]``: build a database of its own, load the
data set, run every benchmark, print a table and write var/bench/results.json.

Every figure is compared with a floor measured in the same run on the same machine, so the
ratios hold on a busy shared machine where absolute numbers drift.
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench import db
from bench.scales import SCALES

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "var" / "bench"
PHASES = ["generate", "recalc_inline", "recalc_loop", "recalc_profile", "recalc_celery", "ingest"]
PHASES += ["settle_profile", "settle", "api"]


def _say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def _phase(name: str, ctx: dict, env: dict, timeout: float) -> dict:
    work = Path(ctx["log_dir"])
    work.mkdir(parents=True, exist_ok=True)
    ctx_path = work / "ctx.json"
    result_path = work / f"phase-{name}.json"
    ctx_path.write_text(json.dumps(ctx, default=str))
    result_path.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bench.phase", name, str(ctx_path), str(result_path)],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=timeout,
    )
    result = json.loads(result_path.read_text())
    _say(f"{name}: {time.perf_counter() - started:.1f} s")
    return result


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def evaluate(results: dict, scale) -> list[dict]:
    """One row per target: what was measured, against what, and pass or miss."""
    return _targets(results, scale) + memory_rows({"scale": scale.as_dict(), "results": results})


def _targets(results: dict, scale) -> list[dict]:
    rows = []

    def add(area, measure, value, reference, ratio, target, ok, note=""):
        rows.append(
            {
                "area": area,
                "measure": measure,
                "product": value,
                "reference": reference,
                "ratio": ratio,
                "target": target,
                "result": "pass" if ok else "MISS",
                "note": note,
            }
        )

    g = results.get("generate")
    if g:
        add("load", "COPY rows/s (all tables)", g["rows_per_s"], f"{g['rows']:,} rows", None,
            "reported", True)  # fmt: skip
    r = results.get("recalc_inline")
    loop = results.get("recalc_loop")
    if r:
        floor_s, product_s = r["floor"]["seconds"], r["product"]["seconds"]
        ratio = _ratio(product_s, floor_s)
        add("recalc", "full run in-process, s", product_s, f"SQL floor {floor_s} s", ratio,
            "<= 2.5x floor", ratio is not None and ratio <= 2.5)  # fmt: skip
        if "floor_waves" in r:  # the same run against a floor that includes the waves step
            with_waves = round(floor_s + r["floor_waves"]["seconds"], 3)
            ratio = _ratio(product_s, with_waves)
            add("recalc", "full run in-process, s", product_s,
                f"SQL floor incl. waves {with_waves} s", ratio, "<= 2.5x floor",
                ratio is not None and ratio <= 2.5)  # fmt: skip
        if loop:
            loop_s = loop["per_creator_ms"] / 1000 * scale.creators
            speedup = _ratio(loop_s, product_s)
            add("recalc", "vs per-creator ORM loop (extrapolated)", product_s,
                f"loop {loop_s:,.0f} s ({loop['sample']} timed)", speedup, ">= 30x faster",
                speedup is not None and speedup >= 30)  # fmt: skip
    c = results.get("recalc_celery")
    if c and r:
        ratio = _ratio(c["seconds"], r["floor"]["seconds"])
        add("recalc", "full run via Celery (2 workers), s", c["seconds"],
            f"SQL floor {r['floor']['seconds']} s", ratio, "<= 2.5x floor",
            ratio is not None and ratio <= 2.5 and c["status"] == "succeeded",
            f"status {c['status']}")  # fmt: skip
        if "floor_waves" in r:
            with_waves = round(r["floor"]["seconds"] + r["floor_waves"]["seconds"], 3)
            ratio = _ratio(c["seconds"], with_waves)
            add("recalc", "full run via Celery (2 workers), s", c["seconds"],
                f"SQL floor incl. waves {with_waves} s", ratio, "<= 2.5x floor",
                ratio is not None and ratio <= 2.5 and c["status"] == "succeeded",
                f"status {c['status']}")  # fmt: skip
    i = results.get("ingest")
    if i:
        add("ingest", "CSV service rows/s", i["csv_service"]["rows_per_s"],
            f"COPY {i['copy']['rows_per_s']:,} rows/s", i["csv_service"]["vs_copy"],
            ">= 0.333 of COPY", i["csv_service"]["vs_copy"] >= 1 / 3)  # fmt: skip
        add("ingest", "HTTP bulk API rows/s", i["http"]["rows_per_s"],
            f"COPY {i['http']['copy_rows_per_s']:,} rows/s", i["http"]["vs_copy"],
            ">= 0.333 of COPY", i["http"]["vs_copy"] >= 1 / 3,
            f"statuses {i['http']['statuses']}")  # fmt: skip
    s = results.get("settle")
    if s:
        post, close, celery = s["post"], s["close"], s.get("celery", {})
        product_s = post["seconds"] + close["seconds"]
        product_s += sum(c["seconds"] for c in celery.values())
        posted = post["events_posted"] + sum(c["events_posted"] for c in celery.values())
        complete = post["complete"] and all(c["complete"] for c in celery.values())
        ratio = _ratio(product_s, s["floor"]["seconds"])
        add("settle", f"post {posted:,} events + close {close['statements']:,} statements, s",
            round(product_s, 2),
            f"INSERT..SELECT {s['floor']['legs']:,} legs {s['floor']['seconds']} s", ratio,
            "<= 3x floor", ratio is not None and ratio <= 3 and complete,
            "" if complete else "not every event was posted")  # fmt: skip
        in_process = s.get("floor_in_process")
        if in_process:
            r = _ratio(post["seconds"], in_process["seconds"])
            add("settle", "post in one process, events/s", post["events_per_s"],
                f"INSERT..SELECT {in_process['legs']:,} legs {in_process['seconds']} s", r,
                ">= 5,000 events/s", (post["events_per_s"] or 0) >= 5000)  # fmt: skip
        if "1" in celery and "2" in celery:
            one, two = celery["1"]["events_per_s"], celery["2"]["events_per_s"]
            add("settle", "Celery workers, events/s (1 / 2 workers)", f"{one} / {two}", "",
                _ratio(two, one), "2 workers > 1", (two or 0) > (one or 0))  # fmt: skip
        add("settle", "month close, statements/s", close["per_s"], "", None, "reported", True)
        add("settle", "verify_ledger after settlement", s["verify"]["passed"], "", None,
            "passes", s["verify"]["passed"])  # fmt: skip
    a = results.get("api")
    if a:
        q = a["queries"]
        add("api", "queries per request (page 10/100/100 p2, small/large statement)",
            str(list(q["counts"].values())), "", None, "constant", q["constant"])  # fmt: skip
        for name, load in a.get("load", {}).items():
            p, b = load["product"], load["bare"]
            add("api", f"{name}: req/s (p50 / p99 ms)",
                f"{p['req_per_s']} ({p['p50_ms']} / {p['p99_ms']})",
                f"bare {b['req_per_s']} ({b['p50_ms']} / {b['p99_ms']})", load["ratio"],
                ">= 0.8x bare", (load["ratio"] or 0) >= 0.8 and p["errors"] == 0,
                f"errors {p['errors']}")  # fmt: skip
    return rows


def memory_rows(results: dict) -> list[dict]:
    """Peak RSS here and at the other scales run on this machine (var/bench/)."""
    rows = []
    runs = {}
    for path in sorted(OUT_DIR.glob("results-*.json")):
        data = json.loads(path.read_text())
        runs[data["scale"]["name"]] = data
    runs[results["scale"]["name"]] = results
    order = sorted(runs.values(), key=lambda d: d["scale"]["creators"])

    def peaks(data: dict) -> dict:
        res = data.get("results", data)
        out = {}
        if "recalc_celery" in res:
            out["recalc worker (Celery)"] = max(res["recalc_celery"]["worker_peak_rss_mb"] or [0])
        if "recalc_inline" in res:
            out["recalc in-process"] = res["recalc_inline"]["peak_rss_mb"]
        if "settle" in res:
            out["settlement process"] = res["settle"]["peak_rss_mb"]
            celery = res["settle"].get("celery", {})
            rss = [mb for c in celery.values() for mb in c["worker_peak_rss_mb"] if mb]
            if rss:
                out["settlement worker (Celery)"] = max(rss)
        return out

    by_scale = {d["scale"]["name"]: (d["scale"]["creators"], peaks(d)) for d in order}
    labels = ["recalc worker (Celery)", "recalc in-process", "settlement process"]
    for label in [*labels, "settlement worker (Celery)"]:
        series = [(n, p[label]) for _s, (n, p) in by_scale.items() if label in p]
        if not series:
            continue
        text = ", ".join(f"{n:,}: {mb} MiB" for n, mb in series)
        growth = _ratio(series[-1][1], series[0][1]) if len(series) > 1 else None
        rows.append(
            {
                "area": "memory",
                "measure": f"peak RSS, {label}",
                "product": text,
                "reference": f"smallest scale {series[0][0]:,}",
                "ratio": growth,
                "target": "flat (<= 1.25x)",
                "result": ("pass" if growth <= 1.25 else "MISS")
                if growth is not None
                else "n/a (one scale)",
                "note": "",
            }
        )
    return rows


def print_table(rows: list[dict]) -> None:
    headers = ["area", "measure", "product", "reference", "ratio", "target", "result"]
    cells = [[str(r[h]) if r[h] is not None else "" for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for c, r in zip(cells, rows, strict=True):
        print(" | ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))
        if r.get("note"):
            print(" " * (widths[0] + 3) + f"({r['note']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="default")
    parser.add_argument("--only", nargs="+", choices=PHASES, help="Phases after generate.")
    parser.add_argument("--keep-db", action="store_true", help="Do not drop bench_<scale>.")
    parser.add_argument(
        "--settle-seconds", type=float, help="Stop posting events after this long (reported)."
    )
    parser.add_argument("--api-seconds", type=float, help="Load per endpoint (default by scale).")
    parser.add_argument(
        "--profile-events", type=int, help="Events posted under the profiler (default by scale)."
    )
    args = parser.parse_args(argv)

    base_url = os.environ.get("DATABASE_URL")
    if not base_url:
        raise SystemExit("DATABASE_URL is not set (make bench / agency.localrun bench set it).")
    scale = SCALES[args.scale]
    if args.api_seconds is not None:
        scale = scale.__class__(**{**scale.as_dict(), "api_seconds": args.api_seconds})
        SCALES[scale.name] = scale
    # BENCH_DB_NAME: another name when several checkouts share one server.
    name = os.environ.get("BENCH_DB_NAME") or f"bench_{scale.name}"
    url = db.bench_url(base_url, name)
    env = db.child_env(url)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    _say(f"scale {scale.name}: {scale.creators:,} creators, {scale.events:,} events; db {name}")
    db.database_recreate(base_url, name)
    try:
        db.migrate(url)
        _say(f"migrated in {time.perf_counter() - started:.1f} s")
        ctx: dict = {
            "scale": scale.name,
            "log_dir": str(OUT_DIR / f"run-{scale.name}"),  # logs, profiles, phase results
            "celery_timeout": 3600,
            "profile_events": args.profile_events
            if args.profile_events is not None
            else scale.profile_events,
            "settle_seconds": args.settle_seconds
            if args.settle_seconds is not None
            else scale.settle_seconds,
        }
        results: dict = {}
        gen = _phase("generate", ctx, env, timeout=4 * 3600)
        results["generate"] = {k: v for k, v in gen.items() if not k.endswith("_key")}
        ctx.update({k: gen[k] for k in ("as_of", "months", "sub_agency_id")})
        ctx.update({k: gen[k] for k in ("sub_agency_key", "data_partner_key")})
        for phase in PHASES[1:]:
            if args.only and phase not in args.only:
                continue
            if phase == "settle_profile" and ctx["profile_events"] <= 0:
                continue
            if phase == "recalc_profile" and not scale.profile_recalc:
                continue
            results[phase] = _phase(phase, ctx, env, timeout=6 * 3600)
    finally:
        if not args.keep_db:
            db.database_drop(base_url, name)
    total = time.perf_counter() - started
    report = {
        "scale": scale.as_dict(),
        "finished_at": dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "seconds": round(total, 1),
        "results": results,
    }
    report["table"] = evaluate(results, scale)
    print()
    print_table(report["table"])
    text = json.dumps(report, indent=2, default=str)
    (OUT_DIR / "results.json").write_text(text)
    (OUT_DIR / f"results-{scale.name}.json").write_text(text)
    _say(f"done in {total:.1f} s; wrote {OUT_DIR / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
