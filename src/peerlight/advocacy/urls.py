"""Routes of the advocacy app, under /act/: campaigns and their actions, briefs, proposals."""

from peerlight.advocacy import brief_urls, campaign_urls, outreach_urls, proposal_urls

app_name = "advocacy"

# Campaign pages last: their ``<slug>/`` would otherwise shadow fixed paths
# such as ``news/`` (campaign slugs may not take those words either).
urlpatterns = [
    *outreach_urls.urlpatterns,
    *brief_urls.urlpatterns,
    *proposal_urls.urlpatterns,
    *campaign_urls.urlpatterns,
]
