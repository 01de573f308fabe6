"""One benchmark phase in a process of its own (so its peak RSS is its own):
``python -m bench.phase NAME CONTEXT.json RESULT.json``. Run by ``python -m bench``."""

import datetime as dt
import json
import os
import sys
from pathlib import Path

import django


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings")
    django.setup()


def run(name: str, ctx: dict) -> dict:
    _setup()
    from bench import api, ingest, recalc, settle
    from bench.generate import generate
    from bench.procs import self_peak_rss_mb
    from bench.scales import SCALES

    scale = SCALES[ctx["scale"]]
    as_of = dt.date.fromisoformat(ctx["as_of"]) if "as_of" in ctx else None
    log_dir = Path(ctx["log_dir"])
    out: dict
    if name == "generate":
        out = generate(scale=scale, progress=lambda m: print(m, flush=True))
    elif name == "recalc_inline":
        recalc.floor(as_of=as_of)  # warm the cache for both
        recalc.floor_waves(as_of=as_of)
        out = {
            "floor": recalc.floor(as_of=as_of),
            "floor_waves": recalc.floor_waves(as_of=as_of),
            "product": recalc.product_inline(as_of=as_of),
        }
    elif name == "recalc_loop":
        out = recalc.orm_loop(as_of=as_of, sample=scale.loop_sample)
    elif name == "recalc_profile":
        recalc.snapshots_clear(as_of=as_of)
        out = recalc.profile_inline(
            as_of=as_of,
            creators=min(scale.creators, 2_000),
            out_path=log_dir / "profile-recalc.html",
        )
    elif name == "recalc_celery":
        recalc.snapshots_clear(as_of=as_of)
        out = recalc.product_celery(
            as_of=as_of, env=dict(os.environ), log_dir=log_dir, timeout=ctx["celery_timeout"]
        )
    elif name == "ingest":
        out = ingest.ingest(
            n_creators=scale.creators,
            as_of=as_of,
            csv_rows=scale.ingest_rows,
            http_rows=scale.http_rows,
            key=ctx["data_partner_key"],
            profile_path=log_dir / "profile-ingest.html",
        )
    elif name == "settle_profile":
        lines = settle.profile_posting(
            events=ctx["profile_events"], out_path=log_dir / "profile-posting.html"
        )
        out = {"top": lines, "events": ctx["profile_events"], **settle.queries_per_event()}
    elif name == "settle":
        posted = settle.post_events(budget_s=ctx.get("settle_seconds"))
        celery = {
            str(n): settle.post_celery(
                workers=n, partitions=parts, env=dict(os.environ), log_dir=log_dir,
                timeout=ctx["celery_timeout"],
            )
            for n, parts in ((1, settle.ONE_WORKER), (2, settle.TWO_WORKERS))
        }  # fmt: skip
        period = dt.date.fromisoformat(ctx["months"][0])
        closed = settle.close_month(period=period)
        legs = posted["legs"] + sum(c["legs"] for c in celery.values())
        out = {
            "post": posted,
            "celery": celery,
            "close": closed,
            "floor": settle.floor(legs=legs),
            "floor_in_process": settle.floor(legs=posted["legs"]),
            "verify": settle.verify(),
        }
    elif name == "api":
        from django.db.models import Count

        from billing.models import Statement

        settled = api.statements_ensure(
            sub_agency_id=ctx["sub_agency_id"], period=dt.date.fromisoformat(ctx["months"][0])
        )
        statements = list(
            Statement.objects.filter(creator__sub_agency_id=ctx["sub_agency_id"])
            .annotate(n=Count("lines"))
            .filter(n__gt=0)
            .order_by("n", "pk")
            .values_list("pk", "n")
        )
        if statements:
            picked = [statements[0][0], statements[-1][0]]
            typical = statements[len(statements) // 2]
        else:
            picked, typical = [], (None, 0)
        out = {
            "queries": api.query_counts(
                key=ctx["sub_agency_key"], sub_agency_id=ctx["sub_agency_id"], statements=picked
            ),
            "statement": {"id": typical[0], "lines": typical[1]},
            "statements_settled_here": settled,
        }
        if typical[0] is not None:
            out["load"] = api.load(
                env=dict(os.environ),
                key=ctx["sub_agency_key"],
                sub_agency_id=ctx["sub_agency_id"],
                statement_id=typical[0],
                seconds=scale.api_seconds,
                log_dir=log_dir,
            )
    else:
        raise SystemExit(f"unknown phase {name!r}")
    out["peak_rss_mb"] = self_peak_rss_mb()
    return out


def main() -> None:
    name, ctx_path, result_path = sys.argv[1:4]
    ctx = json.loads(Path(ctx_path).read_text())
    result = run(name, ctx)
    Path(result_path).write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
