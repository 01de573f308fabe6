"""Invoices to brands and clients: drafting, gap-free numbering, payment, overdue flags.

Numbers: an invoice gets its number when it is issued, from its series' counter row read
and bumped under ``select_for_update`` in the issuing transaction. A rolled-back issue
rolls the counter back too, so numbers have no gaps; the unique (series, number) constraint
makes a duplicate impossible. A void invoice keeps its number.

Pay when paid: the earnings an invoice bills (its lines' linked revenue events) are marked
cash-received through billing's ``revenue_event_cash_receive`` when the invoice is paid;
billing then makes them payable once their hold ends.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from agency.errors import ApplicationError, Conflict
from agency.money import to_major
from agency.states import Change, lock, needs_move, transition
from billing.models import Stream
from billing.services.agency_revenue import (
    agency_revenue_cash_receive,
    agency_revenue_post,
    agency_revenue_reverse,
)
from billing.services.events import revenue_event_cash_receive
from campaigns.models import (
    Brand,
    BrandDeal,
    DealStatus,
    Invoice,
    InvoiceLine,
    InvoiceSeries,
)
from campaigns.selectors import invoice_total_minor
from campaigns.services.deals import (
    brand_webhook_emit,
    deal_next_status,
    deal_revenue_book,
    deal_transition,
)
from campaigns.services.revenue import SOURCE_INVOICE_LINE, Booking, revenue_book

DEFAULT_SERIES = "INV"
EVENT_INVOICE_ISSUED = "invoice.issued"
EVENT_INVOICE_PAID = "invoice.paid"


@transaction.atomic
def invoice_draft_create(
    *, brand: Brand, currency: str, series_code: str = DEFAULT_SERIES, net_days: int | None = None
) -> Invoice:
    series, _ = InvoiceSeries.objects.get_or_create(code=series_code)
    return Invoice.objects.create(
        brand=brand,
        series=series,
        currency=currency,
        net_days=brand.default_net_days if net_days is None else net_days,
    )


@transaction.atomic
def invoice_line_add(
    *, invoice: Invoice, description: str, amount_minor: int, source_key: str, **links
) -> InvoiceLine:
    """Add a line to a draft. ``source_key`` names the billed item; an item already on an
    active line of any invoice is refused (409)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.DRAFT:
        raise Conflict("Lines are added to drafts only.")
    if amount_minor <= 0:
        raise ApplicationError("A line amount must be positive.")
    try:
        with transaction.atomic():
            return InvoiceLine.objects.create(
                invoice=invoice,
                description=description[:300],
                amount_minor=amount_minor,
                source_key=source_key,
                **links,
            )
    except IntegrityError as exc:
        raise Conflict(f"{source_key} is billed already.", code="billed_already") from exc


def _agency_only_lines(invoice: Invoice):
    """Lines billing a service, ad account or livestream with no creator (retainers,
    ad-operation fees, services): the agency's revenue alone, booked straight to the ledger."""
    return [
        line
        for line in invoice.lines.filter(is_active=True, deal__isnull=True).select_related(
            "live_session", "ad_account", "service"
        )
        if _line_creator_id(line) is None
    ]


def _line_creator_id(line: InvoiceLine) -> int | None:
    for item in (line.live_session, line.ad_account, line.service):
        if item is not None:
            return item.creator_id
    return None


def _agency_only_source(line: InvoiceLine) -> str:
    return f"{SOURCE_INVOICE_LINE}:{line.pk}"


def _line_bookings(invoice: Invoice) -> list[tuple[InvoiceLine, Booking]]:
    """Agency-service earnings of the lines that name a creator (deal lines book their
    revenue when the brand pays, per creator share)."""
    out = []
    for line in invoice.lines.filter(is_active=True, deal__isnull=True).select_related(
        "live_session", "ad_account", "service"
    ):
        creator_id = _line_creator_id(line)
        if creator_id is None:
            continue
        out.append(
            (
                line,
                Booking(
                    stream=Stream.AGENCY_SERVICE,
                    creator_id=creator_id,
                    occurred_on=invoice.issued_on,
                    gross_minor=line.amount_minor,
                    currency=invoice.currency,
                    source_type=SOURCE_INVOICE_LINE,
                    source_id=str(line.pk),
                    description=f"{line.description} (invoice {invoice.display_number})",
                ),
            )
        )
    return out


