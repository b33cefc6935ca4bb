"""Routes of evidence briefs, answers and accountability; ``advocacy/urls.py`` joins them.

Fixed words (``news/``, ``answer/``) come before the ``<slug>/`` routes; the
campaigns part keeps those words out of campaign slugs.
"""

from django.urls import URLPattern

from peerlight.advocacy import accountability_views, brief_views

urlpatterns: list[URLPattern] = [
    *accountability_views.urlpatterns,
    *brief_views.urlpatterns,
]
