"""The main navigation and the account links of the page shell.

Every entry names a URL. An entry whose URL name does not resolve (its app
is not built yet, or not installed in this deployment) is left out, so nobody
is ever led to a placeholder page. The account links follow the same rule.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavEntry:
    url_name: str
    label: str | Promise
    blurb: str | Promise
    # Entries about the person's own data ("My check-ins") mean nothing to a visitor.
    members_only: bool = False


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
        _("Small peer-led groups that meet online or in person."),
    ),
    NavEntry(
        "stories:list",
        _("Stories"),
        _("Lived experience, shared by the people who lived it."),
    ),
    NavEntry(
        "advocacy:campaigns",
        _("Take action"),
        _("Tell the people who make decisions what needs to change."),
    ),
    NavEntry(
        "outcomes:checkins",
        _("My check-ins"),
        _("Notice how you are doing over time, just for you."),
        members_only=True,
    ),
)


@dataclass(frozen=True)
class VisibleEntry:
    url_name: str
    url: str
    label: str | Promise
    blurb: str | Promise


@dataclass(frozen=True)
class AccountLink:
    url: str
    label: str | Promise
    # Logging out changes state, so it is a form that POSTs, never a plain link.
    post: bool = False


def url_if_exists(url_name: str) -> str | None:
    """The path of ``url_name``, or ``None`` when no such URL is installed."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _url_if_exists(urlconf, get_script_prefix(), url_name)


@functools.lru_cache(maxsize=256)
def _url_if_exists(urlconf: str, prefix: str, url_name: str) -> str | None:
    # Every page asks for the same few names, and a failed reverse() is slow;
    # the answer depends only on the URLconf and the script prefix in force.
    try:
        return reverse(url_name, urlconf=urlconf)
    except NoReverseMatch:
        return None


def visible_entries(user: AbstractBaseUser | AnonymousUser) -> list[VisibleEntry]:
    """The entries of ``ENTRIES`` that exist and make sense for ``user``, in order."""
    entries = []
    for entry in ENTRIES:
        if entry.members_only and not user.is_authenticated:
            continue
        url = url_if_exists(entry.url_name)
        if url is not None:
            entries.append(VisibleEntry(entry.url_name, url, entry.label, entry.blurb))
    return entries


def account_links(user: AbstractBaseUser | AnonymousUser, current_path: str) -> list[AccountLink]:
    """ "Log in" and "Sign up" for a visitor, "My account" and "Log out" for a
    signed-in person; each only if its view exists.

    The log-in link brings the person back to ``current_path`` afterwards,
    except from the home page and the log-in and sign-up pages themselves.
    """
    if user.is_authenticated:
        names = (
            ("accounts:account", _("My account"), False),
            ("accounts:logout", _("Sign out"), True),
        )
    else:
        names = (("accounts:login", _("Sign in"), False), ("accounts:signup", _("Sign up"), False))
    links = []
    for url_name, label, post in names:
        url = url_if_exists(url_name)
        if url is None:
            continue
        if url_name == "accounts:login" and current_path not in (
            url,
            url_if_exists("accounts:signup"),
            url_if_exists("home"),
        ):
            url += "?" + urlencode({"next": current_path})
        links.append(AccountLink(url, label, post))
    return links
