"""Routes of member priorities (``/act/proposals/...``) and of the OSDI export (``/act/export/``).

``advocacy/urls.py`` joins them with the other parts' routes.
"""

from django.urls import URLPattern

from peerlight.advocacy import osdi_views, proposal_views

urlpatterns: list[URLPattern] = [*proposal_views.urlpatterns, *osdi_views.urlpatterns]
