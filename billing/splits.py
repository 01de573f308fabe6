"""The split engine: a pure function from an event, a plan snapshot and month-to-date totals
to the legs platform fee, agency, manager, sub-agency and creator.

Invariants (property-tested in tests/billing/test_splits.py):
- the legs sum exactly to the event's gross, in integer minor units;
- each of agency, manager, sub-agency and creator is within one minor unit of its exact
  share (one ``agency.money.allocate`` call over the amount after the platform fee, so the
  remainder goes by largest remainder with its documented tie order: agency, manager,
  sub-agency, creator);
- the same inputs give the same legs.

Tiers apply to the month's cumulative gross of the stream, measured in the plan's currency.
An event that crosses a tier boundary is split at the boundary: the part below is charged
the lower tier's rate and the part above the next one. The commission never exceeds the
amount left after the platform fee (a gross-basis rate above 1 - fee share is capped).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property, lru_cache
from math import gcd, lcm
from typing import NamedTuple

from agency.money import allocate, exponent

LEG_NAMES = ("fee", "agency", "manager", "sub_agency", "creator")


@dataclass(frozen=True)
class PlanTerms:
    """A snapshot of the commission plan terms a split uses."""

    agency_rate: Decimal
    manager_share: Decimal = Decimal(0)
    sub_agency_share: Decimal = Decimal(0)
    basis: str = "gross"  # "gross" or "net" (of the platform fee)
    tiers: tuple[tuple[Decimal, Decimal], ...] = ()  # (from, rate), ascending, plan currency
    currency: str = "USD"  # of the tier thresholds
    plan_id: int | None = None

    # Built once, in ``__post_init__``: every split on these terms records them.
    _snapshot: dict = field(init=False, repr=False, compare=False)
    snapshot_json: str = field(init=False, repr=False, compare=False)  # ``snapshot()`` as JSON

    def __post_init__(self) -> None:
        snapshot = {
            "plan_id": self.plan_id,
            "agency_rate": str(self.agency_rate),
            "manager_share": str(self.manager_share),
            "sub_agency_share": str(self.sub_agency_share),
            "basis": self.basis,
            "tiers": [{"from": str(f), "rate": str(r)} for f, r in self.tiers],
            "currency": self.currency,
        }
        object.__setattr__(self, "_snapshot", snapshot)
        object.__setattr__(self, "snapshot_json", json.dumps(snapshot))

    def snapshot(self) -> dict:
        """The terms as recorded in a split's rates (shared: not to be changed)."""
        return self._snapshot

    @cached_property
    def tier_table(self) -> tuple[tuple[Fraction, Fraction | None, Decimal, Fraction], ...]:
        """(lower, upper or None, rate as shown, that rate as a fraction) per tier,
        ascending; built once per terms."""
        return tuple(
            (lower, upper, shown, Fraction(shown))
            for lower, upper, rate in _brackets(self)
            for shown in [Decimal(rate.numerator) / Decimal(rate.denominator)]
        )

    @cached_property
    def shares(self) -> tuple[Fraction, Fraction]:
        """The manager's and the sub-agency's share of the commission, as fractions."""
        return Fraction(self.manager_share), Fraction(self.sub_agency_share)

    @classmethod
    def from_snapshot(cls, data: dict) -> "PlanTerms":
        return cls(
            agency_rate=Decimal(data["agency_rate"]),
            manager_share=Decimal(data["manager_share"]),
            sub_agency_share=Decimal(data["sub_agency_share"]),
            basis=data["basis"],
            tiers=tuple((Decimal(t["from"]), Decimal(t["rate"])) for t in data["tiers"]),
            currency=data["currency"],
            plan_id=data.get("plan_id"),
        )


class Legs(NamedTuple):
    fee: int
    agency: int
    manager: int
    sub_agency: int
    creator: int

    @property
    def total(self) -> int:
        return self.fee + self.agency + self.manager + self.sub_agency + self.creator

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        return tuple(self)


