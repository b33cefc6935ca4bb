"""Routes of the stories app, under /stories/: writing, reading and moderation."""

from peerlight.stories import author_urls, moderation_urls, reader_urls

app_name = "stories"

urlpatterns = [
    *author_urls.urlpatterns,
    *reader_urls.urlpatterns,
    *moderation_urls.urlpatterns,
]
