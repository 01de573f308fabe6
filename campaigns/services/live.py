"""Livestream operations: sessions' gifts and commerce as revenue, monthly LIVE reports."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from agency.errors import ApplicationError, Conflict
from agency.money import round_minor
from agency.rows import ROW, Reasons, file_line, note, rows_validate
from agency.validation import NUL_MESSAGE, date_range_error, nul_columns
from billing.models import RevenueEvent, Stream
from campaigns.models import LiveCommerceRefund, LiveMonthlyReport, LiveSession
from campaigns.services.live_reports import month_is_booked
from campaigns.services.revenue import (
    SOURCE_LIVE_COMMERCE,
    SOURCE_LIVE_GIFTS,
    Booking,
    revenue_book,
    revenue_events_for,
)
from creators.models import PlatformAccount


def live_commerce_commission_minor(session: LiveSession) -> int:
    """Commission on the session's GMV net of refunds (half to even, once)."""
    return round_minor(
        (session.gmv_minor - session.refunds_minor) * session.commerce_commission_rate
    )


@transaction.atomic
def live_session_revenue_book(
    *, session: LiveSession, today: dt.date | None = None
) -> list[RevenueEvent]:
    """The session's gift value (live_gifts) and its commerce commission (live_commerce)
    as revenue events, dated the session's end day. Safe to run twice."""
    session = LiveSession.objects.select_for_update().get(pk=session.pk)
    on = timezone.localdate(session.ended_at)
    if session.revenue_booked_at is None and month_is_booked(
        account_id=session.account_id, on=timezone.localdate(session.started_at)
    ):
        raise Conflict(
            "The monthly LIVE report of this session's month is booked; its gifts are in it."
        )
    bookings = [
        Booking(
            stream=Stream.LIVE_GIFTS,
            creator_id=session.creator_id,
            account_id=session.account_id,
            occurred_on=on,
            gross_minor=session.gifts_value_minor,
            currency=session.currency,
            source_type=SOURCE_LIVE_GIFTS,
            source_id=str(session.pk),
        ),
        Booking(
            stream=Stream.LIVE_COMMERCE,
            creator_id=session.creator_id,
            account_id=session.account_id,
            occurred_on=on,
            gross_minor=live_commerce_commission_minor(session),
            currency=session.currency,
            source_type=SOURCE_LIVE_COMMERCE,
            source_id=str(session.pk),
        ),
    ]
    events = revenue_book(bookings=bookings, today=today or timezone.localdate())
    if session.revenue_booked_at is None:
        session.revenue_booked_at = timezone.now()
        session.save(update_fields=["revenue_booked_at"])
    return events


@transaction.atomic
def live_commerce_refund_record(
    *,
    session: LiveSession,
    external_id: str,
    amount_minor: int,
    refunded_on: dt.date,
    today: dt.date | None = None,
) -> LiveCommerceRefund:
    """A refund of the session's commerce GMV (the same refund id twice returns the first).

    Before the session's revenue is booked it only lowers the net GMV. After, the commission
    is clawed back like an affiliate refund: booked commission - commission on what is left
    - earlier clawbacks, as a billing refund event linked to the session's commerce event.
    """
    existing = LiveCommerceRefund.objects.filter(session=session, external_id=external_id).first()
    if existing is not None:
        return existing
    session = LiveSession.objects.select_for_update().get(pk=session.pk)
    if amount_minor <= 0:
        raise ApplicationError("A refund amount is positive.", extra={"amount": amount_minor})
    if session.refunds_minor + amount_minor > session.gmv_minor:
        raise ApplicationError(
            "Refunds would exceed the session's GMV.",
            extra={"refundable_minor": session.gmv_minor - session.refunds_minor},
        )
    session.refunds_minor += amount_minor
    session.save(update_fields=["refunds_minor"])
    original = (revenue_events_for(keys=[(SOURCE_LIVE_COMMERCE, str(session.pk))]) or [None])[0]
    clawback = 0
    if original is not None:
        earlier = session.refunds.aggregate(c=Sum("clawback_minor"))["c"] or 0
        clawback = original.gross_minor - live_commerce_commission_minor(session) - earlier
    refund = LiveCommerceRefund.objects.create(
        session=session,
        external_id=external_id,
        amount_minor=amount_minor,
        refunded_on=refunded_on,
        clawback_minor=max(clawback, 0),
    )
    if clawback > 0:
        revenue_book(
            bookings=[
                Booking(
                    stream=Stream.LIVE_COMMERCE,
                    kind=RevenueEvent.Kind.REFUND,
                    creator_id=session.creator_id,
                    occurred_on=refunded_on,
                    gross_minor=clawback,
                    currency=session.currency,
                    source_type=SOURCE_LIVE_COMMERCE,
                    source_id=f"{session.pk}:refund:{refund.pk}",
                    refund_of_source_id=str(session.pk),
                )
            ],
            today=today or timezone.localdate(),
        )
    return refund


