"""Pages that belong to no single app ("home", "Need help now?"), and ``unlogged``."""

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from peerlight.lib.crisis import CrisisInfo, crisis_info
from peerlight.lib.navigation import visible_entries

logger = logging.getLogger(__name__)

# Gentler next steps offered on the crisis page, when those features exist.
NEXT_STEPS = ("support:start", "directory:search")


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """What Peerlight is for, and a way into each part that exists."""
    return render(request, "home.html")


@require_safe
def need_help(request: HttpRequest) -> HttpResponse:
    """The crisis contacts on a page of their own, then gentler next steps."""
    next_steps = [entry for entry in visible_entries(request.user) if entry.url_name in NEXT_STEPS]
    return render(request, "need_help.html", {"next_steps": next_steps})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A calm page, inside the usual shell, when a form's CSRF check fails.

    Django's own page carries an inline style, which the CSP refuses, and
    has no crisis contacts or quick exit.
    """
    return render(request, "403_csrf.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: as little as can fail, but still the crisis contacts.

    It renders without the request's context processors (they may be what
    failed); the contacts are looked up on their own, and left out if even
    that fails.
    """
    language = get_language() or "en"
    crisis: CrisisInfo | None
    try:
        crisis = crisis_info(language)
    except Exception:  # the page must render whatever broke
        logger.exception("Crisis contacts unavailable on the error page")
        crisis = None
    html = loader.get_template("500.html").render({"crisis": crisis, "language": language})
    return HttpResponseServerError(html)


def unlogged(response: HttpResponse, message: str) -> HttpResponse:
    """``response`` for a path that carries a key (a private calendar, an answer link, a
    confirmation link), logged as ``message`` instead of its path.

    Django logs a 4xx response with its path; the response is marked as logged
    already, and the log says what happened without the key.
    """
    response._has_been_logged = True  # type: ignore[attr-defined]
    logger.warning(message)
    return response
