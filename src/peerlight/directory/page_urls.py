"""The directory's pages, mounted at ``/directory/`` in the ``directory`` namespace."""

from django.urls import URLPattern, URLResolver, path

from peerlight.directory import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.search_page, name="search"),
    path("services/<uuid:service_id>/", views.service_page, name="service"),
    path("services/<uuid:service_id>/note/", views.add_note, name="add_note"),
    path("services/<uuid:service_id>/report/", views.report, name="report"),
    path("services/<uuid:service_id>/edit/", views.edit_service, name="edit_service"),
    path("services/<uuid:service_id>/verify/", views.verify_service, name="verify_service"),
    path("curation/", views.curation, name="curation"),
    path("curation/notes/", views.notes_queue, name="notes_queue"),
    path("curation/notes/<int:note_id>/", views.review_note, name="review_note"),
    path("curation/reports/", views.reports_queue, name="reports_queue"),
    path("curation/reports/<int:report_id>/", views.close_report, name="close_report"),
]
