"""Recalculation: the product's full performance + eligibility + waves run against a floor (one
hand-written SQL aggregate over the same metrics) and the usual implementation (a
per-creator ORM loop, timed on a sample and extrapolated)."""

import datetime as dt
import itertools
import statistics
import time
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max, Sum

FLOOR_SQL = """
CREATE TEMP TABLE bench_floor_perf ON COMMIT DROP AS
WITH w(window_days) AS (VALUES (7), (28), (90)),
d AS (
    SELECT a.creator_id, w.window_days,
           SUM(m.views) AS views, SUM(m.qualified_views) AS qualified_views,
           SUM(m.watch_time_seconds) AS watch_time_seconds,
           SUM(m.followers) FILTER (WHERE m.date = %(as_of)s) AS followers
      FROM creators_dailyaccountmetric m
      JOIN creators_platformaccount a ON a.id = m.account_id
      CROSS JOIN w
     WHERE m.date > %(as_of)s::date - w.window_days AND m.date <= %(as_of)s
     GROUP BY a.creator_id, w.window_days),
v AS (
    SELECT a.creator_id, w.window_days, COUNT(*) AS videos, SUM(v.views) AS video_views,
           SUM(v.completed_views) AS completed, SUM(v.replays) AS replays,
           SUM(v.likes) AS likes, SUM(v.comments) AS comments, SUM(v.shares) AS shares,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY v.views) AS median_views
      FROM creators_video v
      JOIN creators_platformaccount a ON a.id = v.account_id
      CROSS JOIN w
     WHERE v.posted_at >= (%(as_of)s::date - w.window_days + 1)
       AND v.posted_at < (%(as_of)s::date + 1)
     GROUP BY a.creator_id, w.window_days)
SELECT d.*, v.videos, v.video_views, v.median_views,
       v.completed::numeric / NULLIF(v.video_views, 0) AS completion_rate,
       v.likes::numeric / NULLIF(v.video_views, 0) AS like_rate
  FROM d LEFT JOIN v USING (creator_id, window_days)
"""


# The bare aggregate the waves step stands on (the floor above leaves waves out): every
# video posted in the 90 days up to as_of with the sums of its daily rows up to as_of.
WAVES_FLOOR_SQL = """
CREATE TEMP TABLE bench_floor_waves ON COMMIT DROP AS
SELECT v.id AS video_id, v.account_id, COUNT(*) AS days, SUM(m.views) AS views,
       SUM(m.completed_views) AS completed_views, SUM(m.replays) AS replays,
       SUM(m.likes) AS likes, SUM(m.comments) AS comments, SUM(m.shares) AS shares,
       SUM(m.saves) AS saves
  FROM creators_video v
  JOIN creators_videodailymetric m ON m.video_id = v.id AND m.date <= %(as_of)s
 WHERE v.posted_at >= ((%(as_of)s::date - 89)::timestamp AT TIME ZONE 'UTC')
   AND v.posted_at < ((%(as_of)s::date + 1)::timestamp AT TIME ZONE 'UTC')
 GROUP BY v.id, v.account_id
"""


def floor_waves(*, as_of: dt.date) -> dict:
    """The floor of the waves step alone; ``floor`` + this is the floor of the whole run."""
    with transaction.atomic():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(WAVES_FLOOR_SQL, {"as_of": as_of})
            cursor.execute("SELECT COUNT(*) FROM bench_floor_waves")
            (rows,) = cursor.fetchone()
        seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "rows": rows}


def floor(*, as_of: dt.date) -> dict:
    with transaction.atomic():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, {"as_of": as_of})
            cursor.execute("SELECT COUNT(*) FROM bench_floor_perf")
            (rows,) = cursor.fetchone()
        seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "rows": rows}


