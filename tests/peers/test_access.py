"""Reads of peer profiles: only peer supporters have one, only staff see the list."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from peerlight.accounts.models import Role, RoleGrant, User
from peerlight.peers import access
from peerlight.peers.models import Availability, PeerProfile
from tests.conftest import make_user


def test_a_peer_supporter_has_their_profile(peer_profile: PeerProfile) -> None:
    assert access.profile_for(peer_profile.user) == peer_profile


def test_a_member_has_none(member: User) -> None:
    PeerProfile.objects.create(user=member, languages=["en"])
    assert access.profile_for(member) is None


def test_an_inactive_profile_counts_for_nothing(peer_profile: PeerProfile) -> None:
    peer_profile.is_active = False
    peer_profile.save()
    assert access.profile_for(peer_profile.user) is None


def test_a_revoked_role_or_closed_account_hides_the_profile(peer_profile: PeerProfile) -> None:
    user = User.objects.get(pk=peer_profile.user_id)
    RoleGrant.objects.filter(user=user).update(revoked_at=timezone.now())
    assert access.profile_for(user) is None
    closed = make_user("Closed peer", Role.PEER_SUPPORTER)
    PeerProfile.objects.create(user=closed, languages=["en"])
    closed.is_active = False
    closed.save()
    assert access.profile_for(closed) is None


def test_own_profile_is_blank_before_the_first_save(peer_supporter: User) -> None:
    profile = access.own_profile(peer_supporter)
    assert profile.pk is None
    assert profile.user == peer_supporter
    assert profile.availability == Availability.AWAY


def test_own_profile_is_not_found_for_members(member: User) -> None:
    with pytest.raises(Http404):
        access.own_profile(member)


def test_online_profiles_are_available_active_role_holders(
    peer_profile: PeerProfile, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    peer_profile.availability = Availability.AVAILABLE
    peer_profile.save()
    away = PeerProfile.objects.create(user=make_user("Away peer", Role.PEER_SUPPORTER))
    stopped = PeerProfile.objects.create(
        user=make_user("Stopped peer"), availability=Availability.AVAILABLE
    )
    inactive = PeerProfile.objects.create(
        user=make_user("Inactive peer", Role.PEER_SUPPORTER),
        availability=Availability.AVAILABLE,
        is_active=False,
    )
    with django_assert_num_queries(1):
        online = access.online_profiles()
        # The user comes with the profile: no query per peer.
        assert online[0].user.display_name == "Jordan"
    assert online == [peer_profile]
    assert {away, stopped, inactive}.isdisjoint(online)


def test_staff_list_peer_supporters_with_their_profiles(
    coordinator: User, peer_profile: PeerProfile, member: User
) -> None:
    no_profile = make_user("New peer", Role.PEER_SUPPORTER)
    rows = access.peer_supporters_for_staff(coordinator)
    assert [(row.person, row.profile) for row in rows] == [
        (peer_profile.user, peer_profile),
        (no_profile, None),
    ]
    assert all(row.is_peer for row in rows)


def test_staff_search_finds_open_signed_up_accounts(
    coordinator: User, member: User, peer_profile: PeerProfile
) -> None:
    guest = make_user("Rivet guest")
    guest.is_guest = True
    guest.save()
    closed = make_user("Riverbank")
    closed.is_active = False
    closed.save()
    rows = access.search_members_for_staff(coordinator, "riv")
    assert [row.person for row in rows] == [member]
    assert not rows[0].is_peer
    [peer_row] = access.search_members_for_staff(coordinator, "jord")
    assert peer_row.is_peer
    assert peer_row.profile == peer_profile


def test_an_empty_search_finds_nobody(coordinator: User, member: User) -> None:
    assert access.search_members_for_staff(coordinator, "   ") == []


@pytest.mark.parametrize("persona", ["member", "peer_supporter", "researcher"])
def test_the_staff_reads_are_not_found_for_others(
    persona: str, request: pytest.FixtureRequest
) -> None:
    viewer: User = request.getfixturevalue(persona)
    with pytest.raises(Http404):
        access.peer_supporters_for_staff(viewer)
    with pytest.raises(Http404):
        access.search_members_for_staff(viewer, "a")
