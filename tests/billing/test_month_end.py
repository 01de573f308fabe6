"""A month with every kind of statement line, checked end to end against the ledger."""

import datetime as dt

import pytest
from django.utils import timezone

from agency.errors import ApplicationError
from billing.models import Account, Statement
from billing.services import payouts as svc
from billing.services.statements import month_start, next_month, statement_close
from billing.verification import ledger_verify
from tests.billing.helpers import balance, creator_on_plan
from tests.billing.test_payouts import _payable
from tests.factories.billing import advance_approved, expense_approved, finance_user

pytestmark = pytest.mark.django_db


def test_every_line_kind_in_one_month_agrees_with_the_ledger(ingest):
    creator = creator_on_plan(rate="0.20")
    advance_approved(
        creator=creator, amount_minor=30000, recoup_cap_rate="0.25", issued_on=dt.date(2025, 1, 5)
    )
    sale = ingest(creator, gross="1000.00", on=dt.date(2025, 3, 2))  # +800.00
    _payable(sale)
    ingest(creator, gross="100.00", kind="refund", refund_of=sale, on=dt.date(2025, 3, 9))  # -80
    expense_approved(
        creator=creator, amount_minor=5000, description="Edit", incurred_on=dt.date(2025, 3, 3)
    )
    batch = svc.payout_batch_prepare(currency="USD", prepared_by=finance_user("a"))
    payout = batch.payouts.get()
    assert payout.amount_minor == 72000  # 800 - 80, nothing held
    svc.payout_batch_approve(batch=batch, approved_by=finance_user("b"))
    svc.payout_send(payout_id=payout.pk)
    svc.payout_mark_failed(payout_id=payout.pk)
    svc.payout_reverse(payout_id=payout.pk)

    # payout lines are dated today: close every month before the current one
    statements = []
    period = dt.date(2025, 3, 1)
    while period < month_start(timezone.localdate()):
        statements.append(statement_close(creator=creator, period=period))
        period = next_month(period)
    with pytest.raises(ApplicationError, match="after it has ended"):
        statement_close(creator=creator, period=period)

    march = statements[0]
    kinds = sorted(march.lines.values_list("kind", flat=True))
    assert kinds == ["clawback", "earning", "expense", "recoupment"]
    # earnings 800 - 80 = 720; recoup min(300, 25 % of 720 = 180) = 180; expense 50
    assert march.lines.get(kind="recoupment").net_minor == -18000
    assert march.closing_minor == 80000 - 8000 - 5000 - 18000
    current = Statement.objects.get(creator=creator, status="open")
    open_total = sum(current.lines.values_list("net_minor", flat=True))
    assert sorted(current.lines.values_list("kind", flat=True)) == ["payout", "payout_reversal"]
    assert open_total == 0  # paid out, failed, reversed
    assert statements[-1].closing_minor + open_total == balance(
        Account.Kind.CREATOR_PAYABLE, "USD", creator=creator
    )
    assert ledger_verify() == []
