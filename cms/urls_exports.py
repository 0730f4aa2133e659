"""The ledger in Excel: XLSX downloads per community (cms/views/exports.py)."""

from django.urls import path

from cms.views import exports

urlpatterns = [
    path(
        "<slug:community>/exports/proposals.xlsx",
        exports.export_proposals,
        name="export-proposals",
    ),
    path(
        "<slug:community>/exports/resolutions.xlsx",
        exports.export_resolutions,
        name="export-resolutions",
    ),
    path(
        "<slug:community>/exports/metrics.xlsx",
        exports.export_metrics,
        name="export-metrics",
    ),
    path(
        "<slug:community>/exports/polls/<int:pk>.xlsx",
        exports.export_poll,
        name="export-poll",
    ),
]
