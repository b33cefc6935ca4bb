"""A peer supporter's profile and availability, and the coordinators' peer page."""

from django.urls import URLPattern, path

from peerlight.peers import views

app_name = "peers"

urlpatterns: list[URLPattern] = [
    path("profile/", views.profile, name="profile"),
    path("availability/", views.availability, name="availability"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/<int:person_id>/make/", views.staff_make, name="staff_make"),
    path("staff/<int:person_id>/stop/", views.staff_stop, name="staff_stop"),
]
