"""The escalation console (under ``/safety/escalations/``, namespace ``safety:escalations``)."""

from django.urls import URLPattern, path

from peerlight.safety import escalation_views as views

app_name = "escalations"

urlpatterns: list[URLPattern] = [
    path("", views.console, name="console"),
    path("banner/", views.banner, name="banner"),
    path("rota/", views.rota, name="rota"),
    path("rota/<int:shift_id>/remove/", views.remove_shift, name="remove_shift"),
    path("<int:escalation_id>/", views.detail, name="detail"),
    path("<int:escalation_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:escalation_id>/start/", views.start, name="start"),
    path("<int:escalation_id>/resolve/", views.resolve, name="resolve"),
]
