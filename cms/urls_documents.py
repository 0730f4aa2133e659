"""Public routes for rendered documents: minutes and notices (公示) as PDF."""

from django.urls import path

from cms.views import documents

urlpatterns = [
    path(
        "<slug:community>/meetings/<int:pk>/minutes.pdf",
        documents.minutes_pdf,
        name="meeting-minutes-pdf",
    ),
    path("<slug:community>/notices/", documents.notice_list, name="notice-list"),
    path(
        "<slug:community>/notices/<int:year>-<int:number>.pdf",
        documents.notice_pdf,
        name="notice-pdf",
    ),
    path(
        "<slug:community>/notices/<int:year>-<int:number>/photo/",
        documents.notice_photo,
        name="notice-photo",
    ),
]
