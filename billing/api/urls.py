from django.urls import path

from billing.api import views

urlpatterns = [
    path("revenue-events/", views.RevenueEventListCreateApi.as_view(), name="revenue-event-list"),
    path("statements/", views.StatementListApi.as_view(), name="statement-list"),
    path("statements/<int:pk>/", views.StatementDetailApi.as_view(), name="statement-detail"),
    path("commission-lines/", views.CommissionLineListApi.as_view(), name="commission-line-list"),
]
