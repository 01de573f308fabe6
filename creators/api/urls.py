from django.urls import path

from creators.api import views, waves

urlpatterns = [
    path("creators/", views.CreatorListApi.as_view(), name="creator-list"),
    path("creators/<int:pk>/", views.CreatorDetailApi.as_view(), name="creator-detail"),
    path(
        "creators/<int:pk>/performance/",
        views.CreatorPerformanceApi.as_view(),
        name="creator-performance",
    ),
    path(
        "creators/<int:pk>/eligibility/",
        views.CreatorEligibilityApi.as_view(),
        name="creator-eligibility",
    ),
    path("videos/", waves.VideoListApi.as_view(), name="video-list"),
    path("videos/<int:pk>/", waves.VideoDetailApi.as_view(), name="video-detail"),
    path("metrics/daily/", views.DailyMetricsIngestApi.as_view(), name="metrics-daily"),
    path("metrics/videos/", views.VideoMetricsIngestApi.as_view(), name="metrics-videos"),
    path(
        "metrics/video-daily/",
        views.VideoDailyMetricsIngestApi.as_view(),
        name="metrics-video-daily",
    ),
    path(
        "metrics/video-hourly/",
        views.VideoHourlyMetricsIngestApi.as_view(),
        name="metrics-video-hourly",
    ),
]
