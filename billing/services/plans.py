"""Commission plans: proposed by one staff member, effective once a second one approves."""

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from agency.errors import ApplicationError, Conflict
from billing.models import CommissionPlan
from billing.selectors import commission_plan_in_force as commission_plan_in_force  # callers
from billing.selectors import no_plan_error
from billing.splits import PlanTerms
from creators.models import Contract


def _rate(value, name: str) -> Decimal:
    rate = Decimal(str(value))
    if not Decimal(0) <= rate <= Decimal(1):
        raise ApplicationError(f"{name} must be between 0 and 1.")
    return rate.quantize(Decimal("0.000001"))


@transaction.atomic
def commission_plan_propose(
    *,
    contract: Contract,
    stream: str,
    effective_from: dt.date,
    agency_rate: Decimal | str,
    created_by,
    tiers: list[tuple[Decimal | str, Decimal | str]] = (),
    manager_share: Decimal | str = "0",
    sub_agency_share: Decimal | str = "0",
    basis: str = CommissionPlan.Basis.GROSS,
    currency: str | None = None,
) -> CommissionPlan:
    """A new plan, pending a second staff member's approval."""
    clean_tiers = []
    previous = Decimal(0)
    for threshold, rate in tiers:
        threshold = Decimal(str(threshold))
        if threshold <= previous:
            raise ApplicationError("Tier thresholds must be positive and ascending.")
        previous = threshold
        clean_tiers.append({"from": str(threshold), "rate": str(_rate(rate, "A tier rate"))})
    manager = _rate(manager_share, "The manager share")
    sub_agency = _rate(sub_agency_share, "The sub-agency share")
    if manager + sub_agency > 1:
        raise ApplicationError("Manager and sub-agency cuts exceed the agency commission.")
    plan = CommissionPlan(
        contract=contract,
        stream=stream,
        effective_from=effective_from,
        currency=currency or contract.payout_currency,
        agency_rate=_rate(agency_rate, "The agency rate"),
        tiers=clean_tiers,
        manager_share=manager,
        sub_agency_share=sub_agency,
        basis=basis,
        created_by=created_by,
    )
    plan.full_clean()
    plan.save()
    return plan


@transaction.atomic
def commission_plan_approve(*, plan: CommissionPlan, approved_by) -> CommissionPlan:
    """Approve a pending plan. The approver must not be its maker (also a DB CHECK).
    Approving an approved plan again changes nothing."""
    plan = CommissionPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status == CommissionPlan.Status.APPROVED:
        return plan
    if plan.status != CommissionPlan.Status.PENDING:
        raise Conflict("Only a pending plan can be approved.")
    if not approved_by.is_staff:
        raise ApplicationError("Only staff members approve commission plans.")
    if approved_by.pk == plan.created_by_id:
        raise ApplicationError("A plan must be approved by someone other than its maker.")
    if CommissionPlan.objects.filter(
        contract=plan.contract_id,
        stream=plan.stream,
        effective_from=plan.effective_from,
        status=CommissionPlan.Status.APPROVED,
    ).exists():
        raise Conflict("An approved plan starts on that day already.")
    plan.status = CommissionPlan.Status.APPROVED
    plan.approved_by = approved_by
    plan.approved_at = timezone.now()
    plan.save(update_fields=["status", "approved_by", "approved_at"])
    return plan


@transaction.atomic
def commission_plan_reject(*, plan: CommissionPlan, rejected_by) -> CommissionPlan:
    plan = CommissionPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status == CommissionPlan.Status.REJECTED:
        return plan
    if plan.status != CommissionPlan.Status.PENDING:
        raise Conflict("Only a pending plan can be rejected.")
    plan.status = CommissionPlan.Status.REJECTED
    plan.save(update_fields=["status"])
    return plan


class PlanInForce(NamedTuple):
    """What posting needs of an approved plan and its contract (a row, no model instance)."""

    pk: int
    creator_id: int
    stream: str
    effective_from: dt.date
    starts_on: dt.date
    ends_on: dt.date | None
    agency_rate: Decimal
    manager_share: Decimal
    sub_agency_share: Decimal
    basis: str
    tiers: list
    currency: str


PLAN_COLUMNS = [
    "pk", "contract__creator_id", "stream", "effective_from", "contract__starts_on",
    "contract__ends_on", "agency_rate", "manager_share", "sub_agency_share", "basis", "tiers",
    "currency",
]  # fmt: skip


class PlanBook:
    """Every approved plan a batch may need, read with one query as rows; ``plan_for`` picks
    exactly the plan ``commission_plan_in_force`` would pick for any date up to ``last``."""

    def __init__(self, *, creator_ids: set[int], streams: set[str], last: dt.date):
        rows = (
            CommissionPlan.objects.filter(
                contract__creator_id__in=creator_ids,
                contract__starts_on__lte=last,
                stream__in=streams,
                status=CommissionPlan.Status.APPROVED,
                effective_from__lte=last,
            )
            .order_by("-effective_from", "-pk")
            .values_list(*PLAN_COLUMNS)
        )
        self._plans: dict[tuple[int, str], list[PlanInForce]] = {}
        for row in rows:
            plan = PlanInForce(*row)
            self._plans.setdefault((plan.creator_id, plan.stream), []).append(plan)
        self.currencies = {p.currency for ps in self._plans.values() for p in ps}

    def plan_for(self, *, creator_id: int, stream: str, on: dt.date) -> PlanInForce:
        for plan in self._plans.get((creator_id, stream), ()):
            if (
                plan.starts_on <= on
                and plan.effective_from <= on
                and (plan.ends_on is None or plan.ends_on > on)
            ):
                return plan
        raise no_plan_error(creator_id=creator_id, stream=stream, on=on)


def plan_terms(*, plan: CommissionPlan | PlanInForce, creator) -> PlanTerms:
    """The plan as split terms. A cut with nobody to receive it (no talent manager, no
    sub-agency) stays with the agency; the snapshot shows that."""
    return PlanTerms(
        agency_rate=plan.agency_rate,
        manager_share=plan.manager_share if creator.talent_manager_id else Decimal(0),
        sub_agency_share=plan.sub_agency_share if creator.sub_agency_id else Decimal(0),
        basis=plan.basis,
        tiers=tuple((Decimal(t["from"]), Decimal(t["rate"])) for t in plan.tiers),
        currency=plan.currency,
        plan_id=plan.pk,
    )
