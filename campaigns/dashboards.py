"""Operations' landing panel: pipeline value by deal state, this week's live sessions, ad
spend by brand over 30 days, overdue invoices."""

import datetime as dt
from collections import defaultdict

from django.urls import reverse
from django.utils import timezone

from agency.dashboards import COLOURS, Card, Panel, bar_chart, panel
from agency.money import format_money, to_major
from agency.roles import OPERATIONS
from campaigns import selectors
from campaigns.models import DealStatus


@panel(OPERATIONS)
def operations_panel(request) -> Panel:
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    pipeline = selectors.pipeline_value()
    live = selectors.live_sessions_between(start=monday, end=monday + dt.timedelta(days=7))
    spend = selectors.ad_spend_by_brand(start=today - dt.timedelta(days=30), end=today)
    overdue = selectors.overdue_invoices().count()
    open_value = defaultdict(int)
    by_currency = defaultdict(list)
    labels = dict(DealStatus.choices)
    for row in pipeline:
        if row["status"] != DealStatus.PAID:
            open_value[row["currency"]] += row["total"]
        by_currency[row["currency"]].append(
            (labels[row["status"]], to_major(row["total"], row["currency"]))
        )
    spend_by_currency = defaultdict(list)
    for row in spend:
        spend_by_currency[row["ad_account__currency"]].append(
            (row["ad_account__brand__name"], to_major(row["total"], row["ad_account__currency"]))
        )
    charts = [
        bar_chart(title=f"Pipeline by deal state, {c}", unit=f"{c} (deal fees)", bars=bars,
                  legend=f"deal fees, {c}", colour=COLOURS[0])
        for c, bars in sorted(by_currency.items())
    ] + [
        bar_chart(title=f"Ad spend by brand, last 30 days, {c}", unit=c, bars=bars[:8],
                  legend=f"spend, {c}", colour=COLOURS[2])
        for c, bars in sorted(spend_by_currency.items())
    ]  # fmt: skip
    return Panel(
        title="Operations",
        cards=[
            Card(
                "Open pipeline",
                "; ".join(format_money(v, c) for c, v in sorted(open_value.items())) or "none",
                "deal fees not yet paid",
                reverse("admin:campaigns_branddeal_changelist"),
            ),
            Card(
                "Live sessions this week",
                "; ".join(
                    f"{r['sessions']} · GMV {format_money(r['gmv'], r['currency'])}" for r in live
                )
                or "none",
                f"since Monday {monday:%d %b}",
                reverse("admin:campaigns_livesession_changelist"),
            ),
            Card(
                "Overdue invoices",
                str(overdue),
                "issued, unpaid, past due",
                reverse("admin:campaigns_invoice_changelist") + "?is_overdue__exact=1",
            ),
        ],
        charts=charts,
    )