@dataclass(eq=False, slots=True)
class SplitResult:
    """Equal when the values are equal (legs, exact shares, portions, amount in the plan
    currency, rate), however the fractions are written."""

    legs: Legs
    # Exact (unrounded) shares of agency, manager, sub-agency and creator in minor units:
    # ``exact_numerators[i] / exact_denominator`` (integers: posting reads no fractions).
    exact_numerators: tuple[int, int, int, int]
    exact_denominator: int
    # (rate, fraction of the event charged at it) for each tier the event touches.
    portions: tuple[tuple[Decimal, Fraction], ...]
    # major units in the plan currency, ``numerator / denominator`` (not reduced); adds to
    # the month-to-date total
    gross_in_plan: tuple[int, int]
    commission_rate: Fraction  # effective agency rate on the basis
    # the snapshot's "portions" and "effective_rate" when they depend on the plan only
    shown: tuple[list, str, str] | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SplitResult):
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def _values(self) -> tuple:
        return (
            self.legs,
            self.exact,
            self.portions,
            self.gross_in_plan_currency,
            self.commission_rate,
        )

    @property
    def exact(self) -> tuple[Fraction, Fraction, Fraction, Fraction]:
        return tuple(Fraction(n, self.exact_denominator) for n in self.exact_numerators)

    @property
    def gross_in_plan_currency(self) -> Fraction:
        return Fraction(*self.gross_in_plan)

    def snapshot(self, terms: PlanTerms, *, to_plan_rate: Decimal) -> dict:
        portions, rate = (self.shown or _shown(self.portions, self.commission_rate))[:2]
        return {
            "terms": terms.snapshot(),
            "portions": portions,
            "effective_rate": rate,
            "gross_in_plan_currency": self._gross_in_plan_text(),
            "to_plan_rate": str(to_plan_rate),
        }

    def snapshot_json(self, terms: PlanTerms, *, to_plan_rate: Decimal | None) -> str:
        """``snapshot`` as the JSON text a split stores, built without serializing the
        plan's part again for every event. ``to_plan_rate`` None: the event was not measured
        in the plan's currency, so its amount there and the rate are null."""
        if self.shown is not None:  # a flat plan: its portions and rate in JSON already
            head = f'{{"terms": {terms.snapshot_json}{self.shown[2]}'
        else:
            portions, rate = _shown(self.portions, self.commission_rate)[:2]
            head = (
                f'{{"terms": {terms.snapshot_json}, "portions": {json.dumps(portions)}, '
                f'"effective_rate": {json.dumps(rate)}'
            )
        if to_plan_rate is None:
            return f'{head}, "gross_in_plan_currency": null, "to_plan_rate": null}}'
        amount = self._gross_in_plan_text()
        return f'{head}, "gross_in_plan_currency": "{amount}", "to_plan_rate": "{to_plan_rate}"}}'

    def _gross_in_plan_text(self) -> str:
        """The amount in the plan currency as ``str(Fraction)`` writes it, in lowest terms."""
        num, den = self.gross_in_plan
        common = gcd(num, den)
        num, den = num // common, den // common
        return f"{num}/{den}" if den != 1 else str(num)


def _shown(portions, rate: Fraction) -> tuple[list, str, str]:
    """The portions and the rate as a snapshot records them, and the same as the JSON text
    that follows the terms in a stored snapshot."""
    shown = [{"rate": str(r), "fraction": str(f)} for r, f in portions]
    text = str(rate)
    return shown, text, f', "portions": {json.dumps(shown)}, "effective_rate": {json.dumps(text)}'


def _brackets(terms: PlanTerms) -> list[tuple[Fraction, Fraction | None, Fraction]]:
    """(lower, upper or None, rate) for each tier of the plan, ascending."""
    points = [(Fraction(0), Fraction(terms.agency_rate))]
    points += [(Fraction(f), Fraction(r)) for f, r in sorted(terms.tiers)]
    out = []
    for i, (lower, rate) in enumerate(points):
        upper = points[i + 1][0] if i + 1 < len(points) else None
        out.append((lower, upper, rate))
    return out


