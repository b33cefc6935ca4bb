"""Every write to peer profiles: who may make it, what it changes, what it refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from peerlight.accounts.models import Role, RoleGrant, User
from peerlight.audit.models import AuditEntry
from peerlight.peers import actions
from peerlight.peers.models import Availability, PeerProfile
from tests.conftest import make_user


def holds_role(person: User) -> bool:
    return RoleGrant.objects.filter(
        user=person, role=Role.PEER_SUPPORTER, revoked_at__isnull=True
    ).exists()


def verbs(subject: User) -> list[str]:
    entries = AuditEntry.objects.filter(subject_id=subject.pk).order_by("pk")
    return list(entries.values_list("verb", flat=True))


# --- Making and stopping peer supporters -----------------------------------------------


def test_a_coordinator_makes_a_member_a_peer_supporter(coordinator: User, member: User) -> None:
    profile = actions.make_peer_supporter(coordinator, member)
    assert holds_role(member)
    assert profile.user == member
    assert profile.is_active
    assert profile.availability == Availability.AWAY
    assert verbs(member) == ["role.grant", "peer.activate"]


def test_an_administrator_may_too(admin_user: User, member: User) -> None:
    actions.make_peer_supporter(admin_user, member)
    assert holds_role(member)


@pytest.mark.parametrize("persona", ["member", "other_member", "peer_supporter", "researcher"])
def test_nobody_else_may(persona: str, request: pytest.FixtureRequest, member: User) -> None:
    actor: User = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        actions.make_peer_supporter(actor, member)
    assert not holds_role(member)
    assert not PeerProfile.objects.filter(user=member).exists()


def test_making_an_active_peer_again_is_refused(
    coordinator: User, peer_profile: PeerProfile
) -> None:
    with pytest.raises(ValidationError, match="already"):
        actions.make_peer_supporter(coordinator, peer_profile.user)


def test_a_role_holder_without_a_profile_gets_one(coordinator: User, peer_supporter: User) -> None:
    profile = actions.make_peer_supporter(coordinator, peer_supporter)
    assert profile.is_active
    assert RoleGrant.objects.filter(user=peer_supporter, role=Role.PEER_SUPPORTER).count() == 1


def test_closed_and_guest_accounts_cannot_become_peers(coordinator: User, member: User) -> None:
    guest = make_user("Guest 1234")
    guest.is_guest = True
    guest.save()
    member.is_active = False
    member.save()
    for person in (guest, member):
        with pytest.raises(ValidationError):
            actions.make_peer_supporter(coordinator, person)
        assert not holds_role(person)


def test_stopping_revokes_the_role_and_keeps_the_profile_inactive(
    coordinator: User, peer_profile: PeerProfile
) -> None:
    peer_profile.availability = Availability.AVAILABLE
    peer_profile.save()
    actions.stop_peer_supporter(coordinator, peer_profile.user)
    peer_profile.refresh_from_db()
    assert not holds_role(peer_profile.user)
    assert not peer_profile.is_active
    assert peer_profile.availability == Availability.AWAY
    assert peer_profile.bio == "I have been there."
    assert verbs(peer_profile.user)[-2:] == ["role.revoke", "peer.deactivate"]


def test_a_returning_peer_gets_their_old_profile_back(
    coordinator: User, peer_profile: PeerProfile
) -> None:
    actions.stop_peer_supporter(coordinator, peer_profile.user)
    again = actions.make_peer_supporter(coordinator, peer_profile.user)
    assert again.pk == peer_profile.pk
    assert again.is_active
    assert again.experiences == ["anxiety", "grief"]
    assert holds_role(peer_profile.user)


def test_stopping_someone_who_is_not_a_peer_is_refused(coordinator: User, member: User) -> None:
    with pytest.raises(ValidationError, match="not a peer supporter"):
        actions.stop_peer_supporter(coordinator, member)


def test_a_peer_cannot_stop_a_peer(peer_profile: PeerProfile) -> None:
    other = make_user("Other peer", Role.PEER_SUPPORTER)
    with pytest.raises(PermissionDenied):
        actions.stop_peer_supporter(other, peer_profile.user)
    assert holds_role(peer_profile.user)


def test_a_failed_grant_leaves_no_profile(coordinator: User, member: User) -> None:
    coordinator.is_active = False
    coordinator.save()
    with pytest.raises(PermissionDenied):
        actions.make_peer_supporter(coordinator, member)
    assert not PeerProfile.objects.exists()


# --- A peer's own profile --------------------------------------------------------------


def test_a_peer_updates_their_profile(peer_profile: PeerProfile) -> None:
    before = peer_profile.updated_at
    profile = actions.update_profile(
        peer_profile.user,
        experiences=["trauma", "military", "trauma"],
        experience_words="  Twenty years of service.  ",
        languages=["en", "fr"],
        topics=["sleep"],
        gender="woman",
        bio="Here to listen.",
        max_chats=4,
    )
    profile.refresh_from_db()
    assert profile.experiences == ["trauma", "military"]
    assert profile.experience_words == "Twenty years of service."
    assert profile.languages == ["en", "fr"]
    assert profile.gender == "woman"
    assert profile.max_chats == 4
    assert profile.updated_at > before
    assert verbs(peer_profile.user) == ["peer.profile.update"]


def test_a_partial_update_changes_only_what_is_given(peer_profile: PeerProfile) -> None:
    actions.update_profile(peer_profile.user, bio="New words.")
    peer_profile.refresh_from_db()
    assert peer_profile.bio == "New words."
    assert peer_profile.experiences == ["anxiety", "grief"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"experiences": ["not_a_code"]}, "experiences"),
        ({"topics": ["sleep", "nope"]}, "topics"),
        ({"languages": ["klingon"]}, "languages"),
        ({"languages": []}, "languages"),
        ({"gender": "robot"}, "gender"),
        ({"bio": "x" * 601}, "bio"),
        ({"experience_words": "x" * 301}, "experience_words"),
        ({"max_chats": 0}, "max_chats"),
        ({"max_chats": 6}, "max_chats"),
        ({"max_chats": "2"}, "max_chats"),
    ],
)
def test_bad_profile_values_are_refused_and_nothing_changes(
    peer_profile: PeerProfile, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        actions.update_profile(peer_profile.user, **{"topics": ["sleep"], **fields})
    assert field in caught.value.message_dict
    peer_profile.refresh_from_db()
    assert peer_profile.topics == ["loneliness"]
    assert peer_profile.bio == "I have been there."
    assert verbs(peer_profile.user) == []


def test_fields_outside_the_profile_are_refused(peer_profile: PeerProfile) -> None:
    with pytest.raises(TypeError):
        actions.update_profile(peer_profile.user, is_active=False)


def test_a_member_has_no_profile_to_update(member: User) -> None:
    with pytest.raises(PermissionDenied):
        actions.update_profile(member, languages=["en"])
    assert not PeerProfile.objects.exists()


def test_a_new_peer_creates_their_profile_on_first_save(peer_supporter: User) -> None:
    actions.update_profile(peer_supporter, languages=["es"])
    assert PeerProfile.objects.get(user=peer_supporter).languages == ["es"]


def test_a_first_save_without_a_language_creates_nothing(peer_supporter: User) -> None:
    with pytest.raises(ValidationError):
        actions.update_profile(peer_supporter, bio="Hello.")
    assert not PeerProfile.objects.exists()


# --- Availability and chat times --------------------------------------------------------


@pytest.mark.parametrize("state", Availability.values)
def test_a_peer_sets_their_availability(peer_profile: PeerProfile, state: str) -> None:
    actions.set_availability(peer_profile.user, state)
    peer_profile.refresh_from_db()
    assert peer_profile.availability == state


def test_an_unknown_availability_is_refused(peer_profile: PeerProfile) -> None:
    with pytest.raises(ValidationError):
        actions.set_availability(peer_profile.user, "asleep")
    peer_profile.refresh_from_db()
    assert peer_profile.availability == Availability.AWAY


def test_a_peer_without_languages_cannot_be_available(peer_supporter: User) -> None:
    with pytest.raises(ValidationError, match="languages"):
        actions.set_availability(peer_supporter, Availability.AVAILABLE)
    assert not PeerProfile.objects.exists()


def test_a_member_cannot_set_availability(member: User) -> None:
    with pytest.raises(PermissionDenied):
        actions.set_availability(member, Availability.AWAY)


def test_a_stopped_peer_cannot_set_availability(
    coordinator: User, peer_profile: PeerProfile
) -> None:
    actions.stop_peer_supporter(coordinator, peer_profile.user)
    with pytest.raises(PermissionDenied):
        actions.set_availability(peer_profile.user, Availability.AVAILABLE)


def test_the_last_chat_time_only_moves_forward(peer_profile: PeerProfile) -> None:
    now = timezone.now()
    actions.record_chat_ended(peer_profile.user, now)
    actions.record_chat_ended(peer_profile.user, now - timedelta(minutes=5))
    peer_profile.refresh_from_db()
    assert peer_profile.last_chat_ended_at == now
    later = now + timedelta(minutes=1)
    actions.record_chat_ended(peer_profile.user, later)
    peer_profile.refresh_from_db()
    assert peer_profile.last_chat_ended_at == later
