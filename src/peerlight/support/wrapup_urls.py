"""Wrap-up pages of a support chat; included by ``support/urls.py`` (namespace "support")."""

from django.urls import URLPattern, path

from peerlight.support import wrapup_views

urlpatterns: list[URLPattern] = [
    path("<int:request_id>/rate/", wrapup_views.rate, name="rate"),
    path("<int:request_id>/note/", wrapup_views.note, name="note"),
    path("<int:request_id>/note/read/", wrapup_views.read_note, name="read_note"),
    path("<int:request_id>/again/", wrapup_views.again, name="again"),
]
