"""Context every page needs: the shell's crisis contacts, exit and navigation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language

from peerlight.lib.crisis import crisis_info
from peerlight.lib.navigation import visible_entries


def page_shell(request: HttpRequest) -> dict[str, Any]:
    return {
        "site_name": settings.PEERLIGHT_SITE_NAME,
        "crisis": crisis_info(get_language()),
        "quick_exit_url": settings.PEERLIGHT_QUICK_EXIT_URL,
        "nav_entries": visible_entries(),
    }
