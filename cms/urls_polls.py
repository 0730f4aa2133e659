"""Public poll routes: ``/<community>/polls/...``."""

from django.urls import path

from cms.views import campaign, poll_rules, polls

urlpatterns = [
    path("<slug:community>/polls/", polls.poll_list, name="poll-list"),
    path("<slug:community>/polls/<int:pk>/", polls.poll_detail, name="poll-detail"),
    path("<slug:community>/polls/<int:pk>/chain/", polls.poll_chain, name="poll-chain"),
    path("<slug:community>/polls/<int:pk>/vote/", polls.poll_vote, name="poll-vote"),
    path(
        "<slug:community>/polls/<int:pk>/receipt/",
        poll_rules.receipt_check,
        name="poll-receipt-check",
    ),
    path("<slug:community>/polls/<int:pk>/ballots/", poll_rules.ballot_list, name="poll-ballots"),
    path("<slug:community>/polls/<int:pk>/paper/", polls.paper_entry, name="poll-paper"),
    path("<slug:community>/polls/<int:pk>/manage/", polls.poll_manage, name="poll-manage"),
    path("<slug:community>/polls/<int:pk>/canvass/", campaign.canvass, name="poll-canvass"),
    path(
        "<slug:community>/polls/<int:pk>/export.csv",
        polls.poll_export,
        {"fmt": "csv"},
        name="poll-export-csv",
    ),
    path(
        "<slug:community>/polls/<int:pk>/export.json",
        polls.poll_export,
        {"fmt": "json"},
        name="poll-export-json",
    ),
]