# --- monthly LIVE reports ----------------------------------------------------------------


@dataclass(frozen=True)
class LiveReportResult:
    created: int
    updated: int
    dry_run: bool


REPORT_COLUMNS = ["platform", "platform_account_id", "month", "diamonds", "valid_live_days",
                  "live_minutes"]  # fmt: skip


def _int(value: str, field: str, errors: Reasons, *, high: int | None = None) -> int | None:
    try:
        number = int(str(value).strip())
    except ValueError:
        note(errors, field, f"not a whole number ({value!r}).")
        return None
    if number < 0:
        note(errors, field, "must not be negative.")
    elif high is not None and number > high:
        note(errors, field, f"at most {high}.")
    return number


def _month(value: str, today: dt.date, errors: Reasons) -> dt.date | None:
    try:
        month = dt.date.fromisoformat(f"{value.strip()}-01")
    except ValueError:
        note(errors, "month", f"expected YYYY-MM, got {value!r}.")
        return None
    if month > today:
        note(errors, "month", "must not be in the future.")
    elif reason := date_range_error(month):
        note(errors, "month", reason)
    return month


@transaction.atomic
def live_reports_import(
    *, rows: list[dict[str, str]], dry_run: bool = False, today: dt.date | None = None
) -> LiveReportResult:
    """Import monthly LIVE reports (one row per account and month), all or nothing.

    Rows are dicts with ``REPORT_COLUMNS``; ``month`` is ``YYYY-MM``. Every row is validated
    first; any bad row raises ``RowErrors`` naming each bad row by its line number in
    the file (the header is line 1), its reasons as "field: reason" strings. A re-imported
    month replaces its values (upsert).
    With ``dry_run`` nothing is written and the counts say what would change.
    """
    today = today or timezone.localdate()
    accounts = {
        (a.platform, a.platform_account_id): a
        for a in PlatformAccount.objects.filter(
            platform_account_id__in=[
                r.get("platform_account_id", "") for r in rows if not nul_columns(r)
            ]
        )
    }
    clean: dict[tuple[int, dt.date], dict] = {}

    def check(_index: int, row: dict[str, str], errors: Reasons) -> None:
        if bad := nul_columns(row):
            for c in bad:
                note(errors, c, NUL_MESSAGE)
            return
        missing = [c for c in REPORT_COLUMNS if not str(row.get(c) or "").strip()]
        if missing:
            for c in missing:
                note(errors, c, "required.")
            return
        account = accounts.get((row["platform"].strip(), row["platform_account_id"].strip()))
        if account is None:
            note(errors, "platform_account_id", "no such account on the roster.")
        month = _month(row["month"], today, errors)
        diamonds = _int(row["diamonds"], "diamonds", errors)
        days = _int(row["valid_live_days"], "valid_live_days", errors, high=31)
        minutes = _int(row["live_minutes"], "live_minutes", errors, high=31 * 24 * 60)
        if account is not None and month is not None and (account.pk, month) in clean:
            note(errors, ROW, "duplicate account and month in this file.")
        if not errors:
            clean[(account.pk, month)] = {
                "diamonds": diamonds,
                "valid_live_days": days,
                "live_minutes": minutes,
            }

    rows_validate(rows, check, key=file_line, flat=True)
    existing = {
        (r.account_id, r.month): r
        for r in LiveMonthlyReport.objects.filter(
            account_id__in={k[0] for k in clean}, month__in={k[1] for k in clean}
        )
    }
    created = sum(1 for k in clean if k not in existing)
    updated = len(clean) - created
    if not dry_run:
        LiveMonthlyReport.objects.bulk_create(
            [LiveMonthlyReport(account_id=a, month=m, **v) for (a, m), v in clean.items()],
            update_conflicts=True,
            unique_fields=["account", "month"],
            update_fields=["diamonds", "valid_live_days", "live_minutes", "imported_at"],
        )
    return LiveReportResult(created=created, updated=updated, dry_run=dry_run)