def tier_portions(
    *, month_to_date: Fraction, amount: Fraction, terms: PlanTerms
) -> tuple[tuple[Decimal, Fraction], ...]:
    """Which share of ``amount`` falls in each tier, given the month's total before it."""
    return tuple((shown, part) for shown, _, part in _portions(month_to_date, amount, terms))


def _portions(
    month_to_date: Fraction, amount: Fraction, terms: PlanTerms
) -> list[tuple[Decimal, Fraction, Fraction]]:
    """(rate as shown, that rate as a fraction, share of ``amount``) per tier touched."""
    if amount <= 0:
        return [(terms.agency_rate, Fraction(terms.agency_rate), _ONE)]
    start, end = month_to_date, month_to_date + amount
    portions = []
    for lower, upper, shown, rate in terms.tier_table:
        lo = max(start, lower)
        hi = end if upper is None else min(end, upper)
        if hi > lo:
            portions.append((shown, rate, (hi - lo) / amount))
    return portions


def _amounts_check(gross_minor: int, fee_minor: int) -> None:
    if gross_minor <= 0:
        raise ValueError("split_event() splits positive events; refunds use split_refund().")
    if not 0 <= fee_minor <= gross_minor:
        raise ValueError("The platform fee must be between 0 and the gross.")


def split_event(
    *,
    gross_minor: int,
    fee_minor: int,
    currency: str,
    terms: PlanTerms,
    month_to_date: Fraction = Fraction(0),
    to_plan_rate: Decimal = Decimal(1),
) -> SplitResult:
    """Split a positive event. ``month_to_date`` is the stream's cumulative gross this month
    before this event, in major units of ``terms.currency``; ``to_plan_rate`` converts one
    major unit of ``currency`` into the plan currency (1 when they are the same).

    A flat-rate plan (no tiers) is split with integer arithmetic (``_split_flat``), which
    gives exactly what the general engine (``split_event_exact``) gives; a property test
    in tests/billing/test_splits.py compares the two."""
    _amounts_check(gross_minor, fee_minor)
    if not terms.tiers and month_to_date >= 0 and to_plan_rate > 0:
        flat = _split_flat(gross_minor, fee_minor, currency, terms, to_plan_rate)
        if flat is not None:
            return flat
    return split_event_exact(
        gross_minor=gross_minor,
        fee_minor=fee_minor,
        currency=currency,
        terms=terms,
        month_to_date=month_to_date,
        to_plan_rate=to_plan_rate,
    )


