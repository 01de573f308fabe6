"""Remittances: record the cash a payer sent (partner API, settlement-report CSV, admin), then
match it to the revenue events it pays (``remittance_matching``), which makes them payable
under pay-when-paid.

Recording (all or nothing, every bad remittance and line reported; a known reference is a
no-op) posts one receipt: cash and the payer's withheld fees against "remittances not yet
matched"; matching then applies what it can. The contract is in billing/README.md.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from agency.errors import ApplicationError, Conflict
from agency.models import Partner
from agency.money import CURRENCY_EXPONENTS, to_major
from agency.rows import RowErrors, note, rows_validate
from billing import ledger
from billing.models import Account, Remittance, RemittanceLine, Stream
from billing.scoping import creators_in_scope
from billing.selectors import is_finance
from billing.services.events import _amount
from billing.services.remittance_matching import remittance_match
from creators.models import Creator


@dataclass
class RemittanceLineInput:
    """One settled item (amount as a decimal string in the remittance currency)."""

    stream: str
    amount: str
    creator_id: int | None = None
    external_id: str = ""
    currency: str = ""  # the remittance's, set during validation
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class RemittanceInput:
    """A remittance as received (amounts as decimal strings in ``currency``)."""

    payer: str
    reference: str
    currency: str
    amount: str
    period_start: dt.date
    period_end: dt.date
    received_on: dt.date
    fee_withheld: str = "0"
    lines: list[RemittanceLineInput] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_fields(cls, data: Mapping, lines: Iterable[Mapping]) -> "RemittanceInput":
        """From a validated form's or serializer's data (amounts as Decimals or strings)."""
        return cls(
            payer=data["payer"],
            reference=data["reference"],
            currency=data["currency"],
            amount=str(data["amount"]),
            fee_withheld=str(data.get("fee_withheld") or 0),
            period_start=data["period_start"],
            period_end=data["period_end"],
            received_on=data["received_on"],
            lines=[
                RemittanceLineInput(
                    stream=line["stream"],
                    amount=str(line["amount"]),
                    external_id=line.get("external_id") or "",
                    creator_id=line.get("creator_id"),
                )
                for line in lines
            ],
        )

    def all_errors(self) -> dict:
        """The remittance's errors, with ``lines`` mapping a line's index to its errors."""
        out: dict = dict(self.errors)
        lines = {str(i): line.errors for i, line in enumerate(self.lines) if line.errors}
        if lines:
            out["lines"] = lines
        return out


@dataclass
class RecordResult:
    created: list[Remittance] = field(default_factory=list)
    known: list[Remittance] = field(default_factory=list)
    new: int = 0  # remittances that are (or with a dry run would be) recorded
    dry_run: bool = False


TEXT_MAX = 100  # payer, reference and external id columns


def _validate(rem: RemittanceInput, *, today: dt.date, creators: dict[int, Creator]) -> dict:
    """Check one remittance; reasons land in ``rem.errors`` and its lines' ``errors``."""
    for name in ("payer", "reference"):
        value = getattr(rem, name).strip()
        if not value:
            note(rem.errors, name, "Required.")
        elif len(value) > TEXT_MAX:
            note(rem.errors, name, f"At most {TEXT_MAX} characters.")
    if rem.currency not in CURRENCY_EXPONENTS:
        note(rem.errors, "currency", f"Unknown currency {rem.currency!r}.")
        return {}
    amount = _amount(rem, "amount", rem.amount)
    if amount == 0:
        note(rem.errors, "amount", "Must be positive.")
    fee = _amount(rem, "fee_withheld", rem.fee_withheld)
    if rem.period_start > rem.period_end:
        note(rem.errors, "period_end", "Before the period start.")
    if rem.period_end > today:
        note(rem.errors, "period_end", "Must not be in the future.")
    if rem.received_on > today:
        note(rem.errors, "received_on", "Must not be in the future.")
    lines = []
    for line in rem.lines:
        line.currency = rem.currency
        if line.stream not in Stream.values:
            note(line.errors, "stream", f"Unknown stream {line.stream!r}.")
        if not line.external_id and line.creator_id is None:
            note(line.errors, "external_id", "Give the event's external id or a creator.")
        if len(line.external_id) > TEXT_MAX:
            note(line.errors, "external_id", f"At most {TEXT_MAX} characters.")
        if line.creator_id is not None and line.creator_id not in creators:
            note(line.errors, "creator_id", "Unknown creator.")
        line_amount = _amount(line, "amount", line.amount)
        if line_amount == 0:
            note(line.errors, "amount", "Must be positive.")
        lines.append(line_amount)
    lines_ok = all(lines) and not any(line.errors for line in rem.lines)
    if amount and fee is not None and lines_ok and sum(lines) > amount + fee:
        note(
            rem.errors,
            "lines",
            f"The lines settle {to_major(sum(lines), rem.currency)}, more than the amount "
            f"plus the fees withheld ({to_major(amount + fee, rem.currency)}).",
        )
    return {"amount_minor": amount, "fee_withheld_minor": fee, "line_amounts": lines}


