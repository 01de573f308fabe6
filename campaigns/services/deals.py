"""Brand deals: proposals, the status machine, deliverables, and the fee's revenue events.

Every status change locks the deal row (``select_for_update``), checks the move against
``DEAL_FLOW``, writes a ``DealEvent`` with its actor and queues a webhook for the brand, all
in one transaction. Two concurrent moves: the second waits for the lock, then finds the
status changed and gets a ``Conflict`` (HTTP 409).
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from agency.errors import ApplicationError, Conflict
from agency.models import Partner
from agency.money import CURRENCY_EXPONENTS, allocate
from agency.webhooks import webhook_event_emit
from billing.models import RevenueEvent, Stream
from campaigns.models import (
    DEAL_FLOW,
    Brand,
    BrandDeal,
    DealCreator,
    DealEvent,
    DealStatus,
    Deliverable,
    deal_transition_allowed,
)
from campaigns.services.revenue import (
    SOURCE_DEAL_SHARE,
    Booking,
    revenue_book,
    revenue_events_for,
)
from creators.models import Creator, Video

EVENT_DEAL_STATUS = "deal.status_changed"
EVENT_DELIVERABLE_STATUS = "deliverable.status_changed"


def _event_id(kind: str, pk: int) -> uuid.UUID:
    """A stable webhook event id per audit row: emitting twice queues nothing more."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"mcn:campaigns:{kind}:{pk}")


def brand_webhook_emit(*, brand: Brand, event_type: str, data: dict, key: str) -> None:
    """Queue a webhook for the brand's partner (if the brand uses the API)."""
    if brand.partner_id is None:
        return
    webhook_event_emit(
        partner=brand.partner,
        event_type=event_type,
        data=data,
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"mcn:campaigns:{key}"),
    )


@transaction.atomic
def brand_for_partner(*, partner: Partner) -> Brand:
    """The brand a brand partner acts for; created on its first proposal."""
    brand = Brand.objects.filter(partner=partner).first()
    if brand is not None:
        return brand
    name = partner.name
    if Brand.objects.filter(name=name).exists():
        name = f"{partner.name} ({partner.pk})"
    return Brand.objects.create(name=name, partner=partner)


@dataclass(frozen=True)
class DeliverableSpec:
    creator_id: int
    type: str
    due_on: dt.date


@transaction.atomic
def deal_create(
    *,
    brand: Brand,
    title: str,
    fee_minor: int,
    currency: str,
    creator_shares: Sequence[tuple[int, Decimal]],
    deliverables: Sequence[DeliverableSpec] = (),
    brief: str = "",
    actor=None,
    actor_partner: Partner | None = None,
) -> BrandDeal:
    """A new deal in state ``lead`` with its creators' share weights and deliverables."""
    if currency not in CURRENCY_EXPONENTS:
        raise ApplicationError("Unknown currency.", extra={"currency": currency})
    if fee_minor < 0:
        raise ApplicationError("A fee cannot be negative.")
    creator_ids = [cid for cid, _ in creator_shares]
    if len(set(creator_ids)) != len(creator_ids):
        raise ApplicationError("A creator is listed twice.")
    if any(Decimal(w) <= 0 for _, w in creator_shares):
        raise ApplicationError("Share weights must be positive.")
    known = set(Creator.objects.filter(pk__in=creator_ids).values_list("pk", flat=True))
    if missing := sorted(set(creator_ids) - known):
        raise ApplicationError("Unknown creators.", extra={"creator_ids": missing})
    for spec in deliverables:
        if spec.creator_id not in known:
            raise ApplicationError(
                "A deliverable's creator must be one of the deal's creators.",
                extra={"creator_id": spec.creator_id},
            )
    deal = BrandDeal.objects.create(
        brand=brand, title=title, brief=brief, fee_minor=fee_minor, currency=currency
    )
    DealCreator.objects.bulk_create(
        DealCreator(deal=deal, creator_id=cid, share=Decimal(w)) for cid, w in creator_shares
    )
    Deliverable.objects.bulk_create(
        Deliverable(deal=deal, creator_id=s.creator_id, type=s.type, due_on=s.due_on)
        for s in deliverables
    )
    DealEvent.objects.create(
        deal=deal, to_status=DealStatus.LEAD, actor=actor, actor_partner=actor_partner,
        note="Proposal",
    )  # fmt: skip
    return deal


@transaction.atomic
def deal_transition(
    *,
    deal: BrandDeal,
    to_status: str,
    actor=None,
    actor_partner: Partner | None = None,
    note: str = "",
    on: dt.date | None = None,
) -> BrandDeal:
    """Move a deal to ``to_status`` if the move is legal from its current (locked) status.

    Moving to ``paid`` books the fee as brand_deal revenue events (one per creator share).
    """
    deal = BrandDeal.objects.select_for_update().select_related("brand").get(pk=deal.pk)
    if to_status not in DealStatus.values:
        raise ApplicationError(f"Unknown deal status {to_status!r}.")
    if not deal_transition_allowed(deal.status, to_status):
        raise Conflict(
            f"A deal cannot move from {deal.status} to {to_status}.",
            extra={"status": deal.status, "requested": to_status},
        )
    from_status = deal.status
    deal.status = to_status
    fields = ["status", "updated_at"]
    if to_status == DealStatus.PAID:
        deal.paid_on = on or timezone.localdate()
        fields.append("paid_on")
    deal.save(update_fields=fields)
    audit = DealEvent.objects.create(
        deal=deal,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_partner=actor_partner,
        note=note,
    )
    if to_status == DealStatus.PAID:
        deal_revenue_book(deal=deal)
    brand_webhook_emit(
        brand=deal.brand,
        event_type=EVENT_DEAL_STATUS,
        data={"deal_id": deal.pk, "from": from_status, "to": to_status, "at": audit.created_at},
        key=f"deal_event:{audit.pk}",
    )
    return deal


