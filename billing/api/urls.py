from django.urls import path

from billing.api import remittances, views

urlpatterns = [
    path("revenue-events/", views.RevenueEventListCreateApi.as_view(), name="revenue-event-list"),
    path("remittances/", remittances.RemittanceListCreateApi.as_view(), name="remittance-list"),
    path(
        "remittances/<int:pk>/",
        remittances.RemittanceDetailApi.as_view(),
        name="remittance-detail",
    ),
    path("statements/", views.StatementListApi.as_view(), name="statement-list"),
    path("statements/<int:pk>/", views.StatementDetailApi.as_view(), name="statement-detail"),
    path(
        "sub-agency-statements/",
        views.SubAgencyStatementListApi.as_view(),
        name="sub-agency-statement-list",
    ),
    path("commission-lines/", views.CommissionLineListApi.as_view(), name="commission-line-list"),
]
