"""Talk to a peer: the routes under /talk/ (the wrap-up's are in ``wrapup_urls``)."""

from django.urls import URLPattern, path

from peerlight.support import views
from peerlight.support.wrapup_urls import urlpatterns as wrapup_urlpatterns

app_name = "support"

urlpatterns: list[URLPattern] = [
    path("", views.start, name="start"),
    path("guest/", views.guest, name="guest"),
    path("<int:request_id>/", views.request_page, name="request"),
    path("<int:request_id>/status/", views.status, name="status"),
    path("<int:request_id>/cancel/", views.cancel, name="cancel"),
    path("<int:request_id>/later/", views.later, name="later"),
    path("peer/", views.peer_dashboard, name="peer"),
    path("offers/<int:offer_id>/accept/", views.accept, name="accept"),
    path("offers/<int:offer_id>/decline/", views.decline, name="decline"),
    path("queue/", views.queue, name="queue"),
    *wrapup_urlpatterns,
]
