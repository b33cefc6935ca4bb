"""Routes of the review area, under /stories/review/ (``stories/urls.py`` joins the parts)."""

from django.urls import URLPattern, path

from peerlight.stories import moderation_views as views
from peerlight.stories import reader_urls  # noqa: F401  (registers the story_id converter)

urlpatterns: list[URLPattern] = [
    path("review/", views.review_queue, name="review_queue"),
    path("review/replies/<int:reply_id>/", views.reply_review, name="reply_review"),
    path("review/replies/<int:reply_id>/decide/", views.reply_decide, name="reply_decide"),
    path("review/<story_id:public_id>/", views.review, name="review"),
    path("review/<story_id:public_id>/decide/", views.decide, name="review_decide"),
]
