"""The directory's pages; referrals and the HSDS API have their own url modules."""

from django.urls import URLPattern, URLResolver, include, path

app_name = "directory"

urlpatterns: list[URLPattern | URLResolver] = [
    path("referrals/", include("peerlight.directory.referral_urls")),
    path("", include("peerlight.directory.page_urls")),
]
