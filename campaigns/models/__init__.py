"""Models of the campaigns app, one module per concept."""

from campaigns.models.affiliate import AffiliateLink, AffiliateOrder, AffiliateRefund
from campaigns.models.brands import (
    DEAL_FLOW,
    DEAL_TERMINAL,
    Brand,
    BrandDeal,
    DealCreator,
    DealEvent,
    DealStatus,
    Deliverable,
    deal_transition_allowed,
)
from campaigns.models.invoices import Invoice, InvoiceLine, InvoiceSeries
from campaigns.models.live import LiveHost, LiveOperationPrice, LiveReportBooking
from campaigns.models.operations import (
    AdAccount,
    AdSpend,
    LiveCommerceRefund,
    LiveMonthlyReport,
    LiveSession,
    ServiceAgreement,
    ServiceUnit,
)

__all__ = [
    "DEAL_FLOW",
    "DEAL_TERMINAL",
    "AdAccount",
    "AdSpend",
    "AffiliateLink",
    "AffiliateOrder",
    "AffiliateRefund",
    "Brand",
    "BrandDeal",
    "DealCreator",
    "DealEvent",
    "DealStatus",
    "Deliverable",
    "Invoice",
    "InvoiceLine",
    "InvoiceSeries",
    "LiveCommerceRefund",
    "LiveHost",
    "LiveMonthlyReport",
    "LiveOperationPrice",
    "LiveReportBooking",
    "LiveSession",
    "ServiceAgreement",
    "ServiceUnit",
    "deal_transition_allowed",
]