@transaction.atomic
def remittances_record(
    *,
    remittances: Sequence[RemittanceInput],
    source: str,
    partner: Partner | None = None,
    recorded_by=None,
    filename: str = "",
    dry_run: bool = False,
    today: dt.date | None = None,
) -> RecordResult:
    """Record remittances all or nothing and match them.

    Every remittance is validated first; any bad one raises ``RowErrors`` whose
    ``extra["rows"]`` maps each bad remittance's index to its field errors (``lines`` maps a
    line's index to its own). A reference recorded before (per partner; staff share one
    namespace) with the same currency and amounts is a no-op, returned in ``known``; with
    other amounts it is an error. Staff who record must be in the finance group.
    """
    # Long on purpose: validation (one closure over the batch's known references), then the
    # all-or-nothing write; the two halves share the clean rows and the result.
    today = today or timezone.localdate()
    if recorded_by is not None and not is_finance(recorded_by):
        raise ApplicationError("Only a member of the finance group records remittances.")
    creator_ids = {ln.creator_id for r in remittances for ln in r.lines if ln.creator_id}
    creators = creators_in_scope(partner=partner, creators=Creator.objects.in_bulk(creator_ids))
    known = {
        r.reference: r
        for r in Remittance.objects.filter(
            partner=partner, reference__in=[r.reference for r in remittances]
        )
    }
    result = RecordResult(dry_run=dry_run)
    seen: set[str] = set()

    def check(_index: int, rem: RemittanceInput, _errors) -> tuple[RemittanceInput, dict] | None:
        data = _validate(rem, today=today, creators=creators)
        if rem.reference in seen:
            note(rem.errors, "reference", "Duplicate reference in this batch.")
        seen.add(rem.reference)
        earlier = known.get(rem.reference)
        if earlier is not None and not rem.all_errors():
            same = (earlier.currency, earlier.amount_minor, earlier.fee_withheld_minor) == (
                rem.currency,
                data["amount_minor"],
                data["fee_withheld_minor"],
            )
            if same:
                result.known.append(earlier)
                return None
            note(rem.errors, "reference", "Recorded already with another currency or amount.")
        return (rem, data)

    clean = rows_validate(
        remittances, check, errors_of=RemittanceInput.all_errors, noun="remittances"
    )
    result.new = len(clean)
    if dry_run:
        return result
    for rem, data in clean:
        remittance = _create(
            rem=rem,
            data=data,
            source=source,
            partner=partner,
            recorded_by=recorded_by,
            filename=filename,
        )
        result.created.append(remittance_match(remittance=remittance))
    return result


def _create(*, rem: RemittanceInput, data: dict, source, partner, recorded_by, filename):
    try:
        with transaction.atomic():
            remittance = Remittance.objects.create(
                payer=rem.payer.strip(),
                partner=partner,
                reference=rem.reference.strip(),
                currency=rem.currency,
                amount_minor=data["amount_minor"],
                fee_withheld_minor=data["fee_withheld_minor"],
                period_start=rem.period_start,
                period_end=rem.period_end,
                received_on=rem.received_on,
                source=source,
                filename=filename[:255],
                recorded_by=recorded_by,
            )
    except IntegrityError as exc:  # the same reference is being recorded concurrently
        raise Conflict(
            f"Remittance {rem.reference} is being recorded by another request; retry and it "
            "will be found."
        ) from exc
    RemittanceLine.objects.bulk_create(
        RemittanceLine(
            remittance=remittance,
            line_no=number,
            stream=line.stream,
            creator_id=line.creator_id,
            external_id=line.external_id,
            amount_minor=amount,
        )
        for number, (line, amount) in enumerate(
            zip(rem.lines, data["line_amounts"], strict=True), start=1
        )
    )
    ccy = remittance.currency

    def acct(kind: str) -> Account:
        return ledger.account_get(kind=kind, currency=ccy)

    remittance.receipt_transaction = ledger.post(
        source_type="remittance_receipt",
        source_id=remittance.pk,
        effective_on=remittance.received_on,
        legs=[
            ledger.Leg(acct(Account.Kind.CASH), -remittance.amount_minor),
            ledger.Leg(acct(Account.Kind.PLATFORM_FEES), -remittance.fee_withheld_minor),
            ledger.Leg(acct(Account.Kind.UNMATCHED_REMITTANCES), remittance.settled_minor),
        ],
        memo=f"Remittance {remittance.reference} from {remittance.payer}",
    )
    remittance.save(update_fields=["receipt_transaction"])
    return remittance


