"""The signed-in person's inbox and notification preferences."""

from django.urls import path

from cms.views import inbox

urlpatterns = [
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/read/", inbox.inbox_mark_read, name="inbox-read"),
    path("inbox/preferences/", inbox.inbox_preferences, name="inbox-preferences"),
]
