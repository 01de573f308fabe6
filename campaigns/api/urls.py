from django.urls import path

from campaigns.api import operations, views

urlpatterns = [
    path("deals/", views.DealListCreateApi.as_view(), name="deal-list"),
    path("deals/<int:pk>/", views.DealDetailApi.as_view(), name="deal-detail"),
    path("deliverables/", views.DeliverableListApi.as_view(), name="deliverable-list"),
    path("deliverables/<int:pk>/", views.DeliverableDetailApi.as_view(), name="deliverable-detail"),
    path(
        "deliverables/<int:pk>/approve/",
        views.DeliverableApproveApi.as_view(),
        name="deliverable-approve",
    ),
    path(
        "deliverables/<int:pk>/request-changes/",
        views.DeliverableRequestChangesApi.as_view(),
        name="deliverable-request-changes",
    ),
    path("invoices/", views.InvoiceListApi.as_view(), name="invoice-list"),
    path("invoices/<int:pk>/", views.InvoiceDetailApi.as_view(), name="invoice-detail"),
    path("live-sessions/", operations.LiveSessionListCreateApi.as_view(), name="live-session-list"),
    path(
        "live-sessions/<int:pk>/",
        operations.LiveSessionDetailApi.as_view(),
        name="live-session-detail",
    ),
    path("live-hosts/", operations.LiveHostListApi.as_view(), name="live-host-list"),
    path(
        "live-commerce-refunds/",
        operations.LiveCommerceRefundCreateApi.as_view(),
        name="live-commerce-refund-create",
    ),
    path(
        "affiliate-orders/",
        operations.AffiliateOrderListCreateApi.as_view(),
        name="affiliate-order-list",
    ),
    path(
        "affiliate-orders/<int:pk>/",
        operations.AffiliateOrderDetailApi.as_view(),
        name="affiliate-order-detail",
    ),
    path(
        "affiliate-refunds/",
        operations.AffiliateRefundCreateApi.as_view(),
        name="affiliate-refund-create",
    ),
    path("ad-spend/", operations.AdSpendListCreateApi.as_view(), name="ad-spend-list"),
]
