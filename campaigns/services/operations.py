"""Ad operations and agency services billed to clients; the monthly client invoice.

Per month and client the agency bills: its fee on each ad account's spend (fee model),
retainers active in the month, units delivered under per-unit agreements, and the operation
fee of every livestream it operated for the client. Each billed item has a source key, unique
among active invoice lines, so running the month twice bills nothing twice.
A rebate ad account is not billed to the brand: the platform pays the rebate, booked as
agency_service revenue of the account's creator (``ad_rebate_book``).
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from agency.errors import ApplicationError
from agency.models import Partner
from agency.money import round_minor, to_major
from agency.months import month_bounds
from billing.models import RevenueEvent, Stream
from campaigns.models import (
    AdAccount,
    AdSpend,
    Brand,
    Invoice,
    InvoiceLine,
    LiveSession,
    ServiceAgreement,
    ServiceUnit,
)
from campaigns.services.invoices import invoice_draft_create, invoice_line_add
from campaigns.services.live_sessions import fee_note, live_operation_prices, price_in_force
from campaigns.services.revenue import SOURCE_AD_REBATE, Booking, revenue_book


@transaction.atomic
def ad_spend_record(
    *, ad_account: AdAccount, spent_on: dt.date, amount_minor: int, partner: Partner | None = None
) -> AdSpend:
    """Record (or correct) one day's spend of an ad account. A day reported by one source
    (a data partner, or staff) is corrected only by the same source."""
    if amount_minor < 0:
        raise ApplicationError("Spend cannot be negative.", extra={"amount_minor": amount_minor})
    existing = (
        AdSpend.objects.select_for_update().filter(ad_account=ad_account, spent_on=spent_on).first()
    )
    if existing is not None and existing.partner_id != (partner.pk if partner else None):
        raise ApplicationError(
            "This day's spend was reported by another source.", extra={"spent_on": str(spent_on)}
        )
    spend, _ = AdSpend.objects.update_or_create(
        ad_account=ad_account,
        spent_on=spent_on,
        defaults={"amount_minor": amount_minor, "partner": partner},
    )
    return spend


def ad_month_spend_minor(*, ad_account: AdAccount, month: dt.date) -> int:
    start, end = month_bounds(month)
    return (
        ad_account.spend.filter(spent_on__gte=start, spent_on__lt=end).aggregate(
            s=Sum("amount_minor")
        )["s"]
        or 0
    )


def ad_month_fee_minor(*, ad_account: AdAccount, month: dt.date) -> int:
    """The agency's fee (or rebate) on a month's spend: rate x spend, rounded once."""
    return round_minor(
        ad_month_spend_minor(ad_account=ad_account, month=month) * ad_account.fee_rate
    )


@transaction.atomic
def ad_rebate_book(*, ad_account: AdAccount, month: dt.date) -> list[RevenueEvent]:
    """A rebate account's month as agency_service revenue of its creator. Safe to rerun."""
    if ad_account.fee_model != AdAccount.FeeModel.REBATE:
        raise ApplicationError("Only a rebate account books a rebate.")
    if ad_account.creator_id is None:
        return []  # billing's revenue events need a creator
    start, end = month_bounds(month)
    today = timezone.localdate()
    if end > today:
        raise ApplicationError("A month's rebate is booked after the month has ended.")
    return revenue_book(
        bookings=[
            Booking(
                stream=Stream.AGENCY_SERVICE,
                creator_id=ad_account.creator_id,
                occurred_on=end - dt.timedelta(days=1),
                gross_minor=ad_month_fee_minor(ad_account=ad_account, month=start),
                currency=ad_account.currency,
                source_type=SOURCE_AD_REBATE,
                source_id=f"{ad_account.pk}:{start:%Y-%m}",
            )
        ],
        today=today,
    )


@dataclass(frozen=True)
class Item:
    description: str
    amount_minor: int
    source_key: str
    links: dict


