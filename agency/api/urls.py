from django.urls import path

from agency.api import views

urlpatterns = [
    path("", views.ApiRootApi.as_view(), name="api-root"),
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

from agency.api import webhook_views  # noqa: E402

urlpatterns += [
    path(
        "webhooks/endpoints/",
        webhook_views.WebhookEndpointListCreateApi.as_view(),
        name="webhook-endpoint-list",
    ),
    path(
        "webhooks/endpoints/<int:pk>/",
        webhook_views.WebhookEndpointDetailApi.as_view(),
        name="webhook-endpoint-detail",
    ),
    path(
        "webhooks/endpoints/<int:pk>/deactivate/",
        webhook_views.WebhookEndpointDeactivateApi.as_view(),
        name="webhook-endpoint-deactivate",
    ),
    path(
        "webhooks/deliveries/",
        webhook_views.WebhookDeliveryListApi.as_view(),
        name="webhook-delivery-list",
    ),
]
