"""Read queries for the API, the admin and jobs: set-based, scoped, no N+1.

Partner scoping (quality.md, API1 and API3):
- a sub-agency sees only its own creators (``Creator.sub_agency``), with private fields;
- a brand sees the public profile of active creators (never date of birth, legal name,
  status or payout details: the serializer drops them);
- a data partner reads no creators: it only pushes metrics (its kind is refused by the
  read endpoints, and this selector returns nothing for it as a second line).
"""

import datetime as dt

from django.db.models import Avg, Exists, OuterRef, Prefetch, QuerySet, Subquery

from agency.models import Partner
from creators.models import (
    AccountPerformance,
    Creator,
    CreatorPerformance,
    CreatorWaveSummary,
    DailyAccountMetric,
    EligibilityResult,
    PlatformAccount,
    Video,
    VideoDailyMetric,
    VideoWave,
)
from creators.models.performance import TIER_WINDOW


def creator_scope_for_partner(*, partner: Partner) -> QuerySet[Creator]:
    if partner.kind == Partner.Kind.SUB_AGENCY:
        return Creator.objects.filter(sub_agency=partner)
    if partner.kind == Partner.Kind.BRAND:
        return Creator.objects.filter(status=Creator.Status.ACTIVE)
    return Creator.objects.none()


def creator_with_latest(qs: QuerySet[Creator]) -> QuerySet[Creator]:
    """Annotate the latest 28-day snapshot (as_of, score, tier) and prefetch accounts."""
    latest = CreatorPerformance.objects.filter(
        creator=OuterRef("pk"), window_days=TIER_WINDOW
    ).order_by("-as_of")
    return qs.annotate(
        latest_as_of=Subquery(latest.values("as_of")[:1]),
        latest_score=Subquery(latest.values("score")[:1]),
        latest_tier=Subquery(latest.values("tier")[:1]),
    ).prefetch_related(
        Prefetch("accounts", queryset=PlatformAccount.objects.order_by("platform", "handle"))
    )


def creator_list_for_partner(*, partner: Partner) -> QuerySet[Creator]:
    return creator_with_latest(creator_scope_for_partner(partner=partner)).order_by(
        "stage_name", "pk"
    )


CREATOR_ROW_FIELDS = (
    "id", "stage_name", "country", "latest_score", "latest_tier", "latest_as_of",
    "legal_name", "date_of_birth", "status", "payout_currency", "created_at",
)  # fmt: skip


def creator_rows(qs: QuerySet[Creator]) -> QuerySet:
    """The list's flat rows: the creator's columns and its latest snapshot, no objects."""
    return qs.prefetch_related(None).values(*CREATOR_ROW_FIELDS)


def accounts_by_creator(*, creator_ids: list[int]) -> dict[int, list[dict]]:
    """Creator id -> its accounts as rows (by platform, then handle): one query per page."""
    accounts: dict[int, list[dict]] = {i: [] for i in creator_ids}
    rows = PlatformAccount.objects.filter(creator_id__in=creator_ids).order_by("platform", "handle")
    for row in rows.values("creator_id", "id", "platform", "handle", "niche"):
        accounts[row.pop("creator_id")].append(row)
    return accounts


def creators_on_platform(qs: QuerySet[Creator], platform: str) -> QuerySet[Creator]:
    return qs.filter(
        Exists(PlatformAccount.objects.filter(creator=OuterRef("pk"), platform=platform))
    )


def creators_eligible_for(qs: QuerySet[Creator], program_code: str) -> QuerySet[Creator]:
    """Creators whose latest result for the program says eligible."""
    latest = EligibilityResult.objects.filter(
        creator=OuterRef("pk"), program__code=program_code
    ).order_by("-as_of")
    return qs.annotate(_eligible=Subquery(latest.values("eligible")[:1])).filter(_eligible=True)


def creator_performance(
    *, creator: Creator, as_of: dt.date | None
) -> tuple[dt.date | None, list[CreatorPerformance], list[AccountPerformance]]:
    """The snapshots of the latest date on or before ``as_of`` (latest overall if None)."""
    dates = CreatorPerformance.objects.filter(creator=creator)
    if as_of is not None:
        dates = dates.filter(as_of__lte=as_of)
    found = dates.order_by("-as_of").values_list("as_of", flat=True).first()
    if found is None:
        return None, [], []
    creator_rows = list(
        CreatorPerformance.objects.filter(creator=creator, as_of=found).order_by("window_days")
    )
    account_rows = list(
        AccountPerformance.objects.filter(account__creator=creator, as_of=found)
        .select_related("account")
        .order_by("account__platform", "account_id", "window_days")
    )
    return found, creator_rows, account_rows


def creator_score_history(*, creator: Creator, limit: int = 12) -> list[CreatorPerformance]:
    """The creator's 28-day snapshots, oldest first (the latest ``limit``): the trend."""
    rows = CreatorPerformance.objects.filter(creator=creator, window_days=TIER_WINDOW)
    return list(rows.order_by("-as_of")[:limit])[::-1]


def score_trend(qs: QuerySet[Creator], *, points: int = 12) -> list[tuple[dt.date, object]]:
    """These creators' average 28-day score per snapshot date, oldest first (the latest
    ``points`` dates): a roster's trend on one line."""
    rows = (
        CreatorPerformance.objects.filter(
            creator__in=qs, window_days=TIER_WINDOW, score__isnull=False
        )
        .values("as_of")
        .annotate(average=Avg("score"))
        .order_by("-as_of")[:points]
    )
    return [(row["as_of"], row["average"]) for row in reversed(rows)]


