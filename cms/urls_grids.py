"""Grid workers' routes (issue 14 point 2): box rounds, visit logs, receipts, contact cards."""

from django.urls import path

from cms.views import grids

urlpatterns = [
    path("<slug:community>/grid/", grids.grid_home, name="grid-home"),
    path("<slug:community>/grid/box/", grids.box_round, name="grid-box-round"),
    path("<slug:community>/grid/visits/", grids.visit_log, name="grid-visits"),
    path(
        "<slug:community>/grid/visits/<int:pk>/convert/",
        grids.visit_log_convert,
        name="grid-visit-convert",
    ),
    path(
        "<slug:community>/grid/cards/<int:building_id>.pdf",
        grids.contact_cards_pdf,
        name="grid-contact-cards",
    ),
    path(
        "<slug:community>/proposals/<int:pk>/receipt/",
        grids.proposal_receipt,
        name="proposal-receipt",
    ),
]
