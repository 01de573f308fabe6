"""Live sessions recorded by staff (admin), data partners (API) and operators (CSV), and the
livestream-operation price list their fees are priced from.

A session is keyed by its reporter and the reporter's session id (staff sessions entered in
the admin have none). Re-sending a session updates it; once its revenue is booked its money
(gifts, GMV, commission rate, currency, account) is fixed, and once its operation fee is on
an invoice the fee is fixed: corrections go through refunds and credit, never by editing.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from agency.models import Partner
from agency.money import CURRENCY_EXPONENTS, format_money
from agency.rows import note
from campaigns.models import Brand, InvoiceLine, LiveOperationPrice, LiveSession
from creators.models import PlatformAccount

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"

# Fields frozen once the session's revenue is booked (its events carry these amounts).
BOOKED_FIELDS = ("account", "currency", "diamonds", "gifts_value_minor", "gmv_minor",
                 "commerce_commission_rate")  # fmt: skip


@dataclass
class SessionValues:
    """A session as reported; ``operation_fee_minor`` None means "price it from the list"."""

    account: PlatformAccount
    started_at: dt.datetime
    ended_at: dt.datetime
    currency: str
    viewers: int = 0
    peak_viewers: int = 0
    product_clicks: int = 0
    orders: int = 0
    diamonds: int = 0
    gifts_value_minor: int = 0
    gmv_minor: int = 0
    commerce_commission_rate: Decimal = Decimal(0)
    operated_by_agency: bool = False
    client: Brand | None = None
    operation_fee_minor: int | None = None

    def as_model_fields(self) -> dict:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["creator_id"] = self.account.creator_id
        return values


# --- the price list -------------------------------------------------------------------------


def live_operation_prices(*, currencies: Iterable[str]) -> dict[str, list[LiveOperationPrice]]:
    """Every price row of these currencies, newest first (one query)."""
    prices: dict[str, list[LiveOperationPrice]] = {}
    for price in LiveOperationPrice.objects.filter(currency__in=set(currencies)).order_by(
        "currency", "-effective_from"
    ):
        prices.setdefault(price.currency, []).append(price)
    return prices


def price_in_force(
    prices: dict[str, list[LiveOperationPrice]], *, currency: str, on: dt.date
) -> LiveOperationPrice | None:
    return next((p for p in prices.get(currency, []) if p.effective_from <= on), None)


def live_operation_price_in_force(*, currency: str, on: dt.date) -> LiveOperationPrice | None:
    """The price row for a session in ``currency`` that starts on ``on``."""
    return price_in_force(live_operation_prices(currencies=[currency]), currency=currency, on=on)


def fee_is_off_list(*, fee_minor: int, price: LiveOperationPrice | None) -> bool:
    """A fee is off the list when there is a fee and no price, or it lies outside the range."""
    if fee_minor <= 0:
        return False
    return price is None or not price.min_fee_minor <= fee_minor <= price.max_fee_minor


# --- sessions --------------------------------------------------------------------------------


def live_session_problems(
    *,
    values: SessionValues,
    existing: LiveSession | None,
    prices: dict[str, list[LiveOperationPrice]],
    billed: bool = False,
    now: dt.datetime | None = None,
) -> dict[str, list[str]]:
    """Field -> reasons why ``values`` cannot be recorded (over ``existing``, if any).
    Fills in the fee from the price list when it is None (the standard fee, or 0)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if values.currency not in CURRENCY_EXPONENTS:
        note(errors, "currency", f"Unknown currency {values.currency!r}.")
    if values.ended_at <= values.started_at:
        note(errors, "ended_at", "A session ends after it starts.")
    if values.ended_at > now:
        note(errors, "ended_at", "Must not be in the future.")
    if values.peak_viewers > values.viewers:
        note(errors, "peak_viewers", "At most the number of viewers.")
    if not Decimal(0) <= values.commerce_commission_rate <= Decimal(1):
        note(errors, "commerce_commission_rate", "Must be between 0 and 1.")
    has_client = values.operated_by_agency and values.client is not None
    if values.operation_fee_minor is None and has_client and existing is not None:
        values.operation_fee_minor = existing.operation_fee_minor or None  # keep the agreed fee
    if values.operation_fee_minor is None:
        price = price_in_force(
            prices, currency=values.currency, on=timezone.localdate(values.started_at)
        )
        values.operation_fee_minor = price.standard_fee_minor if (has_client and price) else 0
        if has_client and price is None:
            note(errors, "operation_fee", f"No price list for {values.currency}; give the fee.")
    elif values.operation_fee_minor and not has_client:
        note(errors, "operation_fee", "Only an agency-operated session with a client has a fee.")
    if existing is not None:
        if existing.revenue_booked_at is not None:
            for name in BOOKED_FIELDS:
                if getattr(values, name) != getattr(existing, name):
                    note(errors, name.removesuffix("_minor"), "The session's revenue is booked.")
        if billed and values.operation_fee_minor != existing.operation_fee_minor:
            note(errors, "operation_fee", "The fee is invoiced already.")
        if existing.refunds_minor > values.gmv_minor:
            note(errors, "gmv", "Less than what was refunded already.")
    return errors


def session_changes(*, values: SessionValues, existing: LiveSession | None) -> str:
    if existing is None:
        return CREATED
    current = {name: getattr(existing, name) for name in values.as_model_fields()}
    return UNCHANGED if current == values.as_model_fields() else UPDATED


def invoiced_session_ids(session_ids: Iterable[int]) -> set[int]:
    keys = {f"live:{pk}": pk for pk in session_ids}
    billed = InvoiceLine.objects.filter(is_active=True, source_key__in=keys).values_list(
        "source_key", flat=True
    )
    return {keys[k] for k in billed}


@transaction.atomic
def live_session_record(
    *,
    values: SessionValues,
    partner: Partner | None = None,
    external_id: str = "",
    session: LiveSession | None = None,
) -> tuple[LiveSession, str]:
    """Create or update a session: ``session`` (the admin's), else the one this reporter
    sent with ``external_id`` before, else a new one. Returns it with "created", "updated"
    or "unchanged". Raises ``ValidationError`` (field -> reasons) and writes nothing when the
    values cannot be recorded."""
    existing = None
    if session is not None and session.pk:
        existing = LiveSession.objects.select_for_update().get(pk=session.pk)
    elif external_id:
        existing = (
            LiveSession.objects.select_for_update()
            .filter(partner=partner, external_id=external_id)
            .first()
        )
    prices = live_operation_prices(currencies=[values.currency])
    billed = existing is not None and bool(invoiced_session_ids([existing.pk]))
    problems = live_session_problems(values=values, existing=existing, prices=prices, billed=billed)
    if problems:
        raise ValidationError(problems)
    outcome = session_changes(values=values, existing=existing)
    if outcome == CREATED:
        existing = LiveSession.objects.create(
            partner=partner, external_id=external_id, **values.as_model_fields()
        )
    elif outcome == UPDATED:
        for name, value in values.as_model_fields().items():
            setattr(existing, name, value)
        existing.save()
    return existing, outcome


def fee_note(*, session: LiveSession, price: LiveOperationPrice | None) -> str:
    """How an invoice line describes a fee that is off the price list ("" when on it)."""
    if not fee_is_off_list(fee_minor=session.operation_fee_minor, price=price):
        return ""
    if price is None:
        return " (no price list)"
    low = format_money(price.min_fee_minor, price.currency)
    high = format_money(price.max_fee_minor, price.currency)
    return f" (off the price list {low} - {high})"