# --- settlement reports (CSV) -----------------------------------------------------------------


@dataclass
class SettlementRow:
    """One row of a settlement report: a remittance line with its remittance's header.
    Amounts are decimal strings; ``errors`` holds what could not even be parsed."""

    reference: str
    payer: str
    currency: str
    received_on: dt.date
    period_start: dt.date
    period_end: dt.date
    stream: str
    amount: str
    fee_withheld: str = "0"
    creator_id: int | None = None
    external_id: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)


HEADER_FIELDS = ["payer", "currency", "received_on", "period_start", "period_end"]


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


@transaction.atomic
def remittances_import(
    *,
    rows: Sequence[SettlementRow],
    filename: str,
    recorded_by=None,
    dry_run: bool = False,
    today: dt.date | None = None,
) -> RecordResult:
    """Record a settlement report, all or nothing: its rows grouped by reference, one
    remittance each; a row's ``amount`` is what the payer settled for it and ``fee_withheld``
    the fees it kept, so a remittance's amount is the sum of (amount - fee) over its rows.

    Any bad row raises ``RowErrors`` whose ``extra["rows"]`` maps every bad row's index
    (0-based data rows, like every import here) to field -> reasons; a remittance-level
    problem is reported on each of its rows. Re-uploading the file records nothing new.
    """
    groups, remittances = _remittances_from_rows(rows)
    unreadable = any(r.errors for r in rows)
    try:  # rows that could not be parsed: still validate the rest, but write nothing
        result = remittances_record(
            remittances=remittances,
            source=Remittance.Source.CSV,
            recorded_by=recorded_by,
            filename=filename,
            dry_run=dry_run or unreadable,
            today=today,
        )
    except RowErrors:
        pass
    else:
        if not unreadable:
            return result
    _errors_to_rows(rows, groups, remittances)
    raise RowErrors.of({str(i): r.errors for i, r in enumerate(rows) if r.errors}, total=len(rows))


def _remittances_from_rows(
    rows: Sequence[SettlementRow],
) -> tuple[dict[str, list[int]], list[RemittanceInput]]:
    """The rows grouped by reference (row indexes per reference) and one remittance per
    group; a row whose header fields differ from its group's first row is noted."""
    groups: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(row.reference, []).append(index)
    remittances = []
    for indexes in groups.values():
        first = rows[indexes[0]]
        for index in indexes[1:]:
            for name in HEADER_FIELDS:
                if getattr(rows[index], name) != getattr(first, name):
                    note(rows[index].errors, name, f"Differs from line {indexes[0] + 2}.")
        members = [rows[i] for i in indexes]
        amounts = [_decimal(r.amount) or Decimal(0) for r in members]
        fees = [_decimal(r.fee_withheld) or Decimal(0) for r in members]
        remittances.append(
            RemittanceInput(
                payer=first.payer,
                reference=first.reference,
                currency=first.currency,
                amount=str(sum(amounts) - sum(fees)),
                fee_withheld=str(sum(fees)),
                period_start=first.period_start,
                period_end=first.period_end,
                received_on=first.received_on,
                lines=[
                    RemittanceLineInput(
                        stream=r.stream,
                        amount=r.amount,
                        creator_id=r.creator_id,
                        external_id=r.external_id,
                    )
                    for r in members
                ],
            )
        )
    return groups, remittances


def _errors_to_rows(
    rows: Sequence[SettlementRow],
    groups: dict[str, list[int]],
    remittances: list[RemittanceInput],
) -> None:
    """Report each remittance's problems on its rows: a remittance-level reason on every
    row of the group, a line's reason on its own row."""
    for rem, indexes in zip(remittances, groups.values(), strict=True):
        header = {k: v for k, v in rem.errors.items() if k != "lines"}
        header.update({"amount": rem.errors["lines"]} if "lines" in rem.errors else {})
        if any(_decimal(rows[i].amount) is None for i in indexes):
            header.pop("amount", None)  # the total is unknown: the bad row says why
        if any(_decimal(rows[i].fee_withheld) is None for i in indexes):
            header.pop("fee_withheld", None)
        for position, index in enumerate(indexes):
            for name, reasons in [*header.items(), *rem.lines[position].errors.items()]:
                for reason in reasons:
                    if reason not in rows[index].errors.get(name, []):
                        note(rows[index].errors, name, reason)
