"""The safety plan pages, under ``safety/plan/`` in the safety namespace."""

from django.urls import URLPattern, path

from peerlight.safety import plan_views

urlpatterns: list[URLPattern] = [
    path("", plan_views.plan, name="plan"),
    path("edit/", plan_views.edit, name="plan_edit"),
    path("print/", plan_views.print_plan, name="plan_print"),
    path("delete/", plan_views.delete, name="plan_delete"),
    path("share/<int:conversation_id>/", plan_views.share, name="plan_share"),
    path("shared/<int:share_id>/", plan_views.shared, name="plan_shared"),
]
