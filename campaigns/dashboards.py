"""Operations' landing panel: pipeline value by deal state, this week's live sessions, ad
spend by brand over 30 days, overdue invoices. A talent manager's: their creators'
deliverables due soon or overdue."""

import datetime as dt
from collections import defaultdict

from django.urls import reverse
from django.utils import timezone

from agency.dashboards import COLOURS, Card, Panel, bar_chart, panel
from agency.money import format_money, to_major
from agency.roles import OPERATIONS, TALENT_MANAGER
from campaigns import selectors
from campaigns.models import DealStatus
from creators.selectors import creators_for_staff

DUE_SOON_DAYS = 14


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
                items=[_conversion(r) for r in live],
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


def _conversion(row: dict) -> str:
    """``USD sessions: conversion 3.00 % (average)``: orders over viewers, graded."""
    if row["conversion"] is None:
        return f"{row['currency']} sessions: no viewers reported"
    rate = f"{row['conversion'] * 100:.2f} %"
    return f"{row['currency']} sessions: conversion {rate} ({row['grade']})"


@panel(TALENT_MANAGER)
def manager_deliverables_panel(request) -> Panel:
    """What the manager's creators still owe brands: overdue first, then due soon."""
    today = timezone.localdate()
    mine = creators_for_staff(user=request.user)
    overdue = selectors.deliverables_due_between(start=dt.date.min, end=today - dt.timedelta(1))
    soon = selectors.deliverables_due_between(
        start=today, end=today + dt.timedelta(days=DUE_SOON_DAYS)
    )
    overdue, soon = overdue.filter(creator__in=mine), soon.filter(creator__in=mine)

    def line(d) -> str:
        return (
            f"{d.creator}: {d.get_type_display().lower()} for {d.deal.brand.name}, "
            f"due {d.due_on:%d %b} ({d.get_status_display().lower()})"
        )

    return Panel(
        title="Deliverables",
        cards=[
            Card(
                "Overdue",
                str(overdue.count()),
                "past their due date, not approved by the brand",
                alert=overdue.exists(),
                items=[line(d) for d in overdue[:5]],
            ),
            Card(
                f"Due in the next {DUE_SOON_DAYS} days",
                str(soon.count()),
                f"until {today + dt.timedelta(days=DUE_SOON_DAYS):%d %b}",
                items=[line(d) for d in soon[:5]],
            ),
        ],
    )
