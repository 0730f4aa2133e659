"""Public resolution routes (DESIGN.md "Public URLs")."""

from django.urls import path

from cms.views import resolutions

urlpatterns = [
    path("<slug:community>/resolutions/", resolutions.resolution_list, name="resolution-list"),
    path("<slug:community>/resolutions/feed/", resolutions.resolution_feed, name="resolution-feed"),
    path(
        "<slug:community>/resolutions/<int:pk>/",
        resolutions.resolution_detail,
        name="resolution-detail",
    ),
    path("<slug:community>/metrics/", resolutions.metrics_page, name="resolution-metrics"),
]
