"""Routes of the advocacy app, under /act/: campaigns and their actions, briefs, proposals."""

from peerlight.advocacy import brief_urls, campaign_urls, outreach_urls, proposal_urls

app_name = "advocacy"

urlpatterns = [
    *campaign_urls.urlpatterns,
    *outreach_urls.urlpatterns,
    *brief_urls.urlpatterns,
    *proposal_urls.urlpatterns,
]
