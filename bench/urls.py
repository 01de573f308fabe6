"""The product's URLs plus the bare views the API benchmark compares them with."""

from django.urls import path

from agency.urls import handler404, handler500
from agency.urls import urlpatterns as product_urlpatterns
from bench import views

urlpatterns = [
    path("bench/bare/creators/", views.bare_creator_list),
    path("bench/bare/statements/<int:pk>/", views.bare_statement_detail),
    *product_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
