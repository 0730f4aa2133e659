"""Public proposal routes (DESIGN.md "Public URLs")."""

from django.urls import path

from cms.views import proposals

urlpatterns = [
    path("<slug:community>/proposals/", proposals.proposal_list, name="proposal-list"),
    path("<slug:community>/proposals/new/", proposals.proposal_new, name="proposal-new"),
    path("<slug:community>/proposals/<int:pk>/", proposals.proposal_detail, name="proposal-detail"),
    path(
        "<slug:community>/proposals/<int:pk>/second/",
        proposals.proposal_second_view,
        name="proposal-second",
    ),
]
