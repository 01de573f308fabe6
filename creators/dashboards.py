"""A talent manager's landing panel: their roster by tier, its score trend, the creators
close to a program with what they miss, and what changed in eligibility this week."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from agency.dashboards import COLOURS, Card, Panel, bar_chart, line_chart, panel
from agency.roles import TALENT_MANAGER
from creators import selectors
from creators.models import EligibilityResult, Tier

SHOWN = 3  # examples listed under a card


@panel(TALENT_MANAGER)
def manager_panel(request) -> Panel:
    mine = selectors.creators_for_staff(user=request.user)
    tiers = selectors.roster_by_tier(mine)
    mine_results = EligibilityResult.objects.filter(creator__in=mine)
    latest = selectors.eligibility_latest(mine_results)
    near = selectors.eligibility_actionable(latest)
    eligible = latest.filter(eligible=True).count()
    results = reverse("admin:creators_eligibilityresult_changelist")
    examples = [
        f"{r.creator}: {selectors.failures_in_order(r.failures)[0]['message']}"
        for r in near.select_related("creator").order_by("creator__stage_name")[:SHOWN]
        if r.failures
    ]
    trend = selectors.score_trend(mine)
    return Panel(
        title="Your creators",
        cards=[
            Card(
                "Creators",
                str(sum(tiers.values())),
                "on your roster",
                reverse("admin:creators_creator_changelist"),
            ),
            Card("Eligible results", str(eligible), "latest per creator and program"),
            Card(
                "Close to a program",
                str(near.count()),
                "; ".join(examples) or "nothing actionable",
                results + "?actionable=yes",
            ),
            _changes_card(mine_results, results),
            Card(
                "Average score (28 days)",
                f"{trend[-1][1]:.1f}" if trend else "not scored yet",
                _trend_note(trend),
            ),
        ],
        charts=[
            bar_chart(
                title="Roster by tier (latest 28 days)",
                unit="creators",
                bars=[(t.label, tiers[t.value]) for t in Tier if tiers.get(t.value)],
                legend="creators per tier",
            ),
            line_chart(
                title="Average score of your creators",
                unit="score (0-100)",
                points=[(f"{day:%d %b}", round(value, 1)) for day, value in trend],
                legend="28-day score, average",
                colour=COLOURS[1],
            ),
        ],
    )


def _changes_card(results_qs, results_url: str) -> Card:
    """Eligibility gained and lost over the last seven days, with the reason for a loss."""
    since = timezone.localdate() - dt.timedelta(days=7)
    gained, lost = selectors.eligibility_changes(results_qs, since=since)
    gained_n, lost_n = gained.count(), lost.count()
    changes = [f"{r.creator} now qualifies for {r.program.name}" for r in gained[:SHOWN]] + [
        f"{r.creator} lost {r.program.name}: {_first_reason(r)}" for r in lost[:SHOWN]
    ]
    return Card(
        "Eligibility this week",
        f"+{gained_n} gained, -{lost_n} lost" if gained_n or lost_n else "no change",
        f"since {since:%d %b}, against each creator's result before",
        results_url,
        alert=bool(lost_n),
        items=changes,
    )


def _first_reason(result: EligibilityResult) -> str:
    failures = selectors.failures_in_order(result.failures)
    return failures[0]["message"] if failures else "no longer meets the rules"


def _trend_note(trend: list) -> str:
    if len(trend) < 2:
        return "one snapshot so far" if trend else "no snapshot yet"
    (first_day, first), (_, last) = trend[0], trend[-1]
    return f"{last - first:+.1f} since {first_day:%d %b}"
