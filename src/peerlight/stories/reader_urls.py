"""Routes of reading stories, under /stories/ (``stories/urls.py`` joins the parts).

A story's address is its public id (``models.new_public_id``: twelve URL-safe
characters). The ``story_id`` converter takes only ids of that shape, so a
story's routes never catch the fixed words of other parts ("write/",
"mine/", "review/", "filters/"), whatever order the parts are joined in.
"""

from django.urls import URLPattern, path, register_converter

from peerlight.stories import feeds, reader_views


class StoryIdConverter:
    regex = "[A-Za-z0-9_-]{10,16}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(StoryIdConverter, "story_id")

urlpatterns: list[URLPattern] = [
    path("", reader_views.story_list, name="list"),
    path("feed.atom", feeds.public_feed, name="feed"),
    path("filters/", reader_views.filters, name="filters"),
    path("<story_id:public_id>/", reader_views.read, name="read"),
    path("<story_id:public_id>/helped/", reader_views.helped, name="helped"),
    path("<story_id:public_id>/reply/", reader_views.reply, name="reply"),
]
