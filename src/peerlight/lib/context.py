"""Context every page needs: crisis contacts, quick exit, navigation, account links."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import get_language

from peerlight.lib.crisis import crisis_info
from peerlight.lib.navigation import account_links, visible_entries


def page_shell(request: HttpRequest) -> dict[str, Any]:
    """The page shell's context (``base.html``), for every template rendered
    with a request."""
    # Requests built without the middleware (a RequestFactory in a test) have no user.
    user = getattr(request, "user", None) or AnonymousUser()
    return {
        "site_name": settings.PEERLIGHT_SITE_NAME,
        "crisis": crisis_info(get_language()),
        "quick_exit_url": settings.PEERLIGHT_QUICK_EXIT_URL,
        "nav_entries": visible_entries(user),
        "account_links": account_links(user, request.path),
    }