def snapshots_clear(*, as_of: dt.date) -> None:
    """Remove one date's snapshots and results so the next run computes them afresh."""
    from creators.models import (
        AccountPerformance,
        CreatorPerformance,
        CreatorWaveSummary,
        EligibilityResult,
        VideoWave,
    )

    for model in (AccountPerformance, CreatorPerformance, EligibilityResult, CreatorWaveSummary):
        model.objects.filter(as_of=as_of).delete()
    VideoWave.objects.all().delete()  # one row per video: the latest computation
    with connection.cursor() as cursor:
        for table in ("creators_accountperformance", "creators_creatorperformance"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("VACUUM ANALYZE creators_eligibilityresult")


def product_inline(*, as_of: dt.date) -> dict:
    from creators.models import RecalcRun
    from creators.services.recalc import recalc_run_inline

    started = time.perf_counter()
    run = recalc_run_inline(as_of=as_of, mode=RecalcRun.Mode.FULL)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "status": run.status,
        "creators": run.creators_total,
        "chunks": run.chunks_total,
        "rows_written": run.rows_written,
    }


class _Rollback(Exception):
    pass


def orm_loop(*, as_of: dt.date, sample: int) -> dict:
    """The usual implementation: one creator at a time, ORM reads, Python sums, one
    update_or_create per snapshot and per program. Timed on ``sample`` creators inside a
    transaction that is rolled back, so the product's rows are not changed."""
    from creators.models import (
        Creator,
        CreatorPerformance,
        DailyAccountMetric,
        EligibilityProgram,
        EligibilityResult,
        EligibilityRuleSet,
        Video,
    )
    from creators.models.performance import tier_for_median

    creators = list(Creator.objects.order_by("pk")[:sample])
    now = dt.datetime.now(tz=dt.UTC)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            for creator in creators:
                for window in (7, 28, 90):
                    start = as_of - dt.timedelta(days=window - 1)
                    daily = DailyAccountMetric.objects.filter(
                        account__creator=creator, date__gte=start, date__lte=as_of
                    )
                    sums = daily.aggregate(
                        views=Sum("views"),
                        qualified=Sum("qualified_views"),
                        watch=Sum("watch_time_seconds"),
                    )
                    followers = sum(m.followers for m in daily.filter(date=as_of))  # end-of-window
                    videos = list(
                        Video.objects.filter(
                            account__creator=creator,
                            posted_at__date__gte=start,
                            posted_at__date__lte=as_of,
                        ).order_by("posted_at")
                    )
                    views = [v.views for v in videos]
                    total = sum(views)
                    median = statistics.median(views) if views else None
                    gaps = [
                        (b.posted_at - a.posted_at).total_seconds() / 86_400
                        for a, b in itertools.pairwise(videos)
                    ]

                    def rate(part: int, total: int = total) -> Decimal | None:
                        return round(Decimal(part) / total, 6) if total else None

                    CreatorPerformance.objects.update_or_create(
                        creator=creator,
                        as_of=as_of,
                        window_days=window,
                        defaults={
                            "views": sums["views"] or 0,
                            "qualified_views": sums["qualified"] or 0,
                            "watch_time_seconds": sums["watch"] or 0,
                            "videos": len(videos),
                            "video_views": total,
                            "median_views": median,
                            "completion_rate": rate(sum(v.completed_views for v in videos)),
                            "like_rate": rate(sum(v.likes for v in videos)),
                            "comment_rate": rate(sum(v.comments for v in videos)),
                            "share_rate": rate(sum(v.shares for v in videos)),
                            "followers": followers,
                            "posting_gap_stddev_days": round(statistics.stdev(gaps), 2)
                            if len(gaps) > 1
                            else None,
                            "tier": tier_for_median(median),
                            "computed_at": now,
                        },
                    )
                for program in EligibilityProgram.objects.all():
                    rule_set = (
                        EligibilityRuleSet.objects.filter(
                            program=program, effective_from__lte=as_of
                        )
                        .order_by("-effective_from")
                        .first()
                    )
                    if rule_set is None:
                        continue
                    window_start = as_of - dt.timedelta(days=rule_set.views_window_days - 1)
                    metrics = DailyAccountMetric.objects.filter(
                        account__creator=creator, date__gte=window_start, date__lte=as_of
                    )
                    views = metrics.aggregate(s=Sum("views"))["s"] or 0
                    followers = metrics.aggregate(m=Max("followers"))["m"] or 0
                    failures = []
                    if rule_set.min_followers and followers < rule_set.min_followers:
                        failures.append({"rule": "followers", "actual": followers})
                    if rule_set.min_views and views < rule_set.min_views:
                        failures.append({"rule": "views", "actual": views})
                    EligibilityResult.objects.update_or_create(
                        creator=creator,
                        program=program,
                        as_of=as_of,
                        defaults={
                            "rule_set": rule_set,
                            "eligible": not failures,
                            "failures": failures,
                            "computed_at": now,
                        },
                    )
            seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    per_creator = seconds / max(len(creators), 1)
    return {
        "sample": len(creators),
        "sample_seconds": round(seconds, 3),
        "per_creator_ms": round(per_creator * 1000, 2),
    }


