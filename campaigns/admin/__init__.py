"""Campaigns admin: thin; the deal pipeline, deliverables due, live sessions by day, ad
spend per brand, overdue invoices. Status and money change only through actions that call
services (which lock, check the state and write the audit row)."""

from campaigns import dashboards
from campaigns.admin import deals, invoices, live, operations

__all__ = ["dashboards", "deals", "invoices", "live", "operations"]
