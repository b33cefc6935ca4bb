"""Context every page needs: crisis contacts, quick exit, navigation, account links.

Every page's shell repeats the same few fragments (the safety bar, the
crisis contacts) that depend only on the language and the deployment's
settings. They are rendered from their templates once per language and
process and reused, which saved about a tenth of each page's cost
(docs/operations.md, "Server choice"); with ``DEBUG`` on they are rendered
every time, so template edits show at once.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf
from django.utils.text import capfirst
from django.utils.translation import get_language, get_language_info

from peerlight.lib.crisis import contacts_file, crisis_info
from peerlight.lib.navigation import account_links, shell_entries, url_if_exists

SHELL_ASSETS = {
    "icon": "peerlight/icon.svg",
    "css": "peerlight/site.css",
    "js": "peerlight/shell.js",
}


def page_shell(request: HttpRequest) -> dict[str, Any]:
    """The page shell's context (``base.html``), for every template rendered
    with a request."""
    # Requests built without the middleware (a RequestFactory in a test) have no user.
    user = getattr(request, "user", None) or AnonymousUser()
    language = get_language()
    quick_exit_url = settings.PEERLIGHT_QUICK_EXIT_URL
    fragments = _render_fragments if settings.DEBUG else _cached_fragments
    return {
        "site_name": settings.PEERLIGHT_SITE_NAME,
        "crisis": crisis_info(language),
        "quick_exit_url": quick_exit_url,
        "nav_entries": shell_entries(user),
        "account_links": account_links(user, request.path),
        "shell": fragments(
            language,
            quick_exit_url,
            str(contacts_file()),
            settings.STATIC_URL,
            get_urlconf() or settings.ROOT_URLCONF,
            get_script_prefix(),
        ),
    }


def _render_fragments(
    language: str | None,
    quick_exit_url: str,
    contacts: str,
    static_url: str | None,
    urlconf: str,
    prefix: str,
) -> dict[str, Any]:
    """The shell's fixed fragments in the active language, rendered from their templates.

    The arguments are what the fragments depend on, so that the cached copy
    below is keyed by them.
    """
    context = {"crisis": crisis_info(language), "quick_exit_url": quick_exit_url}
    return {
        "safety_bar": render_to_string("includes/safety_bar.html", context),
        "crisis_contacts": render_to_string("includes/crisis_contacts.html", context),
        **{name: static(path) for name, path in SHELL_ASSETS.items()},
        # Looked up without failing: a fragment rendered with a request
        # (an htmx partial) under a URLconf without these still renders.
        "home_url": url_if_exists("home") or "/",
        "set_language_url": url_if_exists("set_language") or "",
        # The language switch offers every language but the one in use.
        "other_languages": [
            (code, capfirst(get_language_info(code)["name_local"]))
            for code, _name in settings.LANGUAGES
            if code != language
        ],
    }


_cached_fragments = functools.lru_cache(maxsize=64)(_render_fragments)
