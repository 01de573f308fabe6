"""Brand deals: proposals, the status machine, deliverables, and the fee's revenue events.

Every status change of a deal or a deliverable goes through ``agency.states.transition``:
it locks the row, checks the move against ``DEAL_STATES`` / ``DELIVERABLE_STATES``, writes a
``DealEvent`` with its actor (``deal_event_write``) and queues a webhook for the brand, all
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
from agency.states import Change, lock, transition
from agency.webhooks import webhook_event_emit
from billing.models import RevenueEvent, Stream
from campaigns.models import (
    DEAL_STATES,
    Brand,
    BrandDeal,
    DealCreator,
    DealEvent,
    DealStatus,
    Deliverable,
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
    changes = {}
    if to_status == DealStatus.PAID:
        changes["paid_on"] = on or timezone.localdate()
    deal = transition(
        deal,
        to_status,
        actor=actor,
        actor_partner=actor_partner,
        note=note,
        changes=changes,
        related=("brand",),
    ).obj
    if to_status == DealStatus.PAID:
        deal_revenue_book(deal=deal)
    return deal


def deal_event_write(change: Change) -> DealEvent:
    """The audit row of a deal's or a deliverable's move (``DealEvent``)."""
    obj = change.obj
    is_deal = isinstance(obj, BrandDeal)
    return DealEvent.objects.create(
        deal_id=obj.pk if is_deal else obj.deal_id,
        deliverable=None if is_deal else obj,
        from_status=change.from_state,
        to_status=change.to_state,
        actor=change.actor,
        actor_partner=change.actor_partner,
        note=change.note,
    )


def deal_webhook_emit(change: Change) -> None:
    deal, audit = change.obj, change.audit
    brand_webhook_emit(
        brand=deal.brand,
        event_type=EVENT_DEAL_STATUS,
        data={"deal_id": deal.pk, "from": change.from_state, "to": change.to_state,
              "at": audit.created_at},
        key=f"deal_event:{audit.pk}",
    )  # fmt: skip


def deliverable_webhook_emit(change: Change) -> None:
    deliverable = change.obj
    brand_webhook_emit(
        brand=deliverable.deal.brand,
        event_type=EVENT_DELIVERABLE_STATUS,
        data={
            "deliverable_id": deliverable.pk,
            "deal_id": deliverable.deal_id,
            "from": change.from_state,
            "to": change.to_state,
            "note": change.note,
        },
        key=f"deal_event:{change.audit.pk}",
    )


def deal_next_status(deal: BrandDeal) -> str | None:
    """The next state along the flow (not cancelling), None when there is none."""
    forward = [s for s in DEAL_STATES.targets(deal.status) if s != DealStatus.CANCELLED]
    return forward[0] if forward else None


@transaction.atomic
def deal_revenue_book(*, deal: BrandDeal) -> list[RevenueEvent]:
    """The paid fee as brand_deal revenue events, one per creator share, the fee split by the
    share weights with the largest-remainder rule (``agency.money.allocate``; ties go to the
    share created first). Exactly once: each share's event has the source
    ``campaigns.deal_share:<share id>``, so running this again returns the same events."""
    deal = BrandDeal.objects.select_related("brand").get(pk=deal.pk)
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
                description=f"{deal.brand.name}: {deal.title}",
            )
            for share, part in zip(shares, parts, strict=True)
        ],
        today=timezone.localdate(),
    )


# --- deliverables ------------------------------------------------------------------------


@transaction.atomic
def deliverable_submit(
    *, deliverable: Deliverable, posted_url: str, video: Video | None = None, actor=None
) -> Deliverable:
    """The creator posted the content: record where, and ask the brand to approve it."""
    deliverable = lock(deliverable, related=("deal__brand",))
    if deliverable.deal.status not in (DealStatus.IN_PRODUCTION, DealStatus.DELIVERED):
        raise Conflict("Deliverables are submitted while the deal is in production or delivered.")
    if video is not None and video.account.creator_id != deliverable.creator_id:
        raise ApplicationError("The video belongs to another creator.", extra={"video": video.pk})
    return transition(
        deliverable,
        Deliverable.Status.SUBMITTED,
        actor=actor,
        changes={"posted_url": posted_url, "video": video},
        locked=True,
    ).obj


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
    if not approve and not note.strip():
        raise ApplicationError("Say what should change.", extra={"note": "required"})
    deliverable = transition(
        deliverable,
        Deliverable.Status.APPROVED if approve else Deliverable.Status.CHANGES_REQUESTED,
        actor=actor,
        actor_partner=actor_partner,
        note=note,
        changes={"feedback": note},
        related=("deal__brand",),
    ).obj
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