def product_celery(*, as_of: dt.date, env: dict[str, str], log_dir, timeout: float) -> dict:
    """The same run fanned out by ``recalc_start`` to 2 real worker processes over Redis;
    completion is read from the run row, as the product counts it."""
    import os

    from agency.celery import Queue, app
    from bench.procs import celery_wait_ready, celery_workers, peak_rss_mb, stop
    from creators.models import RecalcRun
    from creators.services.recalc import recalc_start

    with app.connection_for_write() as conn:  # a previous aborted run's leftovers
        conn.default_channel.queue_purge(Queue.RECALC.value)
    workers = celery_workers(2, env, log_dir)
    try:
        celery_wait_ready(f"-{os.getpid()}@", 2)
        started = time.perf_counter()
        run = recalc_start(as_of=as_of, mode=RecalcRun.Mode.FULL, enqueue=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status != RecalcRun.Status.RUNNING:
                break
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        rss = [peak_rss_mb(w.pid) for w in workers]
    finally:
        for worker in workers:
            stop(worker)
    return {
        "seconds": round(seconds, 3),
        "status": run.status,
        "chunks": run.chunks_total,
        "chunks_done": run.chunks_done,
        "rows_written": run.rows_written,
        "worker_peak_rss_mb": rss,
        "timed_out": run.status == RecalcRun.Status.RUNNING,
    }


def profile_inline(*, as_of: dt.date, creators: int, out_path) -> dict:
    """Where a chunk's time goes: the product's chunk steps timed one by one (performance
    statement, eligibility, waves, the commit with its deferred foreign-key checks, cohort
    score) over ``creators`` creators, and a pyinstrument profile of the same work (HTML and
    text next to the results)."""
    from pyinstrument import Profiler

    from creators.models import Creator
    from creators.services.eligibility import eligibility_evaluate_chunk
    from creators.services.performance import performance_compute_chunk, performance_score
    from creators.services.recalc import DEFAULT_CHUNK_SIZE
    from creators.services.waves import waves_compute_chunk

    ids = list(Creator.objects.order_by("pk").values_list("pk", flat=True)[:creators])
    chunks = [ids[i : i + DEFAULT_CHUNK_SIZE] for i in range(0, len(ids), DEFAULT_CHUNK_SIZE)]
    steps = {
        "performance_compute_chunk": 0.0,
        "eligibility_evaluate_chunk": 0.0,
        "waves_compute_chunk": 0.0,
        "commit": 0.0,
    }
    profiler = Profiler(interval=0.001)
    profiler.start()
    for chunk in chunks:
        with transaction.atomic():
            started = time.perf_counter()
            performance_compute_chunk(as_of=as_of, creator_ids=chunk)
            steps["performance_compute_chunk"] += time.perf_counter() - started
            started = time.perf_counter()
            eligibility_evaluate_chunk(as_of=as_of, creator_ids=chunk)
            steps["eligibility_evaluate_chunk"] += time.perf_counter() - started
            started = time.perf_counter()
            waves_compute_chunk(as_of=as_of, creator_ids=chunk)
            steps["waves_compute_chunk"] += time.perf_counter() - started
            committing = time.perf_counter()
        # COMMIT runs the deferred foreign-key checks of every row written
        steps["commit"] += time.perf_counter() - committing
    started = time.perf_counter()
    with transaction.atomic():
        performance_score(as_of=as_of)
    steps["performance_score (whole cohort)"] = time.perf_counter() - started
    profiler.stop()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(profiler.output_html())
    text = profiler.output_text(unicode=False, color=False)
    out_path.with_suffix(".txt").write_text(text)
    return {
        "creators": len(ids),
        "steps_seconds": {k: round(v, 3) for k, v in steps.items()},
        "top": text.splitlines()[:50],
    }
