"""Pages that belong to no single app: home and "Need help now?"."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from peerlight.lib.navigation import visible_entries

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
