"""The staff people pages: finding accounts, and giving and taking away roles."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from peerlight.accounts import actions
from peerlight.accounts.models import Role, RoleGrant, User
from peerlight.audit.models import AuditEntry
from tests.conftest import post_with_csrf, with_sudo

PEOPLE = reverse("accounts:staff-people")


def person_url(person: User) -> str:
    return reverse("accounts:staff-person", args=[person.pk])


def grant_url(person: User) -> str:
    return reverse("accounts:staff-grant-role", args=[person.pk])


def revoke_url(person: User) -> str:
    return reverse("accounts:staff-revoke-role", args=[person.pk])


def active_roles(person: User) -> set[str]:
    grants = RoleGrant.objects.filter(user=person, revoked_at__isnull=True)
    return set(grants.values_list("role", flat=True))


@pytest.fixture
def staff_client(client_for: Callable[[User | None], Client]) -> Callable[[User], Client]:
    """A verified staff client that also confirmed the password a moment ago."""

    def make(user: User) -> Client:
        return with_sudo(client_for(user), seconds_left=60)

    return make


# --- The list -------------------------------------------------------------------------------


def test_the_list_shows_people(
    client_for: Callable[[User | None], Client],
    coordinator: User,
    member: User,
    peer_supporter: User,
) -> None:
    response = client_for(coordinator).get(PEOPLE)
    assert response.status_code == 200
    html = response.content.decode()
    assert person_url(member) in html
    assert person_url(peer_supporter) in html
    assert "Peer supporter" in html


def test_the_list_searches_by_display_name(
    client_for: Callable[[User | None], Client],
    coordinator: User,
    member: User,
    other_member: User,
) -> None:
    html = client_for(coordinator).get(PEOPLE, {"q": "riv"}).content.decode()
    assert person_url(member) in html
    assert person_url(other_member) not in html


def test_the_list_is_paginated_in_few_queries(
    client_for: Callable[[User | None], Client],
    coordinator: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    people = User.objects.bulk_create(
        User(display_name=f"Person {number:02d}", password="!") for number in range(30)
    )
    RoleGrant.objects.bulk_create(RoleGrant(user=p, role=Role.PEER_SUPPORTER) for p in people)
    client = client_for(coordinator)
    with django_assert_max_num_queries(12):
        first = client.get(PEOPLE)
    html = first.content.decode()
    assert "Page 1 of 2" in html
    assert "Person 00" in html
    assert "Person 29" not in html
    second = client.get(PEOPLE, {"page": "2"}).content.decode()
    assert "Person 29" in second


def test_the_list_is_for_coordinators_and_admins(
    client_for: Callable[[User | None], Client], admin_user: User
) -> None:
    assert client_for(admin_user).get(PEOPLE).status_code == 200


def test_the_list_is_hidden_from_everyone_else(
    client_for: Callable[[User | None], Client],
    member: User,
    peer_supporter: User,
    researcher: User,
) -> None:
    for person in (member, peer_supporter, researcher):
        assert client_for(person).get(PEOPLE).status_code == 404


def test_the_list_sends_strangers_to_log_in(db: None) -> None:
    response = Client().get(PEOPLE)
    assert response["Location"] == f"{reverse('accounts:login')}?next={PEOPLE}"


def test_the_list_refuses_other_methods(
    client_for: Callable[[User | None], Client], coordinator: User
) -> None:
    assert post_with_csrf(client_for(coordinator), PEOPLE, {}).status_code == 405


# --- A person's page ---------------------------------------------------------------------------


def test_the_person_page_shows_roles_and_is_audited(
    client_for: Callable[[User | None], Client], coordinator: User, peer_supporter: User
) -> None:
    response = client_for(coordinator).get(person_url(peer_supporter))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Jordan" in html
    assert "Peer supporter" in html
    assert revoke_url(peer_supporter) in html
    entry = AuditEntry.objects.get(verb="account.view")
    assert entry.action == "read"
    assert entry.actor_id == coordinator.pk
    assert entry.subject_id == peer_supporter.pk


def test_the_person_page_offers_only_roles_one_may_give(
    client_for: Callable[[User | None], Client], coordinator: User, member: User
) -> None:
    html = client_for(coordinator).get(person_url(member)).content.decode()
    assert '<option value="peer_supporter">' in html
    assert '<option value="admin">' not in html
    assert '<option value="coordinator">' not in html


def test_the_person_page_of_nobody_is_not_found(
    client_for: Callable[[User | None], Client], coordinator: User
) -> None:
    response = client_for(coordinator).get(reverse("accounts:staff-person", args=[999_999]))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(verb="account.view").exists()


def test_the_person_page_is_hidden_from_everyone_else(
    client_for: Callable[[User | None], Client],
    member: User,
    other_member: User,
    researcher: User,
) -> None:
    for viewer in (other_member, researcher):
        assert client_for(viewer).get(person_url(member)).status_code == 404
    assert not AuditEntry.objects.filter(verb="account.view").exists()


def test_the_person_page_sends_strangers_to_log_in(member: User) -> None:
    assert Client().get(person_url(member))["Location"].startswith(reverse("accounts:login"))


def test_the_person_page_refuses_other_methods(
    client_for: Callable[[User | None], Client], coordinator: User, member: User
) -> None:
    assert post_with_csrf(client_for(coordinator), person_url(member), {}).status_code == 405


# --- Giving roles ----------------------------------------------------------------------


def test_a_coordinator_gives_the_peer_supporter_role(
    staff_client: Callable[[User], Client], coordinator: User, member: User
) -> None:
    response = post_with_csrf(
        staff_client(coordinator), grant_url(member), {"role": "peer_supporter"}
    )
    assert response.status_code == 302
    assert response["Location"] == person_url(member)
    assert active_roles(member) == {"peer_supporter"}
    grant = RoleGrant.objects.get(user=member)
    assert grant.granted_by == coordinator
    entry = AuditEntry.objects.get(verb="role.grant")
    assert (entry.actor_id, entry.subject_id, entry.reason) == (
        coordinator.pk,
        member.pk,
        "peer_supporter",
    )


@pytest.mark.parametrize("role", ["coordinator", "researcher", "admin"])
def test_a_coordinator_may_not_give_staff_roles(
    staff_client: Callable[[User], Client], coordinator: User, member: User, role: str
) -> None:
    response = post_with_csrf(staff_client(coordinator), grant_url(member), {"role": role})
    assert response.status_code == 403
    assert active_roles(member) == set()
    assert not AuditEntry.objects.filter(verb="role.grant").exists()


@pytest.mark.parametrize("role", ["peer_supporter", "coordinator", "researcher", "admin"])
def test_an_admin_gives_any_role(
    staff_client: Callable[[User], Client], admin_user: User, member: User, role: str
) -> None:
    response = post_with_csrf(staff_client(admin_user), grant_url(member), {"role": role})
    assert response.status_code == 302
    assert active_roles(member) == {role}


def test_giving_a_role_held_already_changes_nothing(
    staff_client: Callable[[User], Client], coordinator: User, peer_supporter: User
) -> None:
    response = post_with_csrf(
        staff_client(coordinator), grant_url(peer_supporter), {"role": "peer_supporter"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "already has that role" in html
    assert 'aria-describedby="grant-role_error"' in html
    assert RoleGrant.objects.filter(user=peer_supporter).count() == 1


@pytest.mark.parametrize("role", ["member", "emperor", ""])
def test_giving_a_made_up_role_changes_nothing(
    staff_client: Callable[[User], Client], admin_user: User, member: User, role: str
) -> None:
    response = post_with_csrf(staff_client(admin_user), grant_url(member), {"role": role})
    assert response.status_code == 400
    assert active_roles(member) == set()


def test_giving_a_role_needs_a_recent_password(
    client_for: Callable[[User | None], Client], coordinator: User, member: User
) -> None:
    data = {"role": "peer_supporter", "next": person_url(member)}
    response = post_with_csrf(client_for(coordinator), grant_url(member), data)
    assert response["Location"] == (
        f"{reverse('accounts:confirm-password')}?next={quote(person_url(member), safe='')}"
    )
    assert active_roles(member) == set()


def test_giving_a_role_is_hidden_from_everyone_else(
    staff_client: Callable[[User], Client],
    peer_supporter: User,
    researcher: User,
    member: User,
) -> None:
    for actor in (peer_supporter, researcher):
        response = post_with_csrf(
            staff_client(actor), grant_url(member), {"role": "peer_supporter"}
        )
        assert response.status_code == 404
    assert active_roles(member) == set()


def test_giving_a_role_sends_strangers_to_log_in(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    response = post_with_csrf(client_for(None), grant_url(member), {"role": "admin"})
    assert response["Location"].startswith(reverse("accounts:login"))
    assert active_roles(member) == set()


def test_giving_a_role_needs_post(
    staff_client: Callable[[User], Client], coordinator: User, member: User
) -> None:
    assert staff_client(coordinator).get(grant_url(member)).status_code == 405


def test_a_new_role_takes_effect_at_once(
    staff_client: Callable[[User], Client],
    client_for: Callable[[User | None], Client],
    admin_user: User,
    member: User,
) -> None:
    members_phone = client_for(member)
    assert members_phone.get(PEOPLE).status_code == 404
    post_with_csrf(staff_client(admin_user), grant_url(member), {"role": "coordinator"})
    # Now a coordinator, who must still pass two-factor before seeing the page.
    assert members_phone.get(PEOPLE).status_code == 302


# --- Taking roles away -----------------------------------------------------------------


def test_a_coordinator_takes_away_the_peer_supporter_role(
    staff_client: Callable[[User], Client], coordinator: User, peer_supporter: User
) -> None:
    response = post_with_csrf(
        staff_client(coordinator), revoke_url(peer_supporter), {"role": "peer_supporter"}
    )
    assert response["Location"] == person_url(peer_supporter)
    assert active_roles(peer_supporter) == set()
    grant = RoleGrant.objects.get(user=peer_supporter)
    assert grant.revoked_at is not None
    assert AuditEntry.objects.filter(verb="role.revoke", subject_id=peer_supporter.pk).exists()


def test_a_coordinator_may_not_take_away_staff_roles(
    staff_client: Callable[[User], Client], coordinator: User, admin_user: User
) -> None:
    response = post_with_csrf(staff_client(coordinator), revoke_url(admin_user), {"role": "admin"})
    assert response.status_code == 403
    assert active_roles(admin_user) == {"admin"}


def test_taking_away_a_role_not_held_changes_nothing(
    staff_client: Callable[[User], Client], coordinator: User, member: User
) -> None:
    response = post_with_csrf(
        staff_client(coordinator), revoke_url(member), {"role": "peer_supporter"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "does not have that role" in html
    assert not AuditEntry.objects.filter(verb="role.revoke").exists()


def test_the_last_admin_stays(staff_client: Callable[[User], Client], admin_user: User) -> None:
    response = post_with_csrf(staff_client(admin_user), revoke_url(admin_user), {"role": "admin"})
    assert response.status_code == 400
    assert "at least one administrator" in response.content.decode()
    assert active_roles(admin_user) == {"admin"}


def test_an_admin_steps_down_when_another_remains(
    staff_client: Callable[[User], Client], admin_user: User, coordinator: User
) -> None:
    actions.grant_role(admin_user, coordinator, Role.ADMIN)
    response = post_with_csrf(staff_client(admin_user), revoke_url(admin_user), {"role": "admin"})
    assert response.status_code == 302
    assert active_roles(admin_user) == set()


def test_taking_away_a_role_is_hidden_from_members(
    staff_client: Callable[[User], Client], member: User, peer_supporter: User
) -> None:
    response = post_with_csrf(
        staff_client(member), revoke_url(peer_supporter), {"role": "peer_supporter"}
    )
    assert response.status_code == 404
    assert active_roles(peer_supporter) == {"peer_supporter"}


def test_taking_away_a_role_needs_post(
    staff_client: Callable[[User], Client], coordinator: User, peer_supporter: User
) -> None:
    assert staff_client(coordinator).get(revoke_url(peer_supporter)).status_code == 405


def test_a_role_can_be_given_again_after_it_was_taken_away(admin_user: User, member: User) -> None:
    actions.grant_role(admin_user, member, Role.RESEARCHER)
    actions.revoke_role(admin_user, member, Role.RESEARCHER)
    actions.grant_role(admin_user, member, Role.RESEARCHER)
    assert member.role_set() == {Role.MEMBER, Role.RESEARCHER}
    assert RoleGrant.objects.filter(user=member).count() == 2


def test_the_actions_check_who_acts(member: User, other_member: User) -> None:
    with pytest.raises(PermissionDenied):
        actions.grant_role(other_member, member, Role.PEER_SUPPORTER)
    with pytest.raises(ValidationError):
        actions.grant_role(other_member, member, Role.MEMBER)
    assert active_roles(member) == set()
