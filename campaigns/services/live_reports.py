"""Monthly LIVE reports reconciled and booked: finance compares a report with the sessions
of its account and month (``selectors.live_reports_reconciled``), agrees the month's gift
value, and books it once.

What the month's sessions booked already (their live_gifts events) is subtracted; the rest
is one live_gifts revenue event of the account's creator, dated the month's last day, with
source ``campaigns.live_report:<report id>`` (through ``revenue_book``, so billing's posting
is the only path to the ledger and a second booking is a no-op). Once a month is booked, a
session of that month can no longer book its own gifts (it would count twice).
"""

import datetime as dt

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from agency.errors import ApplicationError, Conflict
from agency.money import CURRENCY_EXPONENTS, format_money
from agency.months import month_bounds
from billing.models import Stream
from billing.selectors import is_finance
from campaigns.models import LiveMonthlyReport, LiveReportBooking, LiveSession
from campaigns.services.revenue import SOURCE_LIVE_REPORT, Booking, revenue_book


def month_sessions(*, account_id: int, month: dt.date):
    start, end = month_bounds(month)
    return LiveSession.objects.filter(
        account_id=account_id, started_at__date__gte=start, started_at__date__lt=end
    )


def month_is_booked(*, account_id: int, on: dt.date) -> bool:
    return LiveReportBooking.objects.filter(
        report__account_id=account_id, report__month=on.replace(day=1)
    ).exists()


def live_report_booking_plan(
    *, report: LiveMonthlyReport, agreed_minor: int, currency: str, today: dt.date
) -> tuple[int, int]:
    """(booked by the month's sessions, adjustment to book) for the agreement, or
    ``ApplicationError`` saying why it cannot be booked. Reads only (the admin form checks
    with it before saving)."""
    if currency not in CURRENCY_EXPONENTS:
        raise ApplicationError("Unknown currency.", extra={"currency": currency})
    if agreed_minor < 0:
        raise ApplicationError("The agreed amount cannot be negative.")
    start, end = month_bounds(report.month)
    if end > today:
        raise ApplicationError("A month is booked after it has ended.")
    sessions = month_sessions(account_id=report.account_id, month=start)
    unbooked = sessions.filter(revenue_booked_at__isnull=True, gifts_value_minor__gt=0).count()
    if unbooked:
        raise ApplicationError(
            f"Book the month's sessions first ({unbooked} with gifts are not booked)."
        )
    booked_sessions = sessions.filter(revenue_booked_at__isnull=False)
    if booked_sessions.exclude(currency=currency).exists():
        raise ApplicationError("The month's sessions booked in another currency.")
    booked = booked_sessions.aggregate(s=Sum("gifts_value_minor"))["s"] or 0
    if agreed_minor < booked:
        raise ApplicationError(
            f"The sessions booked {format_money(booked, currency)}, more than agreed; "
            "correct the sessions (a refund) instead."
        )
    return booked, agreed_minor - booked


@transaction.atomic
def live_report_book(
    *,
    report: LiveMonthlyReport,
    agreed_minor: int,
    currency: str,
    booked_by=None,
    note: str = "",
    today: dt.date | None = None,
) -> LiveReportBooking:
    """Book the agreed gift value of a finished month once. The same agreement again returns
    the first booking; another amount is a conflict (the month is in the books). Staff who
    book must be in the finance group."""
    # Long on purpose: one locked sequence (the report, its earlier booking, the month's
    # sessions) that must book and record in this order.
    today = today or timezone.localdate()
    report = (
        LiveMonthlyReport.objects.select_for_update().select_related("account").get(pk=report.pk)
    )
    existing = LiveReportBooking.objects.filter(report=report).first()
    if existing is not None:
        if (existing.agreed_minor, existing.currency) == (agreed_minor, currency):
            return existing
        raise Conflict(
            "This month is booked already at "
            f"{format_money(existing.agreed_minor, existing.currency)}."
        )
    if booked_by is not None and not is_finance(booked_by):
        raise ApplicationError("Only a member of the finance group books LIVE reports.")
    # the month's sessions cannot book meanwhile: lock them (in id order)
    list(
        month_sessions(account_id=report.account_id, month=report.month)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    booked, adjustment = live_report_booking_plan(
        report=report, agreed_minor=agreed_minor, currency=currency, today=today
    )
    _, end = month_bounds(report.month)
    revenue_book(
        bookings=[
            Booking(
                stream=Stream.LIVE_GIFTS,
                creator_id=report.account.creator_id,
                account_id=report.account_id,
                occurred_on=end - dt.timedelta(days=1),
                gross_minor=adjustment,
                currency=currency,
                source_type=SOURCE_LIVE_REPORT,
                source_id=str(report.pk),
                description=f"LIVE gifts, {report.month:%B %Y} report (agreed)",
            )
        ],
        today=today,
    )
    return LiveReportBooking.objects.create(
        report=report,
        currency=currency,
        agreed_minor=agreed_minor,
        sessions_booked_minor=booked,
        adjustment_minor=adjustment,
        note=note,
        booked_by=booked_by,
    )
