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
from django.utils.translation import get_language
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
        "advocacy:campaign_list",
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
    return list(shell_entries(user))


def shell_entries(user: AbstractBaseUser | AnonymousUser) -> tuple[VisibleEntry, ...]:
    """``visible_entries``, with labels and blurbs as plain text in the active language.

    Every page's shell shows these, and they depend only on the URLconf, the
    language and whether someone is signed in, so each combination is worked
    out once per process: looking up the URLs and translating the lazy labels
    on every request cost more than the rest of the context.
    """
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _shell_entries(urlconf, get_script_prefix(), get_language(), user.is_authenticated)


@functools.lru_cache(maxsize=256)
def _shell_entries(
    urlconf: str, prefix: str, language: str | None, signed_in: bool
) -> tuple[VisibleEntry, ...]:
    entries = []
    for entry in ENTRIES:
        if entry.members_only and not signed_in:
            continue
        url = _url_if_exists(urlconf, prefix, entry.url_name)
        if url is not None:
            entries.append(VisibleEntry(entry.url_name, url, str(entry.label), str(entry.blurb)))
    return tuple(entries)


def account_links(user: AbstractBaseUser | AnonymousUser, current_path: str) -> list[AccountLink]:
    """ "Log in" and "Sign up" for a visitor, "My account" and "Log out" for a
    signed-in person; each only if its view exists, labelled in the active
    language.

    The log-in link brings the person back to ``current_path`` afterwards,
    except from the home page and the log-in and sign-up pages themselves.
    """
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    links = _account_links(urlconf, get_script_prefix(), get_language(), user.is_authenticated)
    if not links or links[0].url != _url_if_exists(urlconf, get_script_prefix(), "accounts:login"):
        return list(links)
    log_in = links[0]
    if current_path in (
        log_in.url,
        _url_if_exists(urlconf, get_script_prefix(), "accounts:signup"),
        _url_if_exists(urlconf, get_script_prefix(), "home"),
    ):
        return list(links)
    with_next = AccountLink(log_in.url + "?" + urlencode({"next": current_path}), log_in.label)
    return [with_next, *links[1:]]


@functools.lru_cache(maxsize=256)
def _account_links(
    urlconf: str, prefix: str, language: str | None, signed_in: bool
) -> tuple[AccountLink, ...]:
    # Like _shell_entries: the same few links on every page, worked out once.
    if signed_in:
        names = (
            ("accounts:account", _("My account"), False),
            ("accounts:logout", _("Sign out"), True),
        )
    else:
        names = (("accounts:login", _("Sign in"), False), ("accounts:signup", _("Sign up"), False))
    links = []
    for url_name, label, post in names:
        url = _url_if_exists(urlconf, prefix, url_name)
        if url is not None:
            links.append(AccountLink(url, str(label), post))
    return tuple(links)


# Pages for the work a role does, listed on the account page. A link shows
# only when its URL exists and the person holds one of its roles (an empty
# tuple means everyone signed in).
WORK_LINKS = (
    ("chat:inbox", _("Your chats"), ()),
    ("support:peer", _("Your peer dashboard"), ("peer_supporter",)),
    ("peers:profile", _("Your peer profile"), ("peer_supporter",)),
    ("support:queue", _("Live queue and service levels"), ("coordinator",)),
    ("safety:reports", _("Reports"), ("coordinator",)),
    ("peers:staff_list", _("Peer supporters"), ("coordinator", "admin")),
    ("directory:referral_index", _("Services shared with you"), ()),
    ("directory:curation", _("Directory curation"), ("coordinator",)),
    ("directory:referral_report", _("Referral outcomes"), ("coordinator",)),
    ("circles:mine", _("Your circles"), ()),
    ("circles:calendar", _("Circles in your calendar"), ()),
    ("circles:create", _("Start a circle"), ("coordinator",)),
    ("circles:agreements", _("Group agreement templates"), ("coordinator",)),
    ("stories:mine", _("Your stories"), ()),
    ("stories:review_queue", _("Stories to review"), ("coordinator",)),
    ("advocacy:news", _("News of campaigns you acted on"), ()),
    ("advocacy:proposal_list", _("Propose a campaign"), ()),
    ("advocacy:campaign_create", _("Start a campaign"), ("coordinator",)),
    ("advocacy:target_list", _("Decision makers"), ("coordinator",)),
    ("advocacy:export", _("Export campaign data (OSDI)"), ("coordinator",)),
)


def work_links(user: AbstractBaseUser | AnonymousUser) -> list[AccountLink]:
    """The pages of ``WORK_LINKS`` that exist and that ``user``'s roles open."""
    if not user.is_authenticated:
        return []
    has_role = getattr(user, "has_role", None)
    links = []
    for url_name, label, roles in WORK_LINKS:
        if roles and not (has_role and any(has_role(role) for role in roles)):
            continue
        url = url_if_exists(url_name)
        if url is not None:
            links.append(AccountLink(url, label))
    return links
