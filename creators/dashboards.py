"""A talent manager's landing panel: their roster by tier and the creators close to a
program, with what they miss."""

from django.urls import reverse

from agency.dashboards import Card, Panel, bar_chart, panel
from agency.roles import TALENT_MANAGER
from creators import selectors
from creators.models import EligibilityResult, Tier


@panel(TALENT_MANAGER)
def manager_panel(request) -> Panel:
    mine = selectors.creators_for_staff(user=request.user)
    tiers = selectors.roster_by_tier(mine)
    latest = selectors.eligibility_latest(EligibilityResult.objects.filter(creator__in=mine))
    near = selectors.eligibility_actionable(latest)
    eligible = latest.filter(eligible=True).count()
    results = reverse("admin:creators_eligibilityresult_changelist")
    examples = [
        f"{r.creator}: {selectors.failures_in_order(r.failures)[0]['message']}"
        for r in near.select_related("creator").order_by("creator__stage_name")[:3]
        if r.failures
    ]
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
        ],
        charts=[
            bar_chart(
                title="Roster by tier (latest 28 days)",
                unit="creators",
                bars=[(t.label, tiers[t.value]) for t in Tier if tiers.get(t.value)],
                legend="creators per tier",
            )
        ],
    )
