"""The search page: public, works without JavaScript, ranked results with distances."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.directory import search, views
from tests.conftest import post_with_csrf
from tests.directory.factories import make_service, make_term, weekly

type ClientFor = Callable[[User | None], Client]

SEARCH = reverse("directory:search")
# ZIP 97401 is central Eugene, Oregon; Springfield is next door, Portland far away.
EUGENE = (44.0521, -123.0868)
SPRINGFIELD = (44.0462, -123.0220)
PORTLAND = (45.5152, -122.6784)
ALL_DAY = {"opens": "00:00", "closes": "00:00"}


def names(html: str) -> list[str]:
    """The service names of the result cards, in order."""
    return re.findall(r'<h3><a href="/directory/services/[^"]+/">([^<]+)</a></h3>', html)


@pytest.fixture
def anonymous(client_for: ClientFor) -> Client:
    return client_for(None)


def test_it_is_open_to_visitors_and_lists_the_directory(anonymous: Client, db: None) -> None:
    make_service("Harbor Warmline")
    response = anonymous.get(SEARCH)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="search"' in html
    assert 'method="get"' in html
    assert names(html) == ["Harbor Warmline"]
    assert "1 service in the directory" in html
    # Nothing is loaded from elsewhere: no map tiles, no fonts.
    assert not re.search(r'src="https?://', html)
    assert not re.search(r'<link[^>]+href="https?://', html)


def test_it_finds_services_by_their_words(anonymous: Client, db: None) -> None:
    make_service("Harbor Warmline", description="Someone to talk to at night.")
    make_service("Eastside Food Pantry", description="Groceries every Thursday.")
    response = anonymous.get(SEARCH, {"q": "groceries"})
    assert response.status_code == 200
    html = response.content.decode()
    assert names(html) == ["Eastside Food Pantry"]
    assert "1 service found" in html


def test_it_shows_a_phone_as_a_tel_link(anonymous: Client, db: None) -> None:
    make_service("Harbor Warmline", phones=["(541) 555-0134"])
    html = anonymous.get(SEARCH, {"q": "warmline"}).content.decode()
    assert '<a href="tel:5415550134">Call: (541) 555-0134</a>' in html


def test_it_ranks_by_distance_and_shows_it_in_miles_for_us_english(
    anonymous: Client, db: None
) -> None:
    make_service("Portland Peer Line", lat=PORTLAND[0], lon=PORTLAND[1])
    make_service("Springfield Peer Line", lat=SPRINGFIELD[0], lon=SPRINGFIELD[1])
    response = anonymous.get(
        SEARCH, {"q": "peer line", "place": "97401"}, headers={"accept-language": "en-US,en"}
    )
    html = response.content.decode()
    assert names(html) == ["Springfield Peer Line", "Portland Peer Line"]
    assert re.search(r"\d+\.\d mi away", html)
    assert "km away" not in html


def test_it_shows_kilometres_elsewhere_and_filters_by_radius(anonymous: Client, db: None) -> None:
    make_service("Portland Peer Line", lat=PORTLAND[0], lon=PORTLAND[1])
    make_service("Springfield Peer Line", lat=SPRINGFIELD[0], lon=SPRINGFIELD[1])
    response = anonymous.get(
        SEARCH, {"place": "97401", "radius": "10km"}, headers={"accept-language": "en-CA"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert names(html) == ["Springfield Peer Line"]
    assert re.search(r"\d\.\d km away", html)


def test_a_radius_in_the_other_unit_still_works(anonymous: Client, db: None) -> None:
    make_service("Portland Peer Line", lat=PORTLAND[0], lon=PORTLAND[1])
    make_service("Springfield Peer Line", lat=SPRINGFIELD[0], lon=SPRINGFIELD[1])
    response = anonymous.get(
        SEARCH, {"place": "97401", "radius": "5mi"}, headers={"accept-language": "en-CA"}
    )
    assert response.status_code == 200
    assert names(response.content.decode()) == ["Springfield Peer Line"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"place": "00000"}, "We could not find that place. Please enter a 5-digit US ZIP code."),
        ({"place": "nowhere at all"}, "We could not find that place."),
        ({"radius": "10km"}, "Please enter a place too, so we know where to measure from."),
        ({"age": "-3"}, "Please enter an age of 0 or more."),
        ({"age": "old"}, "Please enter an age as a whole number, like 34."),
        ({"radius": "7km", "place": "97401"}, "Select a valid choice."),
        ({"category": "not-a-term"}, "Select a valid choice."),
        ({"q": "x" * 201}, "Ensure this value has at most 200 characters"),
    ],
)
def test_bad_input_gets_a_clear_message_and_no_results(
    anonymous: Client, db: None, query: dict[str, str], message: str
) -> None:
    make_service("Harbor Warmline")
    response = anonymous.get(SEARCH, query)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Something needs changing" in html
    assert names(html) == []


def test_it_filters_by_age(anonymous: Client, db: None) -> None:
    make_service("Youth Drop-in", maximum_age=24)
    make_service("Adult Clubhouse", minimum_age=18)
    assert names(anonymous.get(SEARCH, {"age": "15"}).content.decode()) == ["Youth Drop-in"]
    html = anonymous.get(SEARCH, {"age": "40"}).content.decode()
    assert names(html) == ["Adult Clubhouse"]


def test_it_filters_free_services(anonymous: Client, db: None) -> None:
    make_service("Free Warmline", cost=0)
    make_service("Private Counselling", cost=120)
    assert names(anonymous.get(SEARCH, {"free": "on"}).content.decode()) == ["Free Warmline"]


def test_it_filters_services_open_now(anonymous: Client, db: None) -> None:
    make_service("Always Open Line", schedules=[weekly("MO,TU,WE,TH,FR,SA,SU", **ALL_DAY)])
    make_service("No Hours Known")
    html = anonymous.get(SEARCH, {"open_now": "on"}).content.decode()
    assert names(html) == ["Always Open Line"]
    assert "Open now" in html


def test_it_filters_wheelchair_access(anonymous: Client, db: None) -> None:
    make_service("Step-free Centre", lat=EUGENE[0], lon=EUGENE[1], wheelchair=True)
    make_service("Upstairs Office", lat=EUGENE[0], lon=EUGENE[1])
    html = anonymous.get(SEARCH, {"wheelchair": "on"}).content.decode()
    assert names(html) == ["Step-free Centre"]


def test_it_filters_by_language_from_the_languages_in_use(anonymous: Client, db: None) -> None:
    make_service("Línea de Apoyo", languages=("spa",))
    make_service("Harbor Warmline", languages=("en",))
    page = anonymous.get(SEARCH).content.decode()
    assert '<option value="es">Spanish</option>' in page
    html = anonymous.get(SEARCH, {"language": "es"}).content.decode()
    assert names(html) == ["Línea de Apoyo"]


def test_a_top_category_finds_the_services_of_its_children(anonymous: Client, db: None) -> None:
    health = make_term("Health")
    crisis = make_term("Crisis support", parent=health)
    food = make_term("Food")
    make_service("Mobile Crisis Team", terms=[crisis])
    make_service("Eastside Food Pantry", terms=[food])
    page = anonymous.get(SEARCH).content.decode()
    assert '<optgroup label="Health">' in page
    assert f'<option value="{health.id}">All of Health</option>' in page
    assert f'<option value="{crisis.id}">Crisis support</option>' in page
    assert f'<option value="{food.id}">Food</option>' in page
    html = anonymous.get(SEARCH, {"category": str(health.id)}).content.decode()
    assert names(html) == ["Mobile Crisis Team"]


def test_it_pages_through_results(
    anonymous: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "RESULTS_PER_PAGE", 2)
    for number in range(3):
        make_service(f"Peer Line {number}")
    first = anonymous.get(SEARCH, {"q": "peer"}).content.decode()
    assert len(names(first)) == 2
    assert "Page 1 of 2" in first
    assert 'href="?q=peer&amp;page=2" rel="next"' in first
    second = anonymous.get(SEARCH, {"q": "peer", "page": "2"}).content.decode()
    assert len(names(second)) == 1
    assert 'href="?q=peer&amp;page=1" rel="prev"' in second
    assert set(names(first)) | set(names(second)) == {f"Peer Line {n}" for n in range(3)}


def test_an_estimated_total_says_about_and_paging_stops_where_results_do(
    anonymous: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = make_service("Support Services Hub")

    def many(query: search.Query) -> search.Results:
        hits = [search.Hit(service.id, None, 1.0)]
        return search.Results(hits, 50_000, query.page, query.per_page, total_exact=False)

    monkeypatch.setattr(search, "search", many)
    html = anonymous.get(SEARCH, {"q": "support"}).content.decode()
    assert "About 50000 services found" in html
    pages = search.MAX_RESULTS // views.RESULTS_PER_PAGE
    assert f"Page 1 of {pages}" in html


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999999"])
def test_a_strange_page_number_shows_the_first_page(
    anonymous: Client, db: None, page: str
) -> None:
    make_service("Harbor Warmline")
    response = anonymous.get(SEARCH, {"page": page})
    assert response.status_code == 200
    assert names(response.content.decode()) == ["Harbor Warmline"]


def test_a_page_past_the_end_offers_the_first(anonymous: Client, db: None) -> None:
    make_service("Harbor Warmline")
    html = anonymous.get(SEARCH, {"q": "warmline", "page": "5"}).content.decode()
    assert "There are no more results." in html
    assert 'href="?q=warmline&amp;page=1"' in html


def test_signed_in_people_search_too(client_for: ClientFor, member: User) -> None:
    make_service("Harbor Warmline")
    response = client_for(member).get(SEARCH, {"q": "warmline"})
    assert response.status_code == 200
    assert names(response.content.decode()) == ["Harbor Warmline"]


def test_it_refuses_to_post(anonymous: Client, db: None) -> None:
    assert post_with_csrf(anonymous, SEARCH, {"q": "x"}).status_code == 405


def _count_queries(client: Client, query: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(SEARCH, query)
    assert response.status_code == 200
    return len(captured)


def test_a_page_of_results_costs_the_same_however_many_there_are(
    anonymous: Client, db: None
) -> None:
    make_service("Peer Line 0", lat=EUGENE[0], lon=EUGENE[1], wheelchair=True)
    anonymous.get(SEARCH)  # the form's choices are worked out once, then cached
    one = _count_queries(anonymous, {"q": "peer", "place": "97401"})
    for number in range(1, 6):
        make_service(
            f"Peer Line {number}",
            lat=EUGENE[0],
            lon=EUGENE[1],
            schedules=[weekly()],
            phones=["541-555-0100", "541-555-0101"],
        )
    six = _count_queries(anonymous, {"q": "peer", "place": "97401"})
    assert one == six
    # The search, the services, and one query per kind of related row shown.
    assert six <= 14
