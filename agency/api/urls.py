from django.urls import path

from agency.api import views

urlpatterns = [
    path("me/", views.PartnerMeApi.as_view(), name="partner-me"),
    path("api-keys/", views.PartnerApiKeyListApi.as_view(), name="partner-api-key-list"),
    path(
        "api-keys/<str:prefix>/",
        views.PartnerApiKeyDetailApi.as_view(),
        name="partner-api-key-detail",
    ),
    path(
        "api-keys/<str:prefix>/revoke/",
        views.PartnerApiKeyRevokeApi.as_view(),
        name="partner-api-key-revoke",
    ),
]
