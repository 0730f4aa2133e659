"""Responsible-unit staff: their queue of dispatched matters and one dispatch with its forms."""

from django.urls import path

from cms.views import dispatch

urlpatterns = [
    path("units/queue/", dispatch.unit_queue, name="dispatch-queue"),
    path("units/dispatches/<int:pk>/", dispatch.unit_dispatch, name="dispatch-detail"),
]