def deal_next_status(deal: BrandDeal) -> str | None:
    return DEAL_FLOW.get(deal.status)


@transaction.atomic
def deal_revenue_book(*, deal: BrandDeal) -> list[RevenueEvent]:
    """The paid fee as brand_deal revenue events, one per creator share, the fee split by the
    share weights with the largest-remainder rule (``agency.money.allocate``; ties go to the
    share created first). Exactly once: each share's event has the source
    ``campaigns.deal_share:<share id>``, so running this again returns the same events."""
    deal = BrandDeal.objects.get(pk=deal.pk)
    if deal.status != DealStatus.PAID or deal.paid_on is None:
        raise Conflict("Only a paid deal's fee becomes revenue.")
    shares = list(deal.shares.order_by("pk"))
    if not shares or deal.fee_minor == 0:
        return []
    booked = revenue_events_for(keys=[(SOURCE_DEAL_SHARE, str(s.pk)) for s in shares])
    if booked and len(booked) != len(shares):
        raise Conflict(
            "The deal's shares changed after its fee was booked; correct it in billing.",
            extra={"shares": len(shares), "booked": len(booked)},
        )
    if booked:
        return booked
    parts = allocate(deal.fee_minor, [s.share for s in shares])
    return revenue_book(
        bookings=[
            Booking(
                stream=Stream.BRAND_DEAL,
                creator_id=share.creator_id,
                occurred_on=deal.paid_on,
                gross_minor=part,
                currency=deal.currency,
                source_type=SOURCE_DEAL_SHARE,
                source_id=str(share.pk),
            )
            for share, part in zip(shares, parts, strict=True)
        ],
        today=timezone.localdate(),
    )


# --- deliverables ------------------------------------------------------------------------


def _deliverable_changed(
    deliverable: Deliverable, from_status: str, *, actor, actor_partner, note: str
) -> None:
    audit = DealEvent.objects.create(
        deal_id=deliverable.deal_id,
        deliverable=deliverable,
        from_status=from_status,
        to_status=deliverable.status,
        actor=actor,
        actor_partner=actor_partner,
        note=note,
    )
    brand_webhook_emit(
        brand=deliverable.deal.brand,
        event_type=EVENT_DELIVERABLE_STATUS,
        data={
            "deliverable_id": deliverable.pk,
            "deal_id": deliverable.deal_id,
            "from": from_status,
            "to": deliverable.status,
            "note": note,
        },
        key=f"deal_event:{audit.pk}",
    )


def _locked_deliverable(deliverable_id: int) -> Deliverable:
    return (
        Deliverable.objects.select_for_update(of=("self",))
        .select_related("deal__brand")
        .get(pk=deliverable_id)
    )


@transaction.atomic
def deliverable_submit(
    *, deliverable: Deliverable, posted_url: str, video: Video | None = None, actor=None
) -> Deliverable:
    """The creator posted the content: record where, and ask the brand to approve it."""
    deliverable = _locked_deliverable(deliverable.pk)
    if deliverable.status not in (Deliverable.Status.PENDING, Deliverable.Status.CHANGES_REQUESTED):
        raise Conflict(f"A {deliverable.status} deliverable cannot be submitted.")
    if deliverable.deal.status not in (DealStatus.IN_PRODUCTION, DealStatus.DELIVERED):
        raise Conflict("Deliverables are submitted while the deal is in production or delivered.")
    if video is not None and video.account.creator_id != deliverable.creator_id:
        raise ApplicationError("The video belongs to another creator.", extra={"video": video.pk})
    from_status = deliverable.status
    deliverable.status = Deliverable.Status.SUBMITTED
    deliverable.posted_url = posted_url
    deliverable.video = video
    deliverable.save(update_fields=["status", "posted_url", "video", "updated_at"])
    _deliverable_changed(deliverable, from_status, actor=actor, actor_partner=None, note="")
    return deliverable


@transaction.atomic
def deliverable_review(
    *,
    deliverable: Deliverable,
    approve: bool,
    note: str = "",
    actor=None,
    actor_partner: Partner | None = None,
) -> Deliverable:
    """The brand approves a submitted deliverable or asks for changes. When every
    deliverable of a delivered deal is approved, the deal moves to ``approved``."""
    deliverable = _locked_deliverable(deliverable.pk)
    if deliverable.status != Deliverable.Status.SUBMITTED:
        raise Conflict(
            f"Only a submitted deliverable can be reviewed (this one is {deliverable.status})."
        )
    if not approve and not note.strip():
        raise ApplicationError("Say what should change.", extra={"note": "required"})
    from_status = deliverable.status
    deliverable.status = (
        Deliverable.Status.APPROVED if approve else Deliverable.Status.CHANGES_REQUESTED
    )
    deliverable.feedback = note
    deliverable.save(update_fields=["status", "feedback", "updated_at"])
    _deliverable_changed(
        deliverable, from_status, actor=actor, actor_partner=actor_partner, note=note
    )
    deal = deliverable.deal
    all_approved = not deal.deliverables.exclude(status=Deliverable.Status.APPROVED).exists()
    if approve and all_approved and deal.status == DealStatus.DELIVERED:
        deal_transition(
            deal=deal,
            to_status=DealStatus.APPROVED,
            actor=actor,
            actor_partner=actor_partner,
            note="Every deliverable approved.",
        )
    return deliverable
