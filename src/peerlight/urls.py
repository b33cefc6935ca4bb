"""URL wiring only: each app's own ``urls.py`` holds its routes."""

from django.contrib import admin
from django.urls import include, path

from peerlight.lib import views as lib_views

urlpatterns = [
    path("", lib_views.home, name="home"),
    path("help/", lib_views.need_help, name="need-help"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("peerlight.accounts.urls")),
    path("privacy/", include("peerlight.accounts.privacy_urls")),
    path("talk/", include("peerlight.support.urls")),
    path("chat/", include("peerlight.chat.urls")),
    path("peers/", include("peerlight.peers.urls")),
    path("safety/", include("peerlight.safety.urls")),
    path("directory/", include("peerlight.directory.urls")),
    path("circles/", include("peerlight.circles.urls")),
    path("stories/", include("peerlight.stories.urls")),
    path("act/", include("peerlight.advocacy.urls")),
    path("api/hsds/", include("peerlight.directory.api_urls")),
    path("admin/", admin.site.urls),
]

handler500 = "peerlight.lib.views.server_error"