@transaction.atomic
def invoice_issue(*, invoice: Invoice, on: dt.date | None = None) -> Invoice:
    """Give a draft its number, issue and due dates; book the agency-service earnings it
    bills. Issuing an issued invoice changes nothing."""
    invoice = lock(invoice, related=("brand",))
    if not needs_move(invoice, Invoice.Status.ISSUED):
        return invoice
    if not invoice.lines.filter(is_active=True).exists():
        raise ApplicationError("An invoice needs at least one line.")
    if on is not None and on > timezone.localdate():
        raise ApplicationError("The issue date is in the future.")
    series = InvoiceSeries.objects.select_for_update().get(pk=invoice.series_id)
    issued_on = on or timezone.localdate()
    invoice = transition(
        invoice,
        Invoice.Status.ISSUED,
        locked=True,
        changes={
            "number": series.next_number,
            "issued_on": issued_on,
            "due_on": issued_on + dt.timedelta(days=invoice.net_days),
        },
    ).obj
    series.next_number += 1
    series.save(update_fields=["next_number"])
    for line in _agency_only_lines(invoice):
        agency_revenue_post(
            stream=Stream.AGENCY_SERVICE,
            source=_agency_only_source(line),
            currency=invoice.currency,
            amount_minor=line.amount_minor,
            occurred_on=invoice.issued_on,
            memo=f"{invoice}: {line.description}",
        )
    pairs = _line_bookings(invoice)
    events = revenue_book(bookings=[b for _, b in pairs], today=invoice.issued_on)
    by_source = {e.source_id: e for e in events}
    for line, booking in pairs:
        if booking.source_id in by_source:
            line.revenue_events.add(by_source[booking.source_id])
    return invoice


def invoice_webhook_emit(change: Change) -> None:
    """``invoice.issued`` / ``invoice.paid`` for the brand's partner (voiding sends none)."""
    event_type = {
        Invoice.Status.ISSUED: EVENT_INVOICE_ISSUED,
        Invoice.Status.PAID: EVENT_INVOICE_PAID,
    }.get(change.to_state)
    if event_type is None:
        return
    invoice = change.obj
    brand_webhook_emit(
        brand=invoice.brand,
        event_type=event_type,
        data=_webhook_data(invoice),
        key=f"{event_type.replace('.', '_')}:{invoice.pk}",
    )


def _webhook_data(invoice: Invoice) -> dict:
    return {
        "invoice_id": invoice.pk,
        "number": invoice.display_number,
        "total": {
            "amount": str(to_major(invoice_total_minor(invoice), invoice.currency)),
            "currency": invoice.currency,
        },
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "paid_on": invoice.paid_on,
        "status": invoice.status,
    }


@transaction.atomic
def invoice_for_deal(*, deal: BrandDeal, actor=None, on: dt.date | None = None) -> Invoice:
    """Bill an approved deal's fee: one issued invoice, and the deal moves to invoiced."""
    deal = BrandDeal.objects.select_for_update().select_related("brand").get(pk=deal.pk)
    if deal.status != DealStatus.APPROVED:
        raise Conflict("Only an approved deal is invoiced.")
    if deal.fee_minor <= 0:
        raise ApplicationError("A deal without a fee has nothing to invoice.")
    invoice = invoice_draft_create(brand=deal.brand, currency=deal.currency)
    invoice_line_add(
        invoice=invoice,
        description=f"Brand deal: {deal.title}",
        amount_minor=deal.fee_minor,
        source_key=f"deal:{deal.pk}",
        deal=deal,
    )
    invoice = invoice_issue(invoice=invoice, on=on)
    deal_transition(deal=deal, to_status=DealStatus.INVOICED, actor=actor, note=str(invoice))
    return invoice


