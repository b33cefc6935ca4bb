"""Referrals, mounted at ``/directory/referrals/`` in the ``directory`` namespace."""

from django.urls import URLPattern, URLResolver, path

from peerlight.directory import referral_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", referral_views.index, name="referral_index"),
    path("<int:referral_id>/answer/", referral_views.answer, name="referral_answer"),
    path("share/<int:conversation_id>/", referral_views.share, name="referral_share"),
    path("report/", referral_views.report, name="referral_report"),
]
