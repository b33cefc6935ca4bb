"""The service page: everything HSDS holds in plain words, public, no third-party maps."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from peerlight.accounts.models import User
from peerlight.directory.models import Accessibility, Location, PeerNote, Service
from tests.conftest import post_with_csrf
from tests.directory.factories import make_service, make_term, weekly

type ClientFor = Callable[[User | None], Client]

ALL_WEEK = "MO,TU,WE,TH,FR,SA,SU"


def page_url(service: Service) -> str:
    return reverse("directory:service", args=[service.id])


@pytest.fixture
def respite(db: None) -> Service:
    return make_service(
        "Riverbend Peer Respite",
        description="A calm house to stay a few nights.\n\nRun by peers.",
        lat=44.05,
        lon=-123.09,
        address={"address_1": "12 Alder Street", "city": "Eugene", "postal_code": "97401"},
        languages=("en", "es"),
        schedules=[weekly(ALL_WEEK, "00:00", "00:00")],
        phones=["(541) 555-0134"],
        terms=[make_term("Peer respite")],
        wheelchair=True,
        eligibility_description="Adults in Lane County.",
        minimum_age=18,
        application_process="Call first; we talk it through.",
        url="https://riverbend.example.org",
        email="stay@riverbend.example.org",
        alert="Closed 25 December.",
        assured_date=(timezone.now().date() - timedelta(days=2)).isoformat(),
    )


def test_a_visitor_sees_everything_that_matters(client_for: ClientFor, respite: Service) -> None:
    response = client_for(None).get(page_url(respite))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Riverbend Peer Respite</h1>" in html
    assert "A calm house to stay a few nights." in html
    assert '<a href="tel:5415550134">Call: (541) 555-0134</a>' in html
    assert "Open now" in html
    assert "Opening hours" in html
    assert "Adults in Lane County." in html
    assert "Ages 18 and over" in html
    assert "Free" in html
    assert "English, Spanish" in html
    assert "Call first; we talk it through." in html
    assert "12 Alder Street<br>Eugene, OR 97401" in html
    assert "Wheelchair accessible" in html
    assert 'href="mailto:stay@riverbend.example.org"' in html
    assert "Peer respite" in html
    assert re.search(r'class="directory-notice"[^>]*>.*Closed 25 December\.', html, re.DOTALL)
    assert "Last verified" in html
    assert "Report outdated information" in html
    # No map, no font, nothing loaded from another site.
    assert not re.search(r'(src)="https?://', html)
    assert "<iframe" not in html


def test_an_old_listing_says_it_is_not_verified_recently(client_for: ClientFor, db: None) -> None:
    service = make_service(assured_date="2020-01-01")
    html = client_for(None).get(page_url(service)).content.decode()
    assert "Not verified recently (last checked 1 January 2020)" in html


def test_closed_hours_say_when_it_opens(client_for: ClientFor, db: None) -> None:
    zone = ZoneInfo(settings.PEERLIGHT_DIRECTORY_TIME_ZONE)
    tomorrow = timezone.now().astimezone(zone) + timedelta(days=1)
    code = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[tomorrow.weekday()]
    service = make_service(schedules=[weekly(code, "09:00", "10:00")])
    html = client_for(None).get(page_url(service)).content.decode()
    assert f"Closed now · opens {tomorrow:%a} 9:00" in html


def test_a_place_without_coordinates_or_script_links_is_shown_safely(
    client_for: ClientFor, db: None
) -> None:
    service = make_service(url="javascript:alert(1)", address={"city": "Eugene"})
    location = Location.objects.get()
    Accessibility.objects.create(location=location, url="javascript:alert(2)", description="Ramp")
    html = client_for(None).get(page_url(service)).content.decode()
    assert "javascript:" not in html
    assert "Ramp" in html


def test_published_notes_show_without_their_writer(
    client_for: ClientFor, respite: Service, peer_supporter: User
) -> None:
    PeerNote.objects.create(
        service=respite,
        author=peer_supporter,
        body="They have Spanish-speaking staff; the waiting room is calm.",
        status=PeerNote.Status.PUBLISHED,
    )
    PeerNote.objects.create(
        service=respite, author=peer_supporter, body="Still waiting for review."
    )
    PeerNote.objects.create(
        service=respite,
        author=peer_supporter,
        body="Not published.",
        status=PeerNote.Status.REJECTED,
    )
    html = client_for(None).get(page_url(respite)).content.decode()
    assert escape("They have Spanish-speaking staff; the waiting room is calm.") in html
    assert "A peer supporter, " + timezone.localtime().strftime("%B %Y") in html
    assert peer_supporter.display_name not in html
    assert "Still waiting for review." not in html
    assert "Not published." not in html


@pytest.mark.parametrize(
    ("persona", "sees_note_link", "sees_edit_link"),
    [
        (None, False, False),
        ("member", False, False),
        ("peer_supporter", True, False),
        ("coordinator", False, True),
    ],
)
def test_each_person_sees_the_links_their_role_opens(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    respite: Service,
    persona: str | None,
    sees_note_link: bool,
    sees_edit_link: bool,
) -> None:
    user = request.getfixturevalue(persona) if persona else None
    html = client_for(user).get(page_url(respite)).content.decode()
    assert (reverse("directory:add_note", args=[respite.id]) in html) is sees_note_link
    assert (reverse("directory:edit_service", args=[respite.id]) in html) is sees_edit_link
    assert reverse("directory:report", args=[respite.id]) in html


def test_an_unknown_service_is_not_found(client_for: ClientFor, db: None) -> None:
    response = client_for(None).get(reverse("directory:service", args=[uuid.uuid4()]))
    assert response.status_code == 404
    assert client_for(None).get("/directory/services/not-a-uuid/").status_code == 404


def test_an_inactive_service_still_has_its_page_and_says_so(
    client_for: ClientFor, db: None
) -> None:
    service = make_service(status=Service.Status.DEFUNCT)
    html = client_for(None).get(page_url(service)).content.decode()
    assert "This service has closed" in html


def test_it_refuses_to_post(client_for: ClientFor, respite: Service) -> None:
    assert post_with_csrf(client_for(None), page_url(respite)).status_code == 405


def test_the_page_costs_a_fixed_number_of_queries(client_for: ClientFor, db: None) -> None:
    client = client_for(None)
    small = make_service("Small", lat=44.05, lon=-123.09)
    with CaptureQueriesContext(connection) as one_place:
        assert client.get(page_url(small)).status_code == 200
    big = make_service("Big", lat=44.05, lon=-123.09, phones=["1", "2", "3"])
    for number in range(3):
        location = Location.objects.create(
            name=f"Branch {number}", latitude=44.0, longitude=-123.0
        )
        big.service_at_locations.create(location=location)
    with CaptureQueriesContext(connection) as four_places:
        assert client.get(page_url(big)).status_code == 200
    assert len(one_place) == len(four_places)
