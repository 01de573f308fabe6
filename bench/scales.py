"""Sizes per scale. ``default`` is the issue's target: 100,000 creators, 1,000,000 events."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    creators: int
    events: int
    ingest_rows: int  # rows through the CSV ingestion service (and COPY of the same rows)
    http_rows: int  # rows through POST /api/v1/metrics/daily/ in batches of 1,000
    loop_sample: int  # creators timed in the per-creator ORM loop (then extrapolated)
    api_seconds: float  # load per endpoint (product and bare view each)
    settle_seconds: float | None  # time budget for posting events; None: all of them
    profile_events: int  # events posted under the profiler before the settlement timing
    profile_recalc: bool = True  # time a recalculation's steps under the profiler

    def as_dict(self) -> dict:
        return asdict(self)


SCALES = {
    "tiny": Scale("tiny", 1_000, 200, 3_000, 1_000, 30, 0.5, None, 0, profile_recalc=False),
    "small": Scale("small", 10_000, 100_000, 50_000, 10_000, 100, 15.0, None, 200),
    "default": Scale("default", 100_000, 1_000_000, 200_000, 20_000, 200, 15.0, None, 200),
}
