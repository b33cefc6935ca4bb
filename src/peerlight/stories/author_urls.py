"""Routes of the author's pages, under /stories/ (``stories/urls.py`` joins them)."""

from django.urls import URLPattern, path

from peerlight.stories import author_views as views

urlpatterns: list[URLPattern] = [
    path("write/", views.write, name="write"),
    path("mine/", views.mine, name="mine"),
    path("mine/<str:public_id>/", views.edit, name="edit"),
    path("mine/<str:public_id>/send/", views.submit, name="submit"),
    path("mine/<str:public_id>/withdraw/", views.withdraw, name="withdraw"),
    path("mine/<str:public_id>/consent/", views.consent, name="consent"),
    path(
        "mine/<str:public_id>/consent/withdraw/", views.consent_withdraw, name="consent_withdraw"
    ),
]
