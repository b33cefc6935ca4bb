"""Joining circles: sign-up, the waiting list, requests, leaving, removal and the people list."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import Role, User
from peerlight.audit.models import AuditEntry
from peerlight.circles import membership
from peerlight.circles.membership import MembershipError
from peerlight.circles.models import Circle, Membership, Notice
from tests.circles.factories import make_circle, make_membership
from tests.conftest import make_user

Status = Membership.Status


@pytest.fixture
def circle(peer_supporter: User) -> Circle:
    return make_circle(peer_supporter, capacity=2)


def people(count: int, prefix: str = "Person") -> list[User]:
    return [make_user(f"{prefix} {number}") for number in range(count)]


# --- Signing up ----------------------------------------------------------------------


def test_it_makes_a_member_of_an_open_circle_with_room(circle: Circle, member: User) -> None:
    joined = membership.sign_up(member, circle, age_confirmed=False)
    assert joined.status == Status.MEMBER
    assert joined.joined_at is not None
    assert joined.waiting_since is None
    entry = AuditEntry.objects.get(verb="circles.membership.join")
    assert entry.subject_id == member.pk


def test_it_puts_people_on_the_waiting_list_when_the_circle_is_full(circle: Circle) -> None:
    first, second, third, fourth = people(4)
    for person in (first, second):
        assert membership.sign_up(person, circle, age_confirmed=False).status == Status.MEMBER
    waiting = membership.sign_up(third, circle, age_confirmed=False)
    later = membership.sign_up(fourth, circle, age_confirmed=False)
    assert waiting.status == later.status == Status.WAITING
    assert waiting.waiting_since is not None
    assert membership.waiting_position(waiting) == 1
    assert membership.waiting_position(later) == 2
    assert Membership.objects.filter(circle=circle, status=Status.MEMBER).count() == 2


def test_a_circle_by_request_waits_for_a_facilitator_and_keeps_the_note(
    peer_supporter: User, member: User
) -> None:
    circle = make_circle(peer_supporter, joining=Circle.Joining.REQUEST)
    asked = membership.sign_up(member, circle, age_confirmed=False, note="  I'm new here.  ")
    asked.refresh_from_db()
    assert asked.status == Status.REQUESTED
    assert asked.request_note == "I'm new here."
    assert membership.waiting_position(asked) is None


def test_a_note_to_an_open_circle_is_not_kept(circle: Circle, member: User) -> None:
    joined = membership.sign_up(member, circle, age_confirmed=False, note="hello")
    joined.refresh_from_db()
    assert joined.request_note == ""


def test_an_age_range_must_be_confirmed(peer_supporter: User, member: User) -> None:
    circle = make_circle(peer_supporter, min_age=18, max_age=25)
    with pytest.raises(MembershipError, match="age range"):
        membership.sign_up(member, circle, age_confirmed=False)
    assert not Membership.objects.exists()
    joined = membership.sign_up(member, circle, age_confirmed=True)
    assert joined.age_confirmed is True


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("inactive", "not meeting"),
        ("guest", "account"),
        ("facilitator", "You lead this circle"),
        ("removed", "taken you off"),
        ("long_note", "500 characters"),
    ],
)
def test_it_refuses_sign_ups_it_should_not_take(
    circle: Circle, member: User, peer_supporter: User, setup: str, message: str
) -> None:
    person, note = member, ""
    if setup == "inactive":
        Circle.objects.filter(pk=circle.pk).update(is_active=False)
    elif setup == "guest":
        User.objects.filter(pk=member.pk).update(is_guest=True)
        member.refresh_from_db()
    elif setup == "facilitator":
        person = peer_supporter
    elif setup == "removed":
        make_membership(circle, member, Status.REMOVED)
    else:
        note = "x" * (membership.REQUEST_NOTE_MAX + 1)
    circle.refresh_from_db()
    before = list(Membership.objects.values_list("pk", "status"))
    with pytest.raises(MembershipError, match=message):
        membership.sign_up(person, circle, age_confirmed=True, note=note)
    assert list(Membership.objects.values_list("pk", "status")) == before
    assert not AuditEntry.objects.filter(verb__startswith="circles.membership").exists()


@pytest.mark.parametrize("status", [Status.MEMBER, Status.WAITING, Status.REQUESTED])
def test_someone_already_in_gets_their_row_back_unchanged(
    circle: Circle, member: User, status: str
) -> None:
    existing = make_membership(circle, member, status, requested_at=timezone.now() - timedelta(1))
    again = membership.sign_up(member, circle, age_confirmed=True)
    assert again.pk == existing.pk
    again.refresh_from_db()
    assert again.status == status
    assert again.requested_at == existing.requested_at
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("status", [Status.LEFT, Status.DECLINED])
def test_people_who_left_or_were_declined_may_sign_up_again_on_the_same_row(
    circle: Circle, member: User, status: str
) -> None:
    old = make_membership(circle, member, status, left_at=timezone.now())
    again = membership.sign_up(member, circle, age_confirmed=False)
    assert again.pk == old.pk
    assert again.status == Status.MEMBER
    assert again.left_at is None
    assert Membership.objects.count() == 1


def test_capacity_holds_when_people_sign_up_one_after_another(peer_supporter: User) -> None:
    circle = make_circle(peer_supporter, capacity=3)
    for person in people(6):
        membership.sign_up(person, circle, age_confirmed=False)
    statuses = list(Membership.objects.values_list("status", flat=True))
    assert statuses.count(Status.MEMBER) == 3
    assert statuses.count(Status.WAITING) == 3


@pytest.mark.django_db(transaction=True)
def test_two_people_asking_for_the_last_place_at_once_do_not_both_get_it(
    peer_supporter: User,
) -> None:
    """Two threads, each with its own connection, sign up for a circle with one place."""
    circle = make_circle(peer_supporter, capacity=1)
    racers = people(2, "Racer")
    start = threading.Barrier(len(racers))
    errors: list[BaseException] = []

    def race(person: User) -> None:
        try:
            start.wait()
            membership.sign_up(person, circle, age_confirmed=False)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(person,)) for person in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    statuses = sorted(Membership.objects.values_list("status", flat=True))
    assert statuses == [Status.MEMBER, Status.WAITING]


def test_newcomers_queue_behind_people_already_waiting(peer_supporter: User) -> None:
    """A place freed without ``fill_places`` still goes to the longest-waiting person."""
    circle = make_circle(peer_supporter, capacity=1)
    first, waiting, newcomer = people(3)
    make_membership(circle, first)
    queued = make_membership(circle, waiting, Status.WAITING)
    Circle.objects.filter(pk=circle.pk).update(capacity=2)
    circle.refresh_from_db()
    joined = membership.sign_up(newcomer, circle, age_confirmed=False)
    queued.refresh_from_db()
    assert queued.status == Status.MEMBER
    assert joined.status == Status.WAITING


# --- Leaving, the waiting list moving up ---------------------------------------------


def test_when_a_member_leaves_the_longest_waiting_person_moves_up(circle: Circle) -> None:
    first, second, waiting_long, waiting_short = people(4)
    make_membership(circle, first)
    make_membership(circle, second)
    now = timezone.now()
    longest = make_membership(
        circle, waiting_long, Status.WAITING, waiting_since=now - timedelta(2)
    )
    shortest = make_membership(circle, waiting_short, Status.WAITING, waiting_since=now)
    membership.leave(first, circle)
    left = Membership.objects.get(circle=circle, user=first)
    assert left.status == Status.LEFT
    assert left.left_at is not None
    longest.refresh_from_db()
    shortest.refresh_from_db()
    assert longest.status == Status.MEMBER
    assert longest.waiting_since is None
    assert shortest.status == Status.WAITING
    assert membership.waiting_position(shortest) == 1
    notice = Notice.objects.get(user=waiting_long)
    assert notice.kind == Notice.Kind.MOVED_UP
    assert not Notice.objects.filter(user=waiting_short).exists()


def test_the_person_moved_up_gets_an_e_mail_that_names_no_circle(
    circle: Circle,
    member: User,
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    leaving, staying = people(2)
    make_membership(circle, leaving)
    make_membership(circle, staying)
    make_membership(circle, member, Status.WAITING)
    with django_capture_on_commit_callbacks(execute=True):
        membership.leave(leaving, circle)
    assert [sent.to for sent in mail.outbox] == [["river@example.org"]]
    assert "a circle you were waiting for" in mail.outbox[0].body
    assert circle.name not in mail.outbox[0].body
    assert circle.name not in mail.outbox[0].subject


def test_leaving_the_waiting_list_moves_nobody_up(circle: Circle) -> None:
    first, second, waiting = people(3)
    make_membership(circle, first)
    make_membership(circle, second)
    make_membership(circle, waiting, Status.WAITING)
    membership.leave(waiting, circle)
    assert Membership.objects.filter(status=Status.MEMBER).count() == 2
    assert not Notice.objects.exists()


def test_leaving_a_circle_you_are_not_in_is_refused(circle: Circle, member: User) -> None:
    make_membership(circle, member, Status.LEFT)
    with pytest.raises(MembershipError, match="not in this circle"):
        membership.leave(member, circle)


def test_raising_the_capacity_fills_the_new_places_in_order(circle: Circle) -> None:
    for person in people(2, "Member"):
        make_membership(circle, person)
    now = timezone.now()
    queue = [
        make_membership(circle, person, Status.WAITING, waiting_since=now + timedelta(minutes=i))
        for i, person in enumerate(people(3, "Waiting"))
    ]
    Circle.objects.filter(pk=circle.pk).update(capacity=4)
    moved = membership.fill_places(circle)
    assert [row.pk for row in moved] == [queue[0].pk, queue[1].pk]
    assert Membership.objects.get(pk=queue[2].pk).status == Status.WAITING
    assert AuditEntry.objects.filter(verb="circles.membership.move_up").count() == 2


def test_fill_places_does_nothing_when_full_or_not_meeting(circle: Circle) -> None:
    for person in people(2, "Member"):
        make_membership(circle, person)
    waiting = make_membership(circle, make_user("Waiting"), Status.WAITING)
    assert membership.fill_places(circle) == []
    Circle.objects.filter(pk=circle.pk).update(capacity=5, is_active=False)
    assert membership.fill_places(circle) == []
    waiting.refresh_from_db()
    assert waiting.status == Status.WAITING


# --- Leaders: requests and removal ---------------------------------------------------


@pytest.fixture
def by_request(peer_supporter: User) -> Circle:
    return make_circle(peer_supporter, joining=Circle.Joining.REQUEST, capacity=1)


def test_a_leader_accepts_a_request_into_a_free_place(
    by_request: Circle, member: User, peer_supporter: User
) -> None:
    asked = make_membership(by_request, member, Status.REQUESTED)
    decided = membership.decide_request(peer_supporter, asked, accept=True)
    assert decided.status == Status.MEMBER
    assert decided.decided_by == peer_supporter
    assert Notice.objects.get(user=member).kind == Notice.Kind.APPROVED
    assert AuditEntry.objects.filter(verb="circles.membership.accept", actor_id=peer_supporter.pk)


def test_an_accepted_request_to_a_full_circle_joins_the_waiting_list(
    by_request: Circle, member: User, other_member: User, coordinator: User
) -> None:
    make_membership(by_request, other_member)
    asked = make_membership(by_request, member, Status.REQUESTED)
    decided = membership.decide_request(coordinator, asked, accept=True)
    assert decided.status == Status.WAITING
    assert decided.waiting_since is not None
    assert membership.waiting_position(decided) == 1


def test_a_declined_request_is_told_kindly_and_may_ask_again(
    by_request: Circle, member: User, peer_supporter: User
) -> None:
    asked = make_membership(by_request, member, Status.REQUESTED)
    decided = membership.decide_request(peer_supporter, asked, accept=False)
    assert decided.status == Status.DECLINED
    assert Notice.objects.get(user=member).kind == Notice.Kind.DECLINED
    again = membership.sign_up(member, by_request, age_confirmed=False)
    assert again.status == Status.REQUESTED


def test_only_leaders_decide_requests(
    by_request: Circle, member: User, other_member: User
) -> None:
    asked = make_membership(by_request, member, Status.REQUESTED)
    other_peer = make_user("Other peer", Role.PEER_SUPPORTER)
    for stranger in (other_member, other_peer, member):
        with pytest.raises(PermissionDenied):
            membership.decide_request(stranger, asked, accept=True)
    asked.refresh_from_db()
    assert asked.status == Status.REQUESTED
    assert not Notice.objects.exists()


def test_a_request_is_answered_once(
    by_request: Circle, member: User, peer_supporter: User
) -> None:
    asked = make_membership(by_request, member, Status.REQUESTED)
    membership.decide_request(peer_supporter, asked, accept=False)
    with pytest.raises(MembershipError, match="already been answered"):
        membership.decide_request(peer_supporter, asked, accept=True)
    asked.refresh_from_db()
    assert asked.status == Status.DECLINED


def test_removing_a_member_moves_the_waiting_list_and_bars_them(
    circle: Circle, member: User, peer_supporter: User
) -> None:
    removed_row = make_membership(circle, member)
    make_membership(circle, make_user("Stays"))
    waiting = make_membership(circle, make_user("Next"), Status.WAITING)
    removed = membership.remove_member(peer_supporter, removed_row)
    assert removed.status == Status.REMOVED
    assert removed.decided_by == peer_supporter
    waiting.refresh_from_db()
    assert waiting.status == Status.MEMBER
    with pytest.raises(MembershipError):
        membership.sign_up(member, circle, age_confirmed=False)
    with pytest.raises(MembershipError, match="no longer in the circle"):
        membership.remove_member(peer_supporter, removed_row)


def test_only_leaders_remove_people(circle: Circle, member: User, other_member: User) -> None:
    row = make_membership(circle, member)
    make_membership(circle, other_member)
    with pytest.raises(PermissionDenied):
        membership.remove_member(other_member, row)
    row.refresh_from_db()
    assert row.status == Status.MEMBER


# --- The people list -----------------------------------------------------------------


def test_people_of_lists_members_requests_and_the_queue_in_order(
    peer_supporter: User, django_assert_num_queries: object
) -> None:
    circle = make_circle(peer_supporter, capacity=2)
    make_membership(circle, make_user("zed"))
    make_membership(circle, make_user("Amy"))
    make_membership(circle, make_user("Asking"), Status.REQUESTED, request_note="Hello")
    now = timezone.now()
    make_membership(circle, make_user("Second"), Status.WAITING, waiting_since=now)
    make_membership(circle, make_user("First"), Status.WAITING, waiting_since=now - timedelta(1))
    make_membership(circle, make_user("Gone"), Status.LEFT)
    with django_assert_num_queries(1):  # type: ignore[operator]
        listed = membership.people_of(circle)
    assert [person.display_name for person in listed.members] == ["Amy", "zed"]
    assert [(person.display_name, person.note) for person in listed.requests] == [
        ("Asking", "Hello")
    ]
    assert [person.display_name for person in listed.waiting] == ["First", "Second"]
    assert all(person.note == "" for person in listed.members + listed.waiting)