def split_event_exact(
    *,
    gross_minor: int,
    fee_minor: int,
    currency: str,
    terms: PlanTerms,
    month_to_date: Fraction = Fraction(0),
    to_plan_rate: Decimal = Decimal(1),
) -> SplitResult:
    """The general engine, in exact fractions: any plan, tiered or flat."""
    _amounts_check(gross_minor, fee_minor)
    distributable = gross_minor - fee_minor
    gross_in_plan = Fraction(gross_minor, 10 ** exponent(currency)) * Fraction(to_plan_rate)
    touched = _portions(month_to_date, gross_in_plan, terms)
    portions = tuple((shown, part) for shown, _, part in touched)
    rate = sum((r * part for _, r, part in touched), Fraction(0))
    basis = gross_minor if terms.basis == "gross" else distributable
    commission = min(basis * rate, Fraction(distributable))
    manager_share, sub_agency_share = terms.shares
    manager = commission * manager_share
    sub_agency = commission * sub_agency_share
    agency = commission - manager - sub_agency
    creator = distributable - commission
    exact = (agency, manager, sub_agency, creator)
    parts = [0, 0, 0, 0] if distributable == 0 else allocate(distributable, list(exact))
    legs = Legs(fee_minor, *parts)
    denominator = lcm(*(x.denominator for x in exact))
    return SplitResult(
        legs=legs,
        exact_numerators=tuple(x.numerator * (denominator // x.denominator) for x in exact),
        exact_denominator=denominator,
        portions=portions,
        gross_in_plan=(gross_in_plan.numerator, gross_in_plan.denominator),
        commission_rate=rate,
    )


@dataclass(frozen=True)
class _FlatRates:
    """A flat plan's rates over one common denominator: agency rate ``agency / denominator``,
    manager and sub-agency shares of the commission ``manager / denominator`` and
    ``sub_agency / denominator``."""

    agency: int
    manager: int
    sub_agency: int
    denominator: int
    rate: Fraction  # the agency rate, as the general engine reports it
    portions: tuple[tuple[Decimal, Fraction], ...]  # one portion: the whole event
    shown: tuple[list, str, str]  # the portions and the rate as a snapshot records them


@lru_cache(maxsize=1024)
def _flat_rates(agency_rate: Decimal, manager_share: Decimal, sub_agency_share: Decimal):
    """The integer form of a flat plan, or None where the integer path does not apply (a
    rate outside 0..1, shares above the whole commission: the general engine decides)."""
    ratios = [d.as_integer_ratio() for d in (agency_rate, manager_share, sub_agency_share)]
    denominator = lcm(*(den for _, den in ratios))
    agency, manager, sub_agency = (num * (denominator // den) for num, den in ratios)
    if min(agency, manager, sub_agency) < 0 or manager + sub_agency > denominator:
        return None
    rate = Fraction(agency, denominator)
    shown = Decimal(rate.numerator) / Decimal(rate.denominator)  # as ``tier_portions`` shows it
    portions = ((shown, _ONE),)
    return _FlatRates(
        agency, manager, sub_agency, denominator, rate, portions, _shown(portions, rate)
    )


_ONE = Fraction(1)


def _split_flat(
    gross_minor: int, fee_minor: int, currency: str, terms: PlanTerms, to_plan_rate: Decimal
) -> SplitResult | None:
    """``split_event_exact`` for a plan with no tiers, in integers: every exact share is a
    multiple of ``1 / denominator**2`` minor units, so the largest-remainder allocation
    compares integer remainders over that one denominator (same parts, same tie order)."""
    flat = _flat_rates(terms.agency_rate, terms.manager_share, terms.sub_agency_share)
    if flat is None:
        return None
    d = flat.denominator
    d2 = d * d
    distributable = gross_minor - fee_minor
    basis = gross_minor if terms.basis == "gross" else distributable
    commission = min(basis * flat.agency, distributable * d)  # / d
    manager = commission * flat.manager  # / d2
    sub_agency = commission * flat.sub_agency  # / d2
    agency = commission * d - manager - sub_agency  # / d2
    creator = distributable * d2 - commission * d  # / d2
    nums = (agency, manager, sub_agency, creator)
    if distributable == 0:
        parts = [0, 0, 0, 0]
    else:
        parts = [n // d2 for n in nums]
        leftover = distributable - sum(parts)
        if leftover:
            by_remainder = sorted(range(4), key=lambda i: (-(nums[i] % d2), i))
            for i in by_remainder[:leftover]:
                parts[i] += 1
    rate_num, rate_den = to_plan_rate.as_integer_ratio()
    return SplitResult(
        legs=Legs(fee_minor, *parts),
        exact_numerators=nums,
        exact_denominator=d2,
        portions=flat.portions,
        gross_in_plan=(gross_minor * rate_num, 10 ** exponent(currency) * rate_den),
        commission_rate=flat.rate,
        shown=flat.shown,
    )


def split_refund(*, original: Legs, refunded_before: int, amount: int) -> Legs:
    """Legs (negative) of refunding ``amount`` minor units of an event split as ``original``.

    Proportional to the original legs, i.e. at the rates actually charged. Computed on the
    cumulative refund (``refunded_before`` + ``amount``) minus what earlier refunds took, so
    several partial refunds that add up to the whole reverse the original exactly.
    """
    if amount <= 0:
        raise ValueError("A refund amount is positive.")
    if refunded_before + amount > original.total:
        raise ValueError("Refunds cannot exceed the original event.")
    weights: Sequence[int] = original.as_tuple()
    after = allocate(refunded_before + amount, weights)
    before = allocate(refunded_before, weights) if refunded_before else [0] * 5
    return Legs(*[-(a - b) for a, b in zip(after, before, strict=True)])
