"""The joining pages: join, leave, "Your circles" and "Got it" on a notice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.circles import reminders
from peerlight.circles.models import Circle, Membership, Notice
from tests.circles.factories import make_circle, make_meeting, make_membership
from tests.conftest import delete_with_csrf, make_user, post_with_csrf

Status = Membership.Status
ClientFor = Callable[[User | None], Client]


@pytest.fixture
def circle(peer_supporter: User) -> Circle:
    return make_circle(peer_supporter, name="Tuesday talk", capacity=1)


def join_url(circle: Circle) -> str:
    return reverse("circles:join", args=[circle.slug])


def leave_url(circle: Circle) -> str:
    return reverse("circles:leave", args=[circle.slug])


# --- Joining -------------------------------------------------------------------------


def test_it_shows_the_sign_up_form_with_the_agreement(
    client_for: ClientFor, member: User, peer_supporter: User
) -> None:
    circle = make_circle(peer_supporter, min_age=18, max_age=30)
    response = client_for(member).get(join_url(circle))
    assert response.status_code == 200
    html = response.content.decode()
    assert "What is said here stays here." in html
    assert 'name="age_confirmed"' in html
    assert "I am between 18 and 30 years old" in html
    assert 'name="note"' not in html  # open circle: no note


def test_it_signs_up_and_goes_back_to_the_circle(
    client_for: ClientFor, member: User, circle: Circle
) -> None:
    client = client_for(member)
    response = post_with_csrf(client, join_url(circle))
    assert response.status_code == 302
    assert response["Location"] == reverse("circles:detail", args=[circle.slug])
    assert Membership.objects.get(user=member).status == Status.MEMBER
    page = client.get(response["Location"])
    assert "Welcome: you are now a member of this circle." in page.content.decode()


def test_a_full_circle_says_so_and_puts_people_in_line(
    client_for: ClientFor, member: User, other_member: User, circle: Circle
) -> None:
    make_membership(circle, other_member)
    client = client_for(member)
    assert (
        "This circle is full: you can join the waiting list."
        in client.get(join_url(circle)).content.decode()
    )
    response = post_with_csrf(client, join_url(circle), follow=True)
    assert "you are on the waiting list (number 1)" in response.content.decode()
    assert Membership.objects.get(user=member).status == Status.WAITING


def test_a_request_carries_its_note(
    client_for: ClientFor, member: User, peer_supporter: User
) -> None:
    circle = make_circle(peer_supporter, joining=Circle.Joining.REQUEST)
    response = post_with_csrf(client_for(member), join_url(circle), {"note": "First time."})
    assert response.status_code == 302
    row = Membership.objects.get(user=member)
    assert (row.status, row.request_note) == (Status.REQUESTED, "First time.")


@pytest.mark.parametrize(
    ("fields", "data", "error"),
    [
        ({"min_age": 18}, {}, "Please confirm that you are within the circle"),
        (
            {"joining": Circle.Joining.REQUEST},
            {"note": "x" * 501},
            "Ensure this value has at most 500 characters",
        ),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(
    client_for: ClientFor,
    member: User,
    peer_supporter: User,
    fields: dict[str, object],
    data: dict[str, str],
    error: str,
) -> None:
    circle = make_circle(peer_supporter, **fields)
    response = post_with_csrf(client_for(member), join_url(circle), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Membership.objects.exists()


def test_a_refused_sign_up_is_explained(
    client_for: ClientFor, member: User, circle: Circle
) -> None:
    make_membership(circle, member, Status.REMOVED)
    response = post_with_csrf(client_for(member), join_url(circle))
    assert response.status_code == 400
    assert "cannot join it again" in response.content.decode()
    assert Membership.objects.get(user=member).status == Status.REMOVED


def test_visitors_are_asked_to_sign_in(client_for: ClientFor, circle: Circle) -> None:
    response = client_for(None).get(join_url(circle))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    post_with_csrf(client_for(None), join_url(circle))
    assert not Membership.objects.exists()


def test_a_circle_that_stopped_meeting_is_not_there(
    client_for: ClientFor, member: User, peer_supporter: User
) -> None:
    quiet = make_circle(peer_supporter, is_active=False)
    assert client_for(member).get(join_url(quiet)).status_code == 404
    assert post_with_csrf(client_for(member), join_url(quiet)).status_code == 404
    assert client_for(member).get("/circles/no-such-circle/join/").status_code == 404


def test_join_refuses_other_methods(client_for: ClientFor, member: User, circle: Circle) -> None:
    assert delete_with_csrf(client_for(member), join_url(circle)).status_code == 405


# --- Leaving -------------------------------------------------------------------------


def test_leaving_moves_the_next_person_up(
    client_for: ClientFor, member: User, other_member: User, circle: Circle
) -> None:
    make_membership(circle, member)
    make_membership(circle, other_member, Status.WAITING)
    response = post_with_csrf(client_for(member), leave_url(circle))
    assert response.status_code == 302
    assert response["Location"] == reverse("circles:detail", args=[circle.slug])
    assert Membership.objects.get(user=member).status == Status.LEFT
    assert Membership.objects.get(user=other_member).status == Status.MEMBER


def test_leaving_a_circle_you_are_not_in_is_explained(
    client_for: ClientFor, member: User, circle: Circle
) -> None:
    response = post_with_csrf(client_for(member), leave_url(circle))
    assert response.status_code == 400
    assert "You are not in this circle." in response.content.decode()


def test_leave_is_post_only_and_for_signed_in_people(
    client_for: ClientFor, member: User, circle: Circle
) -> None:
    make_membership(circle, member)
    assert client_for(member).get(leave_url(circle)).status_code == 405
    assert post_with_csrf(client_for(None), leave_url(circle)).status_code == 302
    assert Membership.objects.get(user=member).status == Status.MEMBER


def test_leaving_an_inactive_circle_you_are_not_in_is_not_found(
    client_for: ClientFor, member: User, peer_supporter: User
) -> None:
    quiet = make_circle(peer_supporter, is_active=False)
    assert post_with_csrf(client_for(member), leave_url(quiet)).status_code == 404


# --- Your circles --------------------------------------------------------------------


def test_my_circles_shows_status_place_in_line_and_next_meeting(
    client_for: ClientFor,
    member: User,
    other_member: User,
    peer_supporter: User,
) -> None:
    mine = make_circle(peer_supporter, name="Morning coffee")
    meeting = make_meeting(mine, timezone.now() + timedelta(days=2))
    make_meeting(mine, timezone.now() + timedelta(days=9))
    make_membership(mine, member)
    full = make_circle(peer_supporter, name="Full house", capacity=1)
    make_membership(full, other_member)
    make_membership(full, make_user("Ahead"), Status.WAITING, waiting_since=timezone.now())
    make_membership(full, member, Status.WAITING, waiting_since=timezone.now() + timedelta(1))
    make_membership(make_circle(peer_supporter, name="Left one"), member, Status.LEFT)
    reminders.notify(member, mine, Notice.Kind.APPROVED)
    response = client_for(member).get(reverse("circles:mine"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Morning coffee" in html
    assert "You are number 2 in line." in html
    assert "Left one" not in html
    assert reverse("circles:meeting", args=[meeting.pk]) in html
    assert reverse("circles:calendar") in html
    assert "(Pacific Time)" in html
    assert "Your request to join a circle was accepted." in html
    assert "Ahead" not in html
    assert "Sky" not in html


def test_my_circles_reads_the_same_number_of_queries_for_more_circles(
    client_for: ClientFor, member: User, peer_supporter: User
) -> None:
    client = client_for(member)

    def join_one_more(number: int) -> None:
        circle = make_circle(peer_supporter, capacity=1)
        make_meeting(circle, timezone.now() + timedelta(days=number + 1))
        make_membership(circle, make_user(f"Member {number}"))
        make_membership(circle, member, Status.WAITING)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("circles:mine")).status_code == 200
        return len(captured)

    join_one_more(1)
    one = queries()
    for number in range(2, 5):
        join_one_more(number)
    assert queries() == one


def test_my_circles_is_for_signed_in_people(client_for: ClientFor, member: User) -> None:
    assert client_for(None).get(reverse("circles:mine")).status_code == 302
    assert post_with_csrf(client_for(member), reverse("circles:mine")).status_code == 405


# --- Got it --------------------------------------------------------------------------


def test_got_it_marks_the_notice_seen_and_goes_back(
    client_for: ClientFor, member: User, circle: Circle
) -> None:
    notice = reminders.notify(member, circle, Notice.Kind.MOVED_UP)
    assert notice is not None
    url = reverse("circles:notice_seen", args=[notice.pk])
    response = post_with_csrf(client_for(member), url, {"next": "/directory/"})
    assert response.status_code == 302
    assert response["Location"] == "/directory/"
    notice.refresh_from_db()
    assert notice.seen_at is not None


def test_got_it_never_leaves_the_site(client_for: ClientFor, member: User, circle: Circle) -> None:
    notice = reminders.notify(member, circle, Notice.Kind.MOVED_UP)
    assert notice is not None
    url = reverse("circles:notice_seen", args=[notice.pk])
    response = post_with_csrf(client_for(member), url, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("circles:mine")


def test_someone_else_s_notice_is_not_found(
    client_for: ClientFor, member: User, other_member: User, circle: Circle
) -> None:
    notice = reminders.notify(member, circle, Notice.Kind.MOVED_UP)
    assert notice is not None
    url = reverse("circles:notice_seen", args=[notice.pk])
    assert post_with_csrf(client_for(other_member), url).status_code == 404
    assert client_for(member).get(url).status_code == 405
    notice.refresh_from_db()
    assert notice.seen_at is None


# --- The "How to join" part of a circle's page ---------------------------------------


def join_part(circle: Circle, user: User | None, **context: object) -> str:
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from peerlight.circles import access

    request = RequestFactory().get(reverse("circles:detail", args=[circle.slug]))
    viewer = user or AnonymousUser()
    request.user = viewer
    membership = access.membership_of(user, circle) if user else None
    values = {"circle": circle, "membership": membership, "user": viewer, **context}
    return render_to_string("circles/_join.html", values, request=request)


def test_the_join_part_asks_visitors_to_sign_in(circle: Circle) -> None:
    html = join_part(circle, None)
    assert reverse("accounts:login") in html
    assert 'action="/circles/' not in html


def test_the_join_part_offers_the_form_with_age_and_note(
    member: User, peer_supporter: User
) -> None:
    circle = make_circle(peer_supporter, joining=Circle.Joining.REQUEST, min_age=18)
    html = join_part(circle, member, places_left=3)
    assert f'action="{join_url(circle)}"' in html
    assert 'name="age_confirmed"' in html
    assert "I am 18 or older" in html
    assert 'name="note"' in html
    assert "Ask to join" in html


def test_the_join_part_says_when_the_circle_is_full(member: User, circle: Circle) -> None:
    html = join_part(circle, member, places_left=0)
    assert "This circle is full: you can join the waiting list." in html
    assert "Join the waiting list" in html
    assert 'name="age_confirmed"' not in html


@pytest.mark.parametrize(
    ("status", "words", "button"),
    [
        (Status.MEMBER, "You are a member of this circle.", "Leave this circle"),
        (Status.REQUESTED, "You asked to join.", "Take back my request"),
        (Status.WAITING, "You are number 2 in line.", "Leave the waiting list"),
    ],
)
def test_the_join_part_shows_the_viewer_s_status_with_a_way_out(
    member: User, circle: Circle, status: str, words: str, button: str
) -> None:
    make_membership(circle, member, status)
    html = join_part(circle, member, waiting_position=2)
    assert words in html
    assert button in html
    assert f'action="{leave_url(circle)}"' in html
    assert f'action="{join_url(circle)}"' not in html


def test_the_join_part_tells_facilitators_and_guests_why_there_is_no_form(
    circle: Circle, peer_supporter: User
) -> None:
    assert "You lead this circle" in join_part(circle, peer_supporter)
    guest = make_user("Guest")
    User.objects.filter(pk=guest.pk).update(is_guest=True)
    guest.refresh_from_db()
    html = join_part(circle, guest)
    assert "Circles are for people with an account." in html
    assert f'action="{join_url(circle)}"' not in html


def test_the_circle_page_includes_the_join_part(
    client_for: ClientFor, member: User, circle: Circle
) -> None:
    html = client_for(member).get(reverse("circles:detail", args=[circle.slug])).content.decode()
    assert f'action="{join_url(circle)}"' in html
