"""Routes of campaigns, targets and petitions; ``advocacy/urls.py`` puts them last.

Fixed words come before ``<slug>/``, which would catch them; campaign
addresses may not take those words either (``campaign_forms.RESERVED_SLUGS``).
"""

from django.urls import URLPattern, path

from peerlight.advocacy import campaign_views, petition_views, target_views

urlpatterns: list[URLPattern] = [
    path("", campaign_views.campaign_list, name="campaign_list"),
    path("new/", campaign_views.campaign_create, name="campaign_create"),
    path("targets/", target_views.target_list, name="target_list"),
    path("targets/new/", target_views.target_create, name="target_create"),
    path("targets/<int:target_id>/", target_views.target_edit, name="target_edit"),
    path(
        "targets/<int:target_id>/deactivate/",
        target_views.target_deactivate,
        name="target_deactivate",
    ),
    path(
        "targets/<int:target_id>/reactivate/",
        target_views.target_reactivate,
        name="target_reactivate",
    ),
    path("<slug:slug>/", campaign_views.campaign_detail, name="campaign"),
    path("<slug:slug>/edit/", campaign_views.campaign_edit, name="campaign_edit"),
    path("<slug:slug>/updates/new/", campaign_views.campaign_update, name="campaign_update"),
    path("<slug:slug>/sign/", petition_views.petition_sign, name="petition_sign"),
    path("<slug:slug>/signed/", petition_views.petition_signed, name="petition_signed"),
    path(
        "<slug:slug>/confirm/<str:token>/",
        petition_views.petition_confirm,
        name="petition_confirm",
    ),
    path("<slug:slug>/petition/", petition_views.petition_edit, name="petition_edit"),
    path("<slug:slug>/petition/paper/", petition_views.paper_signatures, name="petition_paper"),
    path(
        "<slug:slug>/petition/signatures/",
        petition_views.petition_signatures,
        name="petition_signatures",
    ),
]
