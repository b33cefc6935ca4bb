"""Navigation and account links: an entry shows only when its URL exists.

The URLconfs below stand in for deployments at different stages: one where
some features are built, and one where not even the account views are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, include, path

from peerlight.accounts.models import User
from peerlight.lib import views as lib_views
from peerlight.lib.navigation import (
    AccountLink,
    VisibleEntry,
    account_links,
    visible_entries,
    work_links,
)


def feature_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("A feature")


def feature(namespace: str, name: str, route: str) -> URLResolver:
    return path(route, include(([path("", feature_page, name=name)], namespace)))


# Every feature built (directory and check-ins stand in: check-ins is not built
# yet, and a stand-in directory keeps the test independent of its search).
urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("peerlight.urls")),
    feature("directory", "search", "directory/"),
    feature("outcomes", "checkins", "check-ins/"),
]

WITH_FEATURES = "tests.lib.test_navigation"


class ShellOnly:
    """A URLconf with the page shell's own views and nothing else."""

    urlpatterns = (
        path("", lib_views.home, name="home"),
        path("help/", lib_views.need_help, name="need-help"),
        path("i18n/", include("django.conf.urls.i18n")),
    )


def labels(entries: Sequence[VisibleEntry | AccountLink]) -> list[str]:
    return [str(entry.label) for entry in entries]


@override_settings(ROOT_URLCONF=WITH_FEATURES)
def test_it_shows_the_features_that_exist_in_order() -> None:
    entries = visible_entries(AnonymousUser())
    assert labels(entries) == [
        "Talk to a peer",
        "Find help near you",
        "Circles",
        "Stories",
        "Take action",
    ]
    assert [entry.url for entry in entries] == [
        "/talk/",
        "/directory/",
        "/circles/",
        "/stories/",
        "/act/",
    ]


@override_settings(ROOT_URLCONF=WITH_FEATURES)
def test_my_check_ins_is_only_for_people_signed_in(member: User) -> None:
    assert "My check-ins" not in labels(visible_entries(AnonymousUser()))
    assert labels(visible_entries(member))[-1] == "My check-ins"


@override_settings(ROOT_URLCONF=ShellOnly)
def test_it_shows_nothing_when_no_feature_exists(member: User) -> None:
    assert visible_entries(member) == []
    assert account_links(AnonymousUser(), "/") == []
    assert account_links(member, "/") == []


def test_a_visitor_gets_log_in_and_sign_up() -> None:
    links = account_links(AnonymousUser(), "/help/")
    assert labels(links) == ["Sign in", "Sign up"]
    assert links[0].url == "/login/?next=%2Fhelp%2F"
    assert links[1].url == "/signup/"
    assert not any(link.post for link in links)


@pytest.mark.parametrize("current_path", ["/", "/login/", "/signup/"])
def test_log_in_does_not_come_back_to_home_or_itself(current_path: str) -> None:
    assert account_links(AnonymousUser(), current_path)[0].url == "/login/"


def test_a_signed_in_person_gets_my_account_and_a_log_out_form(member: User) -> None:
    links = account_links(member, "/")
    assert labels(links) == ["My account", "Sign out"]
    assert [link.post for link in links] == [False, True]


@override_settings(ROOT_URLCONF=WITH_FEATURES)
def test_home_presents_each_feature_that_exists(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    html = client_for(member).get("/").content.decode()
    assert '<a href="/talk/"><strong>Talk to a peer</strong>' in html
    assert "Notice how you are doing over time, just for you." in html
    assert '<a href="/stories/"><strong>Stories</strong>' in html
    assert "Tell the people who make decisions what needs to change." in html


@override_settings(ROOT_URLCONF=WITH_FEATURES)
def test_the_help_page_offers_gentler_next_steps_that_exist(
    client_for: Callable[[User | None], Client],
) -> None:
    html = client_for(None).get("/help/").content.decode()
    assert '<ul class="link-list"><li><a href="/talk/">Talk to a peer</a></li>' in html
    assert '<a href="/directory/">Find help near you</a>' in html


@override_settings(ROOT_URLCONF=ShellOnly)
def test_the_shell_works_before_the_account_views_exist(
    client_for: Callable[[User | None], Client],
) -> None:
    response = client_for(None).get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-label="Main"' not in html  # no empty navigation
    assert "Sign in" not in html
    assert 'href="tel:988"' in html


def test_work_links_follow_the_persons_roles(
    member: User, peer_supporter: User, coordinator: User
) -> None:
    assert labels(work_links(AnonymousUser())) == []
    circles = ["Your circles", "Circles in your calendar"]
    acting = ["Your stories", "News of campaigns you acted on", "Propose a campaign"]
    assert labels(work_links(member)) == [
        "Your chats",
        "Services shared with you",
        *circles,
        *acting,
    ]
    assert labels(work_links(peer_supporter)) == [
        "Your chats",
        "Your peer dashboard",
        "Your peer profile",
        "Services shared with you",
        *circles,
        *acting,
    ]
    assert labels(work_links(coordinator)) == [
        "Your chats",
        "Live queue and service levels",
        "Reports",
        "Peer supporters",
        "Services shared with you",
        "Directory curation",
        "Referral outcomes",
        *circles,
        "Start a circle",
        "Group agreement templates",
        "Your stories",
        "Stories to review",
        "News of campaigns you acted on",
        "Propose a campaign",
        "Start a campaign",
        "Decision makers",
        "Export campaign data (OSDI)",
    ]


def test_the_account_page_lists_a_peers_pages(
    client_for: Callable[[User | None], Client], peer_supporter: User
) -> None:
    html = client_for(peer_supporter).get("/account/").content.decode()
    assert '<a href="/talk/peer/">Your peer dashboard</a>' in html
    assert "/talk/queue/" not in html
