"""URLs: the admin, the partner API under /api/v1/, its schema and docs, and /healthz.

App URL modules are named as strings so this package imports none of the apps above it.
"""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from agency.api.views import healthz, home

api_v1 = [
    path("", include("agency.api.urls")),
    path("", include("creators.api.urls")),
    path("", include("billing.api.urls")),
    path("", include("campaigns.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("", home, name="home"),
]

admin.site.site_header = "MCN back office"
admin.site.site_title = "MCN back office"
admin.site.index_title = "Roster, deals, revenue and payouts"
admin.site.site_url = "/"  # "View site": the landing page with the API and docs links

handler400 = "agency.api.errors.api_bad_request"
handler404 = "agency.api.errors.api_not_found"
handler500 = "agency.api.errors.api_server_error"
