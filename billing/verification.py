"""Recompute every balance and statement total from the ledger legs and statement lines.

Used by ``manage.py verify_ledger``; returns a list of human-readable mismatches (empty when
everything agrees). Set-based: a handful of aggregate queries whatever the data size.
"""

from django.db import connection


def _rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _payee_check(who: str) -> str:
    """A talent manager's or sub-agency's payable = their cuts of the splits less the
    payouts reserved for them (a reversed payout gave its amount back)."""
    return f"""
        SELECT a.id, a.{who}_id, a.balance_minor, COALESCE(t.total, 0)
          FROM billing_account a
          LEFT JOIN (
              SELECT {who}_id, currency, SUM(total) AS total FROM (
                  SELECT {who}_id, currency, SUM({who}_minor) AS total
                    FROM billing_revenuesplit GROUP BY {who}_id, currency
                  UNION ALL
                  SELECT {who}_id, currency, -SUM(amount_minor) FROM billing_payout
                   WHERE {who}_id IS NOT NULL AND status <> 'reversed'
                   GROUP BY {who}_id, currency) c
               GROUP BY {who}_id, currency) t
            ON t.{who}_id = a.{who}_id AND t.currency = a.currency
         WHERE a.kind = '{who}_payable' AND a.balance_minor <> COALESCE(t.total, 0)"""


CHECKS = {
    "account balance differs from the sum of its legs": """
        SELECT a.id, a.kind, a.currency, a.balance_minor, COALESCE(SUM(l.amount_minor), 0)
          FROM billing_account a LEFT JOIN billing_ledgerleg l ON l.account_id = a.id
         GROUP BY a.id HAVING a.balance_minor <> COALESCE(SUM(l.amount_minor), 0)""",
    "transaction does not balance": """
        SELECT transaction_id, currency, SUM(amount_minor) FROM billing_ledgerleg
         GROUP BY transaction_id, currency HAVING SUM(amount_minor) <> 0""",
    "leg currency differs from its account": """
        SELECT l.id, l.currency, a.currency FROM billing_ledgerleg l
          JOIN billing_account a ON a.id = l.account_id WHERE l.currency <> a.currency""",
    "closed statement total differs from its lines": """
        SELECT s.id, s.opening_minor, s.closing_minor, COALESCE(SUM(sl.net_minor), 0)
          FROM billing_statement s LEFT JOIN billing_statementline sl ON sl.statement_id = s.id
         WHERE s.status = 'closed' GROUP BY s.id
        HAVING s.closing_minor <> s.opening_minor + COALESCE(SUM(sl.net_minor), 0)""",
    "closed statement opening differs from the previous closing": """
        SELECT s.id, s.opening_minor, COALESCE(prev.closing_minor, 0)
          FROM billing_statement s
          LEFT JOIN LATERAL (
              SELECT p.closing_minor FROM billing_statement p
               WHERE p.creator_id = s.creator_id AND p.period < s.period
               ORDER BY p.period DESC LIMIT 1) prev ON true
         WHERE s.status = 'closed' AND s.opening_minor <> COALESCE(prev.closing_minor, 0)""",
    "creator payable differs from the creator's statement lines": """
        SELECT a.id, a.creator_id, a.balance_minor, COALESCE(t.total, 0)
          FROM billing_account a
          LEFT JOIN (
              SELECT s.creator_id, s.currency, SUM(sl.net_minor) AS total
                FROM billing_statementline sl JOIN billing_statement s ON s.id = sl.statement_id
               GROUP BY s.creator_id, s.currency) t
            ON t.creator_id = a.creator_id AND t.currency = a.currency
         WHERE a.kind = 'creator_payable' AND a.balance_minor <> COALESCE(t.total, 0)""",
    "sub-agency payable differs from its commission lines less its payouts": _payee_check(
        "sub_agency"
    ),
    "manager payable differs from the manager's cuts less their payouts": _payee_check("manager"),
    "agency revenue differs from the splits' agency legs and the agency-only postings": """
        SELECT a.id, a.currency, a.balance_minor, COALESCE(t.total, 0)
          FROM billing_account a
          LEFT JOIN (
              SELECT currency, SUM(total) AS total FROM (
                  SELECT currency, SUM(agency_minor) AS total
                    FROM billing_revenuesplit GROUP BY currency
                  UNION ALL  -- the agency's revenue with no creator, and its reversals
                  SELECT l.currency, SUM(l.amount_minor) FROM billing_ledgerleg l
                    JOIN billing_account ac ON ac.id = l.account_id
                    JOIN billing_ledgertransaction t ON t.id = l.transaction_id
                    JOIN billing_ledgertransaction o ON o.id = COALESCE(t.reverses_id, t.id)
                   WHERE ac.kind = 'agency_revenue' AND o.source_type = 'agency_revenue'
                   GROUP BY l.currency) c
               GROUP BY currency) t ON t.currency = a.currency
         WHERE a.kind = 'agency_revenue' AND a.balance_minor <> COALESCE(t.total, 0)""",
    "split legs differ from the event gross": """
        SELECT sp.id, sp.gross_minor, e.gross_minor FROM billing_revenuesplit sp
          JOIN billing_revenueevent e ON e.id = sp.event_id
         WHERE sp.gross_minor <> e.gross_minor
            OR sp.fee_minor + sp.agency_minor + sp.manager_minor + sp.sub_agency_minor
               + sp.creator_minor <> e.gross_minor""",
    # The sales' gross in plan currency is an exact fraction whose denominator divides 10**20.
    "month-to-date total differs from its sales": """
        WITH sums AS (
            SELECT e.creator_id, e.stream, date_trunc('month', e.occurred_on)::date AS month,
                   s.rates -> 'terms' ->> 'currency' AS currency,
                   SUM(split_part(s.rates ->> 'gross_in_plan_currency', '/', 1)::numeric
                       * (100000000000000000000::numeric / COALESCE(NULLIF(split_part(
                           s.rates ->> 'gross_in_plan_currency', '/', 2), ''), '1')::numeric))
                       AS total
              FROM billing_revenuesplit s JOIN billing_revenueevent e ON e.id = s.event_id
             WHERE e.kind = 'sale' AND s.rates ->> 'gross_in_plan_currency' IS NOT NULL
             GROUP BY 1, 2, 3, 4)
        SELECT COALESCE(m.creator_id, t.creator_id), COALESCE(m.stream, t.stream),
               COALESCE(m.month, t.month), m.gross_scaled, t.total
          FROM billing_monthtodate m FULL JOIN sums t
            ON (t.creator_id, t.stream, t.month, t.currency)
               = (m.creator_id, m.stream, m.month, m.currency)
         WHERE m.gross_scaled IS DISTINCT FROM t.total""",
}


def ledger_verify() -> list[str]:
    problems = []
    for label, sql in CHECKS.items():
        problems += [f"{label}: {row}" for row in _rows(sql)]
    return problems
