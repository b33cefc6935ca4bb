"""Routes of letters, calls and testimony; ``advocacy/urls.py`` joins them."""

from peerlight.advocacy import outreach_views, testimony_views

urlpatterns = [*outreach_views.urlpatterns, *testimony_views.urlpatterns]
