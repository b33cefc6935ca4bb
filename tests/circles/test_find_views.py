"""The circles list, a circle's page, and the pages that set circles up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from peerlight.accounts.models import Role, User
from peerlight.circles.models import AgreementTemplate, Circle, Meeting, Membership
from peerlight.directory.models import Location, Service
from tests.circles.factories import make_circle, make_meeting, make_membership
from tests.conftest import delete_with_csrf, make_user, post_with_csrf
from tests.directory.factories import make_service

type ClientFor = Callable[[User | None], Client]

LIST = reverse("circles:list")
CREATE = reverse("circles:create")
AGREEMENTS = reverse("circles:agreements")
AGREEMENT_CREATE = reverse("circles:agreement_create")


def detail_url(circle: Circle) -> str:
    return reverse("circles:detail", args=[circle.slug])


def edit_url(circle: Circle) -> str:
    return reverse("circles:edit", args=[circle.slug])


@pytest.fixture
def circle(peer_supporter: User) -> Circle:
    return make_circle(
        peer_supporter,
        slug="evening",
        name="Evening Circle",
        first_date=timezone.localdate(),
    )


def circle_form(peer_supporter: User | None = None, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Tuesday Circle",
        "description": "A calm hour.",
        "topics": ["anxiety", "sleep"],
        "language": "en",
        "format": "online",
        "location": "",
        "agreement": "Be kind.",
        "capacity": "8",
        "joining": "open",
        "time_zone": "America/Los_Angeles",
        "repeats": "weekly",
        "weekday": "1",
        "first_date": timezone.localdate().isoformat(),
        "start_time": "18:00",
        "duration_minutes": "60",
    }
    if peer_supporter is not None:
        data["facilitators"] = [str(peer_supporter.pk)]
    data.update(changes)
    return data


# --- The list ---------------------------------------------------------------------------


def test_anyone_sees_the_circles(client_for: ClientFor, circle: Circle) -> None:
    make_meeting(circle, timezone.now() + dt.timedelta(days=1))
    response = client_for(None).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Find a circle" in html
    assert "Evening Circle" in html
    assert detail_url(circle) in html
    assert "12 places left" in html
    assert "Next meeting:" in html
    assert "Start a new circle" not in html


def test_the_filters_narrow_the_list(client_for: ClientFor, peer_supporter: User) -> None:
    make_circle(peer_supporter, name="Grupo en español", language="es")
    make_circle(peer_supporter, name="English group")
    response = client_for(None).get(LIST, {"language": "es", "day": "0", "time": "evening"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Grupo en español" in html
    assert "English group" not in html
    assert "1 circle" in html


def test_values_that_cannot_be_used_are_left_out_and_named(
    client_for: ClientFor, peer_supporter: User
) -> None:
    make_circle(peer_supporter, name="Spanish group", language="es")
    make_circle(peer_supporter, name="English group")
    response = client_for(None).get(LIST, {"language": "es", "topic": "made-up", "day": "9"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Some of your choices could not be used" in html
    assert "These were left out: Topic, Day." in html
    # The usable filter still applies.
    assert "Spanish group" in html
    assert "English group" not in html


def test_nothing_matching_says_so_calmly(client_for: ClientFor, circle: Circle) -> None:
    response = client_for(None).get(LIST, {"q": "nothing like this"})
    assert "No circle matches all of that." in response.content.decode()


def test_coordinators_are_offered_to_start_a_circle(
    client_for: ClientFor, coordinator: User
) -> None:
    html = client_for(coordinator).get(LIST).content.decode()
    assert CREATE in html
    assert AGREEMENTS in html


def test_the_list_costs_the_same_for_many_circles(
    client_for: ClientFor,
    peer_supporter: User,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    client = client_for(None)
    first = make_circle(peer_supporter, format=Circle.Format.BOTH)
    make_meeting(first, timezone.now() + dt.timedelta(hours=2))
    client.get(LIST)  # warm the session and the language machinery
    with django_assert_num_queries(2):
        assert client.get(LIST).status_code == 200
    service = make_service("Lantern House", address={"address_1": "215 N Williams Ave"})
    place = Location.objects.get(service_at_locations__service=service)
    for number in range(5):
        other = make_circle(peer_supporter, format=Circle.Format.IN_PERSON, location=place)
        make_meeting(other, timezone.now() + dt.timedelta(days=number + 1))
        make_membership(other, make_user(f"Member {number}"))
    with django_assert_num_queries(2):
        response = client.get(LIST, {"format": "in_person"})
    assert response.status_code == 200
    assert response.content.decode().count("In person: Lantern House office") == 5


def test_the_list_is_read_only(client_for: ClientFor, member: User) -> None:
    assert post_with_csrf(client_for(member), LIST).status_code == 405


# --- A circle's page --------------------------------------------------------------------


def test_anyone_reads_a_circles_page(client_for: ClientFor, circle: Circle) -> None:
    response = client_for(None).get(detail_url(circle))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Evening Circle" in html
    assert "Led by" in html
    assert "Jordan" in html
    assert "Every Monday" in html
    assert "Depression" in html
    assert "Loneliness" in html
    assert "English" in html
    assert reverse("circles:circle_calendar", args=[circle.slug]) in html
    assert "How to join" in html
    assert reverse("circles:people", args=[circle.slug]) not in html
    assert edit_url(circle) not in html
    # Viewing planned the next meetings, each linked to its page.
    meeting = Meeting.objects.filter(circle=circle).order_by("starts_at").first()
    assert meeting is not None
    assert reverse("circles:meeting", args=[meeting.pk]) in html


def test_labels_follow_the_readers_language(client_for: ClientFor, circle: Circle) -> None:
    html = client_for(None).get(detail_url(circle), headers={"accept-language": "es"})
    assert "Soledad" in html.content.decode()


def test_cancelled_and_moved_meetings_are_marked_in_words(
    client_for: ClientFor, circle: Circle
) -> None:
    now = timezone.now()
    circle.planned_until = now + dt.timedelta(days=365)  # no planning: these are the meetings
    circle.save()
    make_meeting(
        circle,
        now + dt.timedelta(days=1),
        status=Meeting.Status.CANCELLED,
        note="The room is closed for repairs",
    )
    make_meeting(circle, now + dt.timedelta(days=2), is_changed=True, note="One hour later")
    html = client_for(None).get(detail_url(circle)).content.decode()
    assert "<del>" in html
    assert "Cancelled</strong>: The room is closed for repairs" in html
    assert "Moved</strong>: One hour later" in html


def test_a_place_shows_its_address_and_directory_page(
    client_for: ClientFor, peer_supporter: User
) -> None:
    service = make_service(
        "Lantern House Clubhouse",
        address={"address_1": "215 N Williams Ave", "city": "Portland", "state_province": "OR"},
    )
    location = Location.objects.get(service_at_locations__service=service)
    circle = make_circle(
        peer_supporter,
        format=Circle.Format.IN_PERSON,
        location=location,
        place_notes="Ring the bell",
    )
    html = client_for(None).get(detail_url(circle)).content.decode()
    assert "215 N Williams Ave" in html
    assert "Ring the bell" in html
    assert reverse("directory:service", args=[service.id]) in html


def test_a_place_without_a_listed_service_has_no_directory_link(
    client_for: ClientFor, peer_supporter: User
) -> None:
    service = make_service("Closed place", address={"address_1": "1 Old Road"})
    location = Location.objects.get(service_at_locations__service=service)
    Service.objects.filter(pk=service.pk).update(status=Service.Status.DEFUNCT)
    circle = make_circle(peer_supporter, format=Circle.Format.IN_PERSON, location=location)
    html = client_for(None).get(detail_url(circle)).content.decode()
    assert "1 Old Road" in html
    assert reverse("directory:service", args=[service.id]) not in html


def test_members_get_the_room_of_the_next_online_meeting(
    client_for: ClientFor, circle: Circle, member: User, other_member: User
) -> None:
    make_membership(circle, member)
    make_membership(circle, other_member, Membership.Status.WAITING)
    client_for(member).get(detail_url(circle))  # plans the meetings
    meeting = Meeting.objects.filter(circle=circle).order_by("starts_at").first()
    assert meeting is not None
    room = reverse("circles:room", args=[meeting.pk])
    assert room in client_for(member).get(detail_url(circle)).content.decode()
    assert room not in client_for(other_member).get(detail_url(circle)).content.decode()
    assert room not in client_for(None).get(detail_url(circle)).content.decode()


def test_leaders_get_people_edit_and_the_last_attendance(
    client_for: ClientFor, circle: Circle, peer_supporter: User
) -> None:
    last = make_meeting(circle, timezone.now() - dt.timedelta(days=7))
    html = client_for(peer_supporter).get(detail_url(circle)).content.decode()
    assert reverse("circles:people", args=[circle.slug]) in html
    assert edit_url(circle) in html
    assert reverse("circles:attendance", args=[last.pk]) in html


def test_a_stopped_circle_is_there_only_for_those_who_led_it(
    client_for: ClientFor, circle: Circle, peer_supporter: User, member: User
) -> None:
    circle.is_active = False
    circle.save()
    assert client_for(None).get(detail_url(circle)).status_code == 404
    assert client_for(member).get(detail_url(circle)).status_code == 404
    response = client_for(peer_supporter).get(detail_url(circle))
    assert response.status_code == 200
    assert "This circle has stopped meeting." in response.content.decode()


def test_an_unknown_circle_is_not_found(client_for: ClientFor, db: None) -> None:
    assert client_for(None).get("/circles/no-such-circle/").status_code == 404


def test_a_circles_page_is_read_only(client_for: ClientFor, circle: Circle, member: User) -> None:
    assert post_with_csrf(client_for(member), detail_url(circle)).status_code == 405


# --- Creating ---------------------------------------------------------------------------


def test_a_coordinator_starts_a_circle(
    client_for: ClientFor, coordinator: User, peer_supporter: User
) -> None:
    client = client_for(coordinator)
    page = client.get(CREATE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Start a new circle" in html
    assert "What is said here stays here." in html, "the default agreement is filled in"
    assert "Jordan" in html, "peer supporters are offered as facilitators"
    response = post_with_csrf(client, CREATE, circle_form(peer_supporter))
    assert response.status_code == 302
    circle = Circle.objects.get()
    assert response["Location"] == detail_url(circle)
    assert circle.slug == "tuesday-circle"
    assert circle.rrule == "FREQ=WEEKLY;BYDAY=TU"
    assert Meeting.objects.filter(circle=circle).exists()


def test_the_agreement_can_start_from_another_template(
    client_for: ClientFor, coordinator: User
) -> None:
    spanish = AgreementTemplate.objects.get(language="es")
    html = client_for(coordinator).get(CREATE, {"template": spanish.pk}).content.decode()
    assert "Lo que se dice aquí, se queda aquí." in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "Agreements"}, "This name is kept for a page of the site."),
        ({"facilitators": []}, "Please choose at least one facilitator."),
        ({"format": "in_person"}, "Please choose where the circle meets"),
        ({"min_age": "50", "max_age": "20"}, "The oldest age cannot be below the youngest age."),
        ({"repeats": "monthly"}, "Please choose at least one week of the month."),
    ],
)
def test_mistakes_are_explained_and_nothing_is_made(
    client_for: ClientFor,
    coordinator: User,
    peer_supporter: User,
    changes: dict[str, Any],
    message: str,
) -> None:
    response = post_with_csrf(
        client_for(coordinator), CREATE, circle_form(peer_supporter, **changes)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Circle.objects.exists()


def test_a_non_peer_cannot_be_made_a_facilitator(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    response = post_with_csrf(client_for(coordinator), CREATE, circle_form(member))
    assert response.status_code == 400
    assert "Only peer supporters can lead a circle." in response.content.decode()
    assert not Circle.objects.exists()


def test_others_cannot_start_circles(
    client_for: ClientFor, member: User, peer_supporter: User
) -> None:
    assert client_for(member).get(CREATE).status_code == 404
    assert client_for(peer_supporter).get(CREATE).status_code == 404
    response = post_with_csrf(client_for(peer_supporter), CREATE, circle_form(peer_supporter))
    assert response.status_code == 404
    anonymous = client_for(None).get(CREATE)
    assert anonymous.status_code == 302
    assert reverse("accounts:login") in anonymous["Location"]
    assert not Circle.objects.exists()


def test_starting_a_circle_takes_only_get_and_post(
    client_for: ClientFor, coordinator: User
) -> None:
    assert delete_with_csrf(client_for(coordinator), CREATE).status_code == 405


# --- Editing ----------------------------------------------------------------------------


def test_a_facilitator_edits_their_circle(
    client_for: ClientFor, circle: Circle, peer_supporter: User
) -> None:
    client = client_for(peer_supporter)
    page = client.get(edit_url(circle))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="Evening Circle"' in html
    assert 'name="facilitators"' not in html, "only coordinators choose who leads"
    assert 'name="is_active"' not in html
    response = post_with_csrf(
        client, edit_url(circle), circle_form(name="Evening Circle", capacity="15")
    )
    assert response.status_code == 302
    circle.refresh_from_db()
    assert circle.capacity == 15
    assert circle.rrule == "FREQ=WEEKLY;BYDAY=TU"


def test_a_coordinator_changes_who_leads_and_stops_a_circle(
    client_for: ClientFor, circle: Circle, coordinator: User
) -> None:
    other_peer = make_user("Sam", Role.PEER_SUPPORTER)
    client = client_for(coordinator)
    html = client.get(edit_url(circle)).content.decode()
    assert 'name="facilitators"' in html
    response = post_with_csrf(client, edit_url(circle), circle_form(other_peer))
    assert response.status_code == 302
    circle.refresh_from_db()
    assert list(circle.facilitators.all()) == [other_peer]
    assert not circle.is_active, "an unticked box stops the circle"


def test_a_coordinator_passes_the_second_factor_before_editing(
    circle: Circle, coordinator: User
) -> None:
    client = Client()
    client.force_login(coordinator)
    response = client.get(edit_url(circle))
    assert response.status_code == 302
    assert "two-factor" in response["Location"]


def test_a_bad_edit_is_explained_and_nothing_changes(
    client_for: ClientFor, circle: Circle, peer_supporter: User
) -> None:
    response = post_with_csrf(
        client_for(peer_supporter), edit_url(circle), circle_form(capacity="1")
    )
    assert response.status_code == 400
    assert "Something needs changing" in response.content.decode()
    circle.refresh_from_db()
    assert circle.capacity == 12


def test_others_may_look_but_not_edit(client_for: ClientFor, circle: Circle, member: User) -> None:
    other_peer = make_user("Sam", Role.PEER_SUPPORTER)
    assert client_for(member).get(edit_url(circle)).status_code == 403
    assert client_for(other_peer).get(edit_url(circle)).status_code == 403
    response = post_with_csrf(client_for(member), edit_url(circle), circle_form(name="Mine"))
    assert response.status_code == 403
    circle.refresh_from_db()
    assert circle.name == "Evening Circle"
    anonymous = client_for(None).get(edit_url(circle))
    assert anonymous.status_code == 302
    assert reverse("accounts:login") in anonymous["Location"]


def test_a_stopped_circle_is_not_found_for_others(
    client_for: ClientFor, circle: Circle, member: User
) -> None:
    circle.is_active = False
    circle.save()
    assert client_for(member).get(edit_url(circle)).status_code == 404


def test_editing_takes_only_get_and_post(
    client_for: ClientFor, circle: Circle, peer_supporter: User
) -> None:
    assert delete_with_csrf(client_for(peer_supporter), edit_url(circle)).status_code == 405


# --- Agreement templates ----------------------------------------------------------------


def test_coordinators_list_and_add_templates(client_for: ClientFor, coordinator: User) -> None:
    client = client_for(coordinator)
    html = client.get(AGREEMENTS).content.decode()
    assert "Our group agreement" in html
    assert "Nuestro acuerdo de grupo" in html
    assert client.get(AGREEMENT_CREATE).status_code == 200
    response = post_with_csrf(
        client,
        AGREEMENT_CREATE,
        {"name": "Short and kind", "language": "en", "text": "Be kind.", "is_default": "on"},
    )
    assert response.status_code == 302
    assert response["Location"] == AGREEMENTS
    made = AgreementTemplate.objects.get(name="Short and kind")
    assert made.is_default
    assert not AgreementTemplate.objects.get(name="Our group agreement").is_default


def test_coordinators_change_a_template(client_for: ClientFor, coordinator: User) -> None:
    template = AgreementTemplate.objects.get(language="en")
    url = reverse("circles:agreement_edit", args=[template.pk])
    client = client_for(coordinator)
    assert "What is said here stays here." in client.get(url).content.decode()
    response = post_with_csrf(
        client, url, {"name": "Our agreement", "language": "en", "text": "Be gentle."}
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.name, template.text, template.is_default) == (
        "Our agreement",
        "Be gentle.",
        False,
    )


def test_a_template_needs_its_text(client_for: ClientFor, coordinator: User) -> None:
    response = post_with_csrf(
        client_for(coordinator), AGREEMENT_CREATE, {"name": "Empty", "language": "en"}
    )
    assert response.status_code == 400
    assert not AgreementTemplate.objects.filter(name="Empty").exists()


def test_templates_are_for_coordinators_only(
    client_for: ClientFor, peer_supporter: User, member: User
) -> None:
    template = AgreementTemplate.objects.get(language="en")
    for person in (member, peer_supporter):
        client = client_for(person)
        assert client.get(AGREEMENTS).status_code == 404
        assert client.get(AGREEMENT_CREATE).status_code == 404
        url = reverse("circles:agreement_edit", args=[template.pk])
        response = post_with_csrf(client, url, {"name": "X", "language": "en", "text": "Y"})
        assert response.status_code == 404
    template.refresh_from_db()
    assert template.name == "Our group agreement"


def test_an_unknown_template_is_not_found(client_for: ClientFor, coordinator: User) -> None:
    url = reverse("circles:agreement_edit", args=[999999])
    assert client_for(coordinator).get(url).status_code == 404


def test_template_pages_refuse_other_methods(client_for: ClientFor, coordinator: User) -> None:
    client = client_for(coordinator)
    assert post_with_csrf(client, AGREEMENTS).status_code == 405
    assert delete_with_csrf(client, AGREEMENT_CREATE).status_code == 405
