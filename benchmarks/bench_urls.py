"""Peerlight's URLs plus ``/_bench/one-query/``, a bare view to compare pages with."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.urls import path

from peerlight.urls import urlpatterns as peerlight_urlpatterns


def one_query(request: HttpRequest) -> HttpResponse:
    """One simple query and a tiny response: what any page costs at the least."""
    count = ContentType.objects.count()
    return HttpResponse(f"{count}\n", content_type="text/plain")


urlpatterns = [
    path("_bench/one-query/", one_query, name="bench-one-query"),
    *peerlight_urlpatterns,
]
