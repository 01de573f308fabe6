"""Models of the campaigns app, one module per concept."""

from campaigns.models.affiliate import AffiliateLink, AffiliateOrder, AffiliateRefund
from campaigns.models.brands import (
    DEAL_STATES,
    Brand,
    BrandDeal,
    DealCreator,
    DealEvent,
    DealStatus,
    Deliverable,
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
    "DEAL_STATES",
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
]
