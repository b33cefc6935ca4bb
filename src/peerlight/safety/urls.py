"""The coordinators' report queue."""

from django.urls import URLPattern, path

from peerlight.safety import views

app_name = "safety"

urlpatterns: list[URLPattern] = [
    path("reports/", views.reports, name="reports"),
    path("reports/<int:report_id>/", views.report, name="report"),
    path("reports/<int:report_id>/close/", views.close_report, name="close_report"),
]
