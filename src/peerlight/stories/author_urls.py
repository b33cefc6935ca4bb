"""Routes owned by one part of the stories app; ``stories/urls.py`` joins them."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
