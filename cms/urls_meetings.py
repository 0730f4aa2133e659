"""Meeting routes (DESIGN.md "Public URLs"): the meeting, live/, console/, projector/ and the
plain-form actions behind them."""

from django.urls import path

from cms.views import meetings

P = "<slug:community>/meetings/<int:pk>/"

urlpatterns = [
    path("<slug:community>/meetings/", meetings.meeting_list, name="meeting-list"),
    path(P, meetings.meeting_detail, name="meeting-detail"),
    path(P + "live/", meetings.meeting_live, name="meeting-live"),
    path(P + "console/", meetings.meeting_console, name="meeting-console"),
    path(P + "projector/", meetings.meeting_projector, name="meeting-projector"),
    path(P + "action/", meetings.meeting_action, name="meeting-action"),
    path(P + "open/", meetings.meeting_open_view, name="meeting-open"),
    path(P + "checkin/", meetings.meeting_checkin, name="meeting-checkin"),
    path(P + "vote/", meetings.meeting_vote, name="meeting-vote"),
    path(P + "position/", meetings.meeting_position, name="meeting-position"),
]
