"""A peer's profile and availability pages, and the coordinators' peer page."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import Role, RoleGrant, User
from peerlight.peers.models import Availability, PeerProfile
from tests.conftest import delete_with_csrf, post_with_csrf, with_sudo

PROFILE = reverse("peers:profile")
AVAILABILITY = reverse("peers:availability")
STAFF_LIST = reverse("peers:staff_list")

type ClientFor = Callable[[User | None], Client]

PROFILE_DATA = {
    "experiences": ["grief", "trauma"],
    "experience_words": "",
    "topics": ["loss", "sleep"],
    "languages": ["en", "es"],
    "gender": "",
    "bio": "I lost my brother.",
    "max_chats": "2",
}


def make_url(person: User) -> str:
    return reverse("peers:staff_make", args=[person.pk])


def stop_url(person: User) -> str:
    return reverse("peers:staff_stop", args=[person.pk])


def holds_role(person: User) -> bool:
    return RoleGrant.objects.filter(
        user=person, role=Role.PEER_SUPPORTER, revoked_at__isnull=True
    ).exists()


# --- Profile ----------------------------------------------------------------------------


def test_a_peer_sees_their_profile_form(client_for: ClientFor, peer_profile: PeerProfile) -> None:
    response = client_for(peer_profile.user).get(PROFILE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your peer profile" in html
    assert re.search(r'value="grief" id="id_experiences_\d+" checked', html)
    assert not re.search(r'value="bipolar" id="id_experiences_\d+" checked', html)
    assert 'id="availability"' in html
    assert "peerlight/peers.css" in html


def test_a_new_peer_sees_a_blank_form(client_for: ClientFor, peer_supporter: User) -> None:
    response = client_for(peer_supporter).get(PROFILE)
    assert response.status_code == 200
    assert not PeerProfile.objects.exists()


def test_a_peer_saves_their_profile(client_for: ClientFor, peer_profile: PeerProfile) -> None:
    client = client_for(peer_profile.user)
    response = post_with_csrf(client, PROFILE, PROFILE_DATA)
    assert response.status_code == 302
    assert response["Location"] == PROFILE
    peer_profile.refresh_from_db()
    assert peer_profile.experiences == ["grief", "trauma"]
    assert peer_profile.languages == ["en", "es"]
    assert peer_profile.bio == "I lost my brother."
    assert "Your profile is saved." in client.get(PROFILE).content.decode()


def test_bad_profile_input_is_explained_and_nothing_changes(
    client_for: ClientFor, peer_profile: PeerProfile
) -> None:
    data = {**PROFILE_DATA, "languages": [], "topics": ["nope"]}
    response = post_with_csrf(client_for(peer_profile.user), PROFILE, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please choose at least one language." in html
    assert "Please choose from the list." in html
    peer_profile.refresh_from_db()
    assert peer_profile.bio == "I have been there."


@pytest.mark.parametrize("persona", ["member", "coordinator"])
def test_the_profile_is_not_found_for_non_peers(
    persona: str, request: pytest.FixtureRequest, client_for: ClientFor
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get(PROFILE).status_code == 404
    assert post_with_csrf(client, PROFILE, PROFILE_DATA).status_code == 404
    assert not PeerProfile.objects.exists()


def test_the_profile_sends_strangers_to_log_in(db: None) -> None:
    response = Client().get(PROFILE)
    assert response["Location"] == f"{reverse('accounts:login')}?next={PROFILE}"


def test_the_profile_refuses_other_methods(
    client_for: ClientFor, peer_profile: PeerProfile
) -> None:
    assert delete_with_csrf(client_for(peer_profile.user), PROFILE).status_code == 405


def test_the_profile_needs_the_csrf_token(
    client_for: ClientFor, peer_profile: PeerProfile
) -> None:
    response = client_for(peer_profile.user).post(PROFILE, PROFILE_DATA)
    assert response.status_code == 403
    peer_profile.refresh_from_db()
    assert peer_profile.languages == ["en"]


# --- Availability -----------------------------------------------------------------------


def test_without_javascript_it_goes_back_to_the_page(
    client_for: ClientFor, peer_profile: PeerProfile
) -> None:
    data = {"availability": "available", "next": "/talk/peer/"}
    response = post_with_csrf(client_for(peer_profile.user), AVAILABILITY, data)
    assert response.status_code == 302
    assert response["Location"] == "/talk/peer/"
    peer_profile.refresh_from_db()
    assert peer_profile.availability == Availability.AVAILABLE


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", ""])
def test_it_never_goes_back_to_another_site(
    client_for: ClientFor, peer_profile: PeerProfile, next_url: str
) -> None:
    data = {"availability": "busy", "next": next_url}
    response = post_with_csrf(client_for(peer_profile.user), AVAILABILITY, data)
    assert response["Location"] == PROFILE


def test_with_htmx_it_answers_with_the_partial(
    client_for: ClientFor, peer_profile: PeerProfile
) -> None:
    response = post_with_csrf(
        client_for(peer_profile.user),
        AVAILABILITY,
        {"availability": "busy", "next": PROFILE},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="availability"')
    assert "You are shown as: Busy" in html
    assert 'value="busy" aria-pressed="true"' in html
    assert f'name="next" value="{PROFILE}"' in html


def test_a_bad_availability_is_explained_and_nothing_changes(
    client_for: ClientFor, peer_profile: PeerProfile
) -> None:
    client = client_for(peer_profile.user)
    response = post_with_csrf(client, AVAILABILITY, {"availability": "asleep"})
    assert response.status_code == 400
    assert "Please choose available, busy or away." in response.content.decode()
    # htmx swaps in only a 200, so the refusal comes back as one to be seen.
    htmx = post_with_csrf(client, AVAILABILITY, {}, headers={"HX-Request": "true"})
    assert htmx.status_code == 200
    assert 'role="alert"' in htmx.content.decode()
    peer_profile.refresh_from_db()
    assert peer_profile.availability == Availability.AWAY


def test_an_empty_profile_cannot_be_available(client_for: ClientFor, peer_supporter: User) -> None:
    response = post_with_csrf(
        client_for(peer_supporter), AVAILABILITY, {"availability": "available"}
    )
    assert response.status_code == 400
    assert "with your languages" in response.content.decode()
    assert not PeerProfile.objects.exists()


def test_availability_is_not_found_for_members(client_for: ClientFor, member: User) -> None:
    response = post_with_csrf(client_for(member), AVAILABILITY, {"availability": "available"})
    assert response.status_code == 404


def test_availability_sends_strangers_to_log_in(db: None) -> None:
    response = post_with_csrf(
        Client(enforce_csrf_checks=True), AVAILABILITY, {"availability": "away"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_availability_is_post_only(client_for: ClientFor, peer_profile: PeerProfile) -> None:
    assert client_for(peer_profile.user).get(AVAILABILITY).status_code == 405


# --- Coordinators -----------------------------------------------------------------------


def test_coordinators_see_peer_supporters_and_their_state(
    client_for: ClientFor, coordinator: User, peer_profile: PeerProfile
) -> None:
    response = client_for(coordinator).get(STAFF_LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Jordan" in html
    assert "Away" in html
    assert stop_url(peer_profile.user) in html


def test_coordinators_search_for_someone_to_make_a_peer(
    client_for: ClientFor, coordinator: User, member: User, other_member: User
) -> None:
    html = client_for(coordinator).get(STAFF_LIST, {"q": "riv"}).content.decode()
    assert make_url(member) in html
    assert make_url(other_member) not in html


def test_administrators_may_use_the_page(client_for: ClientFor, admin_user: User) -> None:
    assert client_for(admin_user).get(STAFF_LIST).status_code == 200


@pytest.mark.parametrize("persona", ["member", "peer_supporter", "researcher"])
def test_the_staff_page_is_not_found_for_others(
    persona: str, request: pytest.FixtureRequest, client_for: ClientFor
) -> None:
    assert client_for(request.getfixturevalue(persona)).get(STAFF_LIST).status_code == 404


def test_the_staff_page_sends_strangers_to_log_in(db: None) -> None:
    response = Client().get(STAFF_LIST)
    assert response["Location"].startswith(reverse("accounts:login"))


def test_coordinators_pass_two_factor_first(coordinator: User) -> None:
    client = Client()
    client.force_login(coordinator)
    response = client.get(STAFF_LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two-factor-setup"))


def test_the_staff_page_refuses_other_methods(client_for: ClientFor, coordinator: User) -> None:
    assert post_with_csrf(client_for(coordinator), STAFF_LIST).status_code == 405


def test_a_coordinator_makes_a_peer_supporter(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    client = with_sudo(client_for(coordinator))
    response = post_with_csrf(client, make_url(member), {"next": STAFF_LIST})
    assert response.status_code == 302
    assert response["Location"] == STAFF_LIST
    assert holds_role(member)
    assert PeerProfile.objects.get(user=member).is_active
    assert "River is now a peer supporter." in client.get(STAFF_LIST).content.decode()


def test_a_coordinator_stops_a_peer_supporter(
    client_for: ClientFor, coordinator: User, peer_profile: PeerProfile
) -> None:
    client = with_sudo(client_for(coordinator))
    response = post_with_csrf(client, stop_url(peer_profile.user))
    assert response.status_code == 302
    assert not holds_role(peer_profile.user)
    peer_profile.refresh_from_db()
    assert not peer_profile.is_active


def test_making_and_stopping_ask_for_the_password_again(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    client = client_for(coordinator)
    response = post_with_csrf(client, make_url(member), {"next": STAFF_LIST})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:confirm-password"))
    assert not holds_role(member)


def test_refused_changes_are_explained(
    client_for: ClientFor, coordinator: User, member: User, peer_profile: PeerProfile
) -> None:
    client = with_sudo(client_for(coordinator))
    again = post_with_csrf(client, make_url(peer_profile.user))
    assert again.status_code == 400
    assert "a peer supporter already" in again.content.decode()
    not_peer = post_with_csrf(client, stop_url(member))
    assert not_peer.status_code == 400
    assert "not a peer supporter" in not_peer.content.decode()
    assert not holds_role(member)


def test_an_unknown_person_is_not_found(client_for: ClientFor, coordinator: User) -> None:
    client = with_sudo(client_for(coordinator))
    assert post_with_csrf(client, reverse("peers:staff_make", args=[999_999])).status_code == 404


@pytest.mark.parametrize("persona", ["member", "peer_supporter", "researcher"])
def test_others_cannot_make_or_stop(
    persona: str, request: pytest.FixtureRequest, client_for: ClientFor, other_member: User
) -> None:
    client = with_sudo(client_for(request.getfixturevalue(persona)))
    assert post_with_csrf(client, make_url(other_member)).status_code == 404
    assert post_with_csrf(client, stop_url(other_member)).status_code == 404
    assert not holds_role(other_member)


def test_make_and_stop_are_post_only(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    client = with_sudo(client_for(coordinator))
    assert client.get(make_url(member)).status_code == 405
    assert client.get(stop_url(member)).status_code == 405