def client_month_items(*, brand: Brand, month: dt.date, currency: str) -> list[Item]:
    """What the client owes for the month in ``currency`` and is not billed yet."""
    # Long on purpose: one block per billable kind (ad-operation fees, retainers, per-unit
    # services, operated livestreams), then one query drops what is billed already.
    start, end = month_bounds(month)
    label = f"{start:%Y-%m}"
    items: list[Item] = []
    for account in brand.ad_accounts.filter(fee_model=AdAccount.FeeModel.FEE, currency=currency):
        spend = ad_month_spend_minor(ad_account=account, month=start)
        fee = round_minor(spend * account.fee_rate)
        items.append(
            Item(
                f"Ad operation {account.get_platform_display()} {account.external_id} {label}: "
                f"{account.fee_rate * 100:.2f} % of spend {to_major(spend, currency)}",
                fee,
                f"ad:{account.pk}:{label}",
                {"ad_account": account},
            )
        )
    services = brand.services.filter(currency=currency, starts_on__lt=end).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=start)
    )
    for service in services.filter(billing=ServiceAgreement.Billing.RETAINER):
        items.append(
            Item(
                f"{service.get_kind_display()} retainer {label}",
                service.price_minor,
                f"retainer:{service.pk}:{label}",
                {"service": service},
            )
        )
    units = ServiceUnit.objects.filter(
        agreement__in=services.filter(billing=ServiceAgreement.Billing.PER_UNIT),
        performed_on__gte=start,
        performed_on__lt=end,
    ).select_related("agreement")
    for unit in units:
        items.append(
            Item(
                f"{unit.agreement.get_kind_display()} x{unit.quantity} "
                f"({unit.performed_on}) {unit.description}".strip(),
                unit.quantity * unit.agreement.price_minor,
                f"unit:{unit.pk}",
                {"service": unit.agreement},
            )
        )
    sessions = LiveSession.objects.filter(
        client=brand,
        operated_by_agency=True,
        currency=currency,
        operation_fee_minor__gt=0,
        started_at__date__gte=start,
        started_at__date__lt=end,
    ).select_related("creator")
    prices = live_operation_prices(currencies=[currency])
    for session in sessions:
        price = price_in_force(prices, currency=currency, on=timezone.localdate(session.started_at))
        items.append(
            Item(
                f"Livestream operation {session.creator} {session.started_at:%Y-%m-%d}"
                + fee_note(session=session, price=price),
                session.operation_fee_minor,
                f"live:{session.pk}",
                {"live_session": session},
            )
        )
    billed = set(
        InvoiceLine.objects.filter(
            is_active=True, source_key__in=[i.source_key for i in items]
        ).values_list("source_key", flat=True)
    )
    return [i for i in items if i.amount_minor > 0 and i.source_key not in billed]


@transaction.atomic
def client_month_invoice_draft(*, brand: Brand, month: dt.date, currency: str) -> Invoice | None:
    """A draft invoice of the client's unbilled items of the month, or None if there are none.
    Review it in the admin, then issue it."""
    Brand.objects.select_for_update().get(pk=brand.pk)  # one drafting run per client at once
    items = client_month_items(brand=brand, month=month, currency=currency)
    if not items:
        return None
    invoice = invoice_draft_create(brand=brand, currency=currency)
    for item in items:
        invoice_line_add(
            invoice=invoice,
            description=item.description,
            amount_minor=item.amount_minor,
            source_key=item.source_key,
            **item.links,
        )
    return invoice


def month_close(*, month: dt.date) -> tuple[list[Invoice], int]:
    """After a month ends: draft every client's invoice of its unbilled items (one per
    currency) and book every rebate account's rebate. Safe to run twice: billed items and
    booked rebates are skipped. Returns the new drafts and the number of rebates booked."""
    start, _ = month_bounds(month)
    pairs: set[tuple[int, str]] = set()
    pairs |= set(AdAccount.objects.filter(fee_model=AdAccount.FeeModel.FEE).values_list(
        "brand_id", "currency"
    ))  # fmt: skip
    pairs |= set(ServiceAgreement.objects.values_list("client_id", "currency"))
    pairs |= set(
        LiveSession.objects.filter(operation_fee_minor__gt=0, client__isnull=False).values_list(
            "client_id", "currency"
        )
    )
    brands = Brand.objects.in_bulk({b for b, _ in pairs})
    drafts = []
    for brand_id, currency in sorted(pairs):
        draft = client_month_invoice_draft(brand=brands[brand_id], month=start, currency=currency)
        if draft is not None:
            drafts.append(draft)
    rebates = 0
    for account in AdAccount.objects.filter(fee_model=AdAccount.FeeModel.REBATE).order_by("pk"):
        if ad_rebate_book(ad_account=account, month=start):
            rebates += 1
    return drafts, rebates
