"""The leaders' pages: a circle's people, answering requests, removal and attendance."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peerlight.accounts.models import Role, User
from peerlight.circles.models import Attendance, Circle, Meeting, Membership, Notice
from tests.circles.factories import make_circle, make_meeting, make_membership
from tests.conftest import delete_with_csrf, make_user, post_with_csrf

Status = Membership.Status
ClientFor = Callable[[User | None], Client]


@pytest.fixture
def circle(peer_supporter: User) -> Circle:
    return make_circle(
        peer_supporter, name="Tuesday talk", joining=Circle.Joining.REQUEST, capacity=2
    )


@pytest.fixture
def asking(circle: Circle) -> Membership:
    person = make_user("Asking Alex")
    return make_membership(circle, person, Status.REQUESTED, request_note="I lost my dad.")


def people_url(circle: Circle) -> str:
    return reverse("circles:people", args=[circle.slug])


def decide_url(row: Membership) -> str:
    return reverse("circles:decide", args=[row.circle.slug, row.pk])


def remove_url(row: Membership) -> str:
    return reverse("circles:remove_member", args=[row.circle.slug, row.pk])


# --- People --------------------------------------------------------------------------


def test_a_facilitator_sees_members_requests_with_notes_and_the_queue(
    client_for: ClientFor, circle: Circle, asking: Membership, member: User, peer_supporter: User
) -> None:
    make_membership(circle, member)
    now = timezone.now()
    make_membership(circle, make_user("Second"), Status.WAITING, waiting_since=now)
    make_membership(circle, make_user("First"), Status.WAITING, waiting_since=now - timedelta(1))
    response = client_for(peer_supporter).get(people_url(circle))
    assert response.status_code == 200
    html = response.content.decode()
    assert "River" in html
    assert "Asking Alex" in html
    assert "I lost my dad." in html
    assert html.index("First") < html.index("Second")
    assert decide_url(asking) in html
    assert "river@example.org" not in html


def test_a_coordinator_with_two_factor_sees_the_page(
    client_for: ClientFor, circle: Circle, coordinator: User
) -> None:
    assert client_for(coordinator).get(people_url(circle)).status_code == 200


def test_a_coordinator_without_two_factor_does_not(circle: Circle, coordinator: User) -> None:
    client = Client()
    client.force_login(coordinator)
    assert client.get(people_url(circle)).status_code == 404


def test_members_and_other_peers_do_not_find_the_people_page(
    client_for: ClientFor, circle: Circle, asking: Membership, member: User
) -> None:
    make_membership(circle, member)
    other_peer = make_user("Other peer", Role.PEER_SUPPORTER)
    for person in (member, other_peer):
        response = client_for(person).get(people_url(circle))
        assert response.status_code == 404
        assert "I lost my dad." not in response.content.decode()
    assert client_for(None).get(people_url(circle)).status_code == 302


def test_the_people_page_is_read_only(
    client_for: ClientFor, circle: Circle, peer_supporter: User
) -> None:
    assert post_with_csrf(client_for(peer_supporter), people_url(circle)).status_code == 405


# --- Deciding ------------------------------------------------------------------------


def test_accepting_a_request(
    client_for: ClientFor, asking: Membership, peer_supporter: User
) -> None:
    response = post_with_csrf(
        client_for(peer_supporter), decide_url(asking), {"decision": "accept"}
    )
    assert response.status_code == 302
    assert response["Location"] == people_url(asking.circle)
    asking.refresh_from_db()
    assert asking.status == Status.MEMBER
    assert Notice.objects.get().kind == Notice.Kind.APPROVED


def test_declining_a_request(client_for: ClientFor, asking: Membership, coordinator: User) -> None:
    response = post_with_csrf(client_for(coordinator), decide_url(asking), {"decision": "decline"})
    assert response.status_code == 302
    asking.refresh_from_db()
    assert asking.status == Status.DECLINED


@pytest.mark.parametrize("data", [{}, {"decision": "maybe"}])
def test_a_bad_decision_is_explained_and_changes_nothing(
    client_for: ClientFor, asking: Membership, peer_supporter: User, data: dict[str, str]
) -> None:
    response = post_with_csrf(client_for(peer_supporter), decide_url(asking), data)
    assert response.status_code == 400
    assert "Please choose to accept or decline." in response.content.decode()
    asking.refresh_from_db()
    assert asking.status == Status.REQUESTED


def test_answering_twice_is_explained(
    client_for: ClientFor, asking: Membership, peer_supporter: User
) -> None:
    client = client_for(peer_supporter)
    post_with_csrf(client, decide_url(asking), {"decision": "decline"})
    response = post_with_csrf(client, decide_url(asking), {"decision": "accept"})
    assert response.status_code == 400
    assert "already been answered" in response.content.decode()
    asking.refresh_from_db()
    assert asking.status == Status.DECLINED


def test_strangers_cannot_decide(
    client_for: ClientFor, asking: Membership, member: User, peer_supporter: User
) -> None:
    make_membership(asking.circle, member)
    response = post_with_csrf(client_for(member), decide_url(asking), {"decision": "accept"})
    assert response.status_code == 404
    other = make_circle(peer_supporter)
    elsewhere = reverse("circles:decide", args=[other.slug, asking.pk])
    assert post_with_csrf(client_for(peer_supporter), elsewhere).status_code == 404
    assert client_for(peer_supporter).get(decide_url(asking)).status_code == 405
    asking.refresh_from_db()
    assert asking.status == Status.REQUESTED


# --- Removing ------------------------------------------------------------------------


def test_removing_a_member_moves_the_next_person_up(
    client_for: ClientFor, circle: Circle, member: User, peer_supporter: User
) -> None:
    row = make_membership(circle, member)
    make_membership(circle, make_user("Stays"))
    waiting = make_membership(circle, make_user("Next"), Status.WAITING)
    response = post_with_csrf(client_for(peer_supporter), remove_url(row))
    assert response.status_code == 302
    row.refresh_from_db()
    waiting.refresh_from_db()
    assert (row.status, waiting.status) == (Status.REMOVED, Status.MEMBER)


def test_removing_someone_no_longer_there_is_explained(
    client_for: ClientFor, circle: Circle, member: User, peer_supporter: User
) -> None:
    row = make_membership(circle, member, Status.LEFT)
    response = post_with_csrf(client_for(peer_supporter), remove_url(row))
    assert response.status_code == 400
    assert "no longer in the circle" in response.content.decode()
    row.refresh_from_db()
    assert row.status == Status.LEFT


def test_members_cannot_remove_each_other(
    client_for: ClientFor, circle: Circle, member: User, other_member: User, peer_supporter: User
) -> None:
    row = make_membership(circle, member)
    make_membership(circle, other_member)
    assert post_with_csrf(client_for(other_member), remove_url(row)).status_code == 404
    assert client_for(peer_supporter).get(remove_url(row)).status_code == 405
    row.refresh_from_db()
    assert row.status == Status.MEMBER


# --- Attendance ----------------------------------------------------------------------


@pytest.fixture
def held(circle: Circle, member: User, other_member: User) -> Meeting:
    make_membership(circle, member)
    make_membership(circle, other_member)
    return make_meeting(circle, timezone.now() - timedelta(minutes=30))


def attendance_url(meeting: Meeting) -> str:
    return reverse("circles:attendance", args=[meeting.pk])


def test_a_leader_sees_the_checklist(
    client_for: ClientFor, held: Meeting, peer_supporter: User
) -> None:
    response = client_for(peer_supporter).get(attendance_url(held))
    assert response.status_code == 200
    html = response.content.decode()
    assert "River" in html
    assert "Sky" in html
    assert 'name="present"' in html
    assert delete_with_csrf(client_for(peer_supporter), attendance_url(held)).status_code == 405


def test_a_leader_saves_attendance(
    client_for: ClientFor, held: Meeting, member: User, other_member: User, peer_supporter: User
) -> None:
    response = post_with_csrf(
        client_for(peer_supporter), attendance_url(held), {"present": [str(member.pk)]}
    )
    assert response.status_code == 302
    saved = dict(Attendance.objects.values_list("user_id", "present"))
    assert saved == {member.pk: True, other_member.pk: False}


@pytest.mark.parametrize("present", [["abc"], ["999999"]])
def test_bad_attendance_is_explained_and_nothing_is_saved(
    client_for: ClientFor, held: Meeting, peer_supporter: User, present: list[str]
) -> None:
    response = post_with_csrf(
        client_for(peer_supporter), attendance_url(held), {"present": present}
    )
    assert response.status_code == 400
    assert "not on this meeting" in response.content.decode()
    assert not Attendance.objects.exists()


def test_attendance_waits_for_the_meeting_to_start(
    client_for: ClientFor, circle: Circle, member: User, peer_supporter: User
) -> None:
    make_membership(circle, member)
    later = make_meeting(circle, timezone.now() + timedelta(days=1))
    client = client_for(peer_supporter)
    page = client.get(attendance_url(later)).content.decode()
    assert "once the meeting has started" in page
    response = post_with_csrf(client, attendance_url(later), {"present": [str(member.pk)]})
    assert response.status_code == 400
    assert not Attendance.objects.exists()


def test_strangers_do_not_find_the_attendance_page(
    client_for: ClientFor, held: Meeting, member: User
) -> None:
    assert client_for(member).get(attendance_url(held)).status_code == 404
    response = post_with_csrf(client_for(member), attendance_url(held), {"present": [member.pk]})
    assert response.status_code == 404
    assert client_for(member).get("/circles/meetings/999999/attendance/").status_code == 404
    assert not Attendance.objects.exists()
