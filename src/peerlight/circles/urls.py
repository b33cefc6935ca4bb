"""Every route of circles; each part keeps its own list of paths."""

from peerlight.circles import calendar_views, find_views, membership_views, room_views

app_name = "circles"

urlpatterns = [
    *calendar_views.urlpatterns,
    *membership_views.urlpatterns,
    *room_views.urlpatterns,
    # Last: its "<slug>/" routes would catch the others' fixed words.
    *find_views.urlpatterns,
]