def creator_eligibility(
    *, creator: Creator, as_of: dt.date | None
) -> tuple[dt.date | None, list[EligibilityResult]]:
    dates = EligibilityResult.objects.filter(creator=creator)
    if as_of is not None:
        dates = dates.filter(as_of__lte=as_of)
    found = dates.order_by("-as_of").values_list("as_of", flat=True).first()
    if found is None:
        return None, []
    results = EligibilityResult.objects.filter(creator=creator, as_of=found)
    return found, list(results.select_related("program", "rule_set").order_by("program__code"))


def creators_for_staff(*, user) -> QuerySet[Creator]:
    """The admin's roster: a superuser sees everyone, a talent manager their own creators."""
    qs = Creator.objects.all()
    return qs if user.is_superuser else qs.filter(talent_manager=user)


# --- traffic-pool waves -------------------------------------------------------------------


def video_list_for_partner(*, partner: Partner) -> QuerySet[Video]:
    """Videos of the creators the partner may read (the creator scope above), with their
    account and wave in the same query."""
    creators = creator_scope_for_partner(partner=partner)
    return (
        Video.objects.filter(account__creator__in=creators.values("pk"))
        .select_related("account", "wave")
        .order_by("-posted_at", "pk")
    )


def video_daily_series(*, video: Video) -> list[VideoDailyMetric]:
    return list(VideoDailyMetric.objects.filter(video=video).order_by("date"))


def creator_waves(*, creator: Creator, as_of: dt.date | None) -> list[CreatorWaveSummary]:
    """The creator's wave summaries (28 and 90 days) of the latest date on or before as_of."""
    rows = CreatorWaveSummary.objects.filter(creator=creator)
    if as_of is not None:
        rows = rows.filter(as_of__lte=as_of)
    found = rows.order_by("-as_of").values_list("as_of", flat=True).first()
    if found is None:
        return []
    return list(rows.filter(as_of=found).order_by("window_days"))


def creator_wave_history(
    *, creator: Creator, as_of: dt.date | None = None, limit: int = 12
) -> list[CreatorWaveSummary]:
    """The creator's 28-day wave summaries up to ``as_of``, oldest first (the latest
    ``limit``): the trend."""
    rows = CreatorWaveSummary.objects.filter(creator=creator, window_days=TIER_WINDOW)
    if as_of is not None:
        rows = rows.filter(as_of__lte=as_of)
    return list(rows.order_by("-as_of")[:limit])[::-1]


def video_waves_of_creator(*, creator: Creator, limit: int = 20) -> list[VideoWave]:
    """The creator's latest video waves, newest first."""
    rows = VideoWave.objects.filter(creator=creator).select_related("video", "video__account")
    return list(rows.order_by("-posted_on", "-video_id")[:limit])


def account_restrictions(*, creator: Creator, as_of: dt.date | None) -> list:
    """Each account's latest daily row (on or before ``as_of``) that carries a strike or a
    throttling flag: the creator is marked while any is in force."""
    rows = DailyAccountMetric.objects.filter(account__creator=creator)
    if as_of is not None:
        rows = rows.filter(date__lte=as_of)
    latest = rows.order_by("account_id", "-date").distinct("account_id").select_related("account")
    return [m for m in latest if m.guideline_strikes or m.throttled]


def video_waves_one_step_short(qs: QuerySet[VideoWave]) -> QuerySet[VideoWave]:
    """Stalled videos that missed exactly one bar of the next pool: the coaching list."""
    return qs.filter(stalled=True, signals_short=1)


# Failing rules a talent manager cannot coach away: where the creator lives, how old they are.
STRUCTURAL_RULES = ("country", "age")


def eligibility_latest(qs: QuerySet[EligibilityResult]) -> QuerySet[EligibilityResult]:
    """Only each creator's latest result per program (the weekly history stays stored)."""
    latest = (
        EligibilityResult.objects.order_by("creator_id", "program_id", "-as_of")
        .distinct("creator_id", "program_id")
        .values("pk")
    )
    return qs.filter(pk__in=Subquery(latest))


def eligibility_actionable(qs: QuerySet[EligibilityResult]) -> QuerySet[EligibilityResult]:
    """Not-eligible results whose every failing rule can be worked on (no structural one)."""
    qs = qs.filter(eligible=False)
    for rule in STRUCTURAL_RULES:
        qs = qs.exclude(failures__contains=[{"rule": rule}])
    return qs


def eligibility_changes(
    qs: QuerySet[EligibilityResult], *, since: dt.date
) -> tuple[QuerySet[EligibilityResult], QuerySet[EligibilityResult]]:
    """(gained, lost): latest results dated ``since`` or later whose verdict differs from the
    same creator and program's last result before ``since`` (a first result is no change)."""
    before = (
        EligibilityResult.objects.filter(
            creator=OuterRef("creator"), program=OuterRef("program"), as_of__lt=since
        )
        .order_by("-as_of")
        .values("eligible")[:1]
    )
    recent = (
        eligibility_latest(qs)
        .filter(as_of__gte=since)
        .annotate(was_eligible=Subquery(before))
        .select_related("creator", "program")
        .order_by("creator__stage_name", "program__name")
    )
    return (
        recent.filter(eligible=True, was_eligible=False),
        recent.filter(eligible=False, was_eligible=True),
    )


def failures_in_order(failures: list[dict]) -> list[dict]:
    """Actionable failures first (the ones a manager can act on), structural ones last."""
    return sorted(failures or [], key=lambda f: f.get("rule") in STRUCTURAL_RULES)


def roster_by_tier(qs: QuerySet[Creator]) -> dict[int | None, int]:
    """How many of these creators are in each tier (latest 28-day snapshot); None: unscored."""
    counts: dict[int | None, int] = {}
    for tier in creator_with_latest(qs).values_list("latest_tier", flat=True):
        counts[tier] = counts.get(tier, 0) + 1
    return counts
