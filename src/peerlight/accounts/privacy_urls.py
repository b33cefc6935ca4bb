"""The privacy centre: consents, "Download my data" and "Delete my account"."""

from django.urls import URLPattern, path

from peerlight.accounts import privacy_views

app_name = "privacy"

urlpatterns: list[URLPattern] = [
    path("", privacy_views.home, name="home"),
    path("consents/", privacy_views.consents, name="consents"),
    path("export/", privacy_views.export, name="export"),
    path("delete/", privacy_views.delete_account, name="delete"),
]
