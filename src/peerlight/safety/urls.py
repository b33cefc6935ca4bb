"""The coordinators' report queue and moderation, and the page a paused person sees."""

from django.urls import URLPattern, URLResolver, include, path

from peerlight.safety import views

app_name = "safety"

urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/", views.reports, name="reports"),
    path("reports/<int:report_id>/", views.report, name="report"),
    path("reports/<int:report_id>/close/", views.close_report, name="close_report"),
    path("reports/<int:report_id>/act/", views.act_on_report, name="act_on_report"),
    path("moderation/people/<int:person_id>/", views.person, name="person"),
    path("moderation/people/<int:person_id>/act/", views.act_on_person, name="act_on_person"),
    path("moderation/actions/<int:action_id>/lift/", views.lift, name="lift"),
    path("paused/", views.suspended, name="suspended"),
    path("plan/", include("peerlight.safety.plan_urls")),
    path("escalations/", include("peerlight.safety.escalation_urls")),
]
