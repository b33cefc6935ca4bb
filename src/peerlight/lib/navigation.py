"""The main navigation: one entry per feature, shown only once it exists.

An entry whose URL name does not resolve (its app is not built or not
installed) is left out, so nobody is led to a placeholder page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavEntry:
    url_name: str
    label: str | Promise
    blurb: str | Promise


ENTRIES = (
    NavEntry(
        "support:start",
        _("Talk to a peer"),
        _("Someone who has been there too, ready to listen."),
    ),
    NavEntry(
        "directory:search",
        _("Find help near you"),
        _("Services, support lines and places that can help."),
    ),
    NavEntry(
        "circles:list",
        _("Circles"),
        _("Peer-led support groups, online or in person."),
    ),
    NavEntry(
        "stories:list",
        _("Stories"),
        _("Lived experience, shared by the people who lived it."),
    ),
    NavEntry(
        "advocacy:campaigns",
        _("Take action"),
        _("Make your voice heard by the people who decide."),
    ),
    NavEntry(
        "outcomes:checkins",
        _("My check-ins"),
        _("See how you are doing over time."),
    ),
)


@dataclass(frozen=True)
class VisibleEntry:
    url: str
    label: str | Promise
    blurb: str | Promise


def visible_entries() -> list[VisibleEntry]:
    entries = []
    for entry in ENTRIES:
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        entries.append(VisibleEntry(url, entry.label, entry.blurb))
    return entries