@transaction.atomic
def deal_advance(*, deal: BrandDeal, actor=None, may_invoice: bool = False) -> BrandDeal:
    """Move a deal one step along its flow. Invoicing an approved deal issues its invoice
    (``invoice_for_deal``; only for someone who may add invoices); a deal becomes paid only
    when its invoice's payment is recorded."""
    target = deal_next_status(deal)
    if target is None:
        raise ApplicationError("No next state.")
    if target == DealStatus.INVOICED:
        if not may_invoice:
            raise ApplicationError("Invoicing a deal needs the permission to add invoices.")
        invoice_for_deal(deal=deal, actor=actor)
        return BrandDeal.objects.get(pk=deal.pk)
    if target == DealStatus.PAID:
        raise ApplicationError("Record the invoice's payment to mark the deal paid.")
    return deal_transition(deal=deal, to_status=target, actor=actor)


@transaction.atomic
def invoice_payment_record(*, invoice: Invoice, paid_on: dt.date, actor=None) -> Invoice:
    """The client paid in full. Deals on the invoice move to paid (booking their revenue);
    every linked earning is marked cash-received through billing (pay when paid).
    Recording the same payment twice changes nothing."""
    invoice = lock(invoice, related=("brand",))
    if not needs_move(invoice, Invoice.Status.PAID):
        return invoice
    if paid_on < invoice.issued_on:
        raise ApplicationError("Payment date is before the issue date.")
    if paid_on > timezone.localdate():
        raise ApplicationError("Payment date is in the future.")
    invoice = transition(
        invoice,
        Invoice.Status.PAID,
        actor=actor,
        locked=True,
        changes={"paid_on": paid_on, "is_overdue": False},
    ).obj
    for line in invoice.lines.filter(is_active=True, deal__isnull=False).select_related("deal"):
        deal = line.deal
        if deal.status == DealStatus.INVOICED:
            deal = deal_transition(
                deal=deal, to_status=DealStatus.PAID, actor=actor, on=paid_on, note=str(invoice)
            )
        if deal.status == DealStatus.PAID:  # also when staff marked it paid before
            line.revenue_events.add(*deal_revenue_book(deal=deal))
    for line in invoice.lines.filter(is_active=True).prefetch_related("revenue_events"):
        for event in line.revenue_events.all():
            revenue_event_cash_receive(event=event, received_on=paid_on)
    for line in _agency_only_lines(invoice):
        agency_revenue_cash_receive(
            stream=Stream.AGENCY_SERVICE, source=_agency_only_source(line), received_on=paid_on
        )
    return invoice


@transaction.atomic
def invoice_void(*, invoice: Invoice) -> Invoice:
    """Void a draft, or an issued invoice whose lines booked no earnings; its items can be
    billed again. (Voiding billed earnings needs a credit note, which is not supported.)"""
    invoice = lock(invoice)
    if not needs_move(invoice, Invoice.Status.VOID):
        return invoice
    if InvoiceLine.revenue_events.through.objects.filter(invoiceline__invoice=invoice).exists():
        raise Conflict("This invoice booked earnings; issue a credit note instead.")
    if invoice.lines.filter(deal__status=DealStatus.INVOICED).exists():
        raise Conflict("This invoice bills a deal; cancel the deal first.")
    for line in _agency_only_lines(invoice):  # the agency's own revenue is taken back
        agency_revenue_reverse(
            stream=Stream.AGENCY_SERVICE,
            source=_agency_only_source(line),
            on=timezone.localdate(),
        )
    invoice.lines.update(is_active=False)
    return transition(invoice, Invoice.Status.VOID, locked=True, changes={"is_overdue": False}).obj


@transaction.atomic
def invoices_flag_overdue(*, today: dt.date) -> int:
    """Flag issued invoices past their due date (set-based; running twice is harmless)."""
    return Invoice.objects.filter(
        status=Invoice.Status.ISSUED, due_on__lt=today, is_overdue=False
    ).update(is_overdue=True)
