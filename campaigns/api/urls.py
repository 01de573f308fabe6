from django.urls import path

from campaigns.api import views

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
]
