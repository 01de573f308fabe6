"""Billing: revenue events, commission plans, splits, the ledger, FX, statements, payouts.

Where things are:
    models/            data and the invariants PostgreSQL enforces (CHECKs, triggers)
    splits.py          the pure split engine (largest remainder, tiers, refunds)
    ledger.py          the only writer of ledger rows: post() and reverse()
    fx.py              which exchange rate applies; the one rounding of a conversion
    services/          events (ingest, import, holds, cash), posting (split + ledger +
                       statement line), plans (maker-checker), statements (close),
                       payouts (reserve, approve, send, paid / failed, reversed),
                       advances (advances and recoupable expenses), fx (rate upserts)
    selectors.py       partner-scoped reads for the API
    verification.py    recomputes balances and statements (manage.py verify_ledger)
    exports.py         statement CSV and PDF
    tasks.py           periodic jobs (lock due events, close months, prepare and send payouts)

Money flow (legs: credit positive, debit negative; each posting balances per currency):
    sale        platform/brand receivable -(gross - fee); agency revenue +agency;
                manager payable +manager; sub-agency payable +sub-agency; creator payable
                +creator (through FX clearing in both currencies when the event's currency
                is not the creator's payout currency)
    refund      the same accounts with the opposite sign, at the original split's rates
    cash        cash -net; receivable +net (the event becomes payable: pay when paid)
    advance     advances(creator) -amount; cash +amount; recouped at period close:
                creator payable -r; advances +r (r <= cap x the period's net earnings)
    expense     advances(creator) -amount; cash +amount; deducted in full at close
    payout      creator payable -amount; payouts in transit +amount (reserved when prepared)
                paid: in transit -amount; cash +amount. failed: the reservation is reversed.
"""
