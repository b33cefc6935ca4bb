"""Routes owned by one part of the advocacy app; ``advocacy/urls.py`` joins them."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
