"""Peer notes: written by peer supporters, read by a coordinator first, shown without names."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.directory import actions
from peerlight.directory.models import PeerNote, Service
from peerlight.lib import ratelimit
from tests.conftest import post_with_csrf
from tests.directory.factories import make_service

type ClientFor = Callable[[User | None], Client]

QUEUE = reverse("directory:notes_queue")
KIND_NOTE = "They have Spanish-speaking staff; the waiting room is calm."


@pytest.fixture
def service(db: None) -> Service:
    return make_service("Harbor Clinic")


def note_url(service: Service) -> str:
    return reverse("directory:add_note", args=[service.id])


def review_url(note: PeerNote) -> str:
    return reverse("directory:review_note", args=[note.pk])


def waiting_note(service: Service, author: User, body: str = KIND_NOTE) -> PeerNote:
    return PeerNote.objects.create(service=service, author=author, body=body)


# --- Writing ---------------------------------------------------------------------------------


def test_a_peer_supporter_sees_the_form(
    client_for: ClientFor, peer_supporter: User, service: Service
) -> None:
    response = client_for(peer_supporter).get(note_url(service))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Add a peer note" in html
    assert 'maxlength="280"' in html


def test_a_peer_supporters_note_waits_for_review(
    client_for: ClientFor, peer_supporter: User, service: Service
) -> None:
    client = client_for(peer_supporter)
    response = post_with_csrf(client, note_url(service), {"body": f"  {KIND_NOTE}  "})
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:service", args=[service.id])
    note = PeerNote.objects.get()
    assert note.body == KIND_NOTE
    assert note.author == peer_supporter
    assert note.status == PeerNote.Status.PENDING
    entry = AuditEntry.objects.get(verb="directory.note.write")
    assert entry.actor_id == peer_supporter.pk
    assert entry.target_id == str(note.pk)
    page = client.get(response["Location"]).content.decode()
    assert "A coordinator will read your note before it is shown." in page
    assert KIND_NOTE not in page.replace("&#x27;", "'")


@pytest.mark.parametrize(
    "body",
    [
        "Ask for Dana, her cell is 541-555-0134.",
        "Write to dana.smith@example.org first.",
        "Add me on instagram: @dana_helps",
    ],
)
def test_contact_details_are_refused_kindly(
    client_for: ClientFor, peer_supporter: User, service: Service, body: str
) -> None:
    response = post_with_csrf(client_for(peer_supporter), note_url(service), {"body": body})
    assert response.status_code == 400
    assert "Please leave out phone numbers, e-mail addresses" in response.content.decode()
    assert not PeerNote.objects.exists()
    assert not AuditEntry.objects.filter(verb="directory.note.write").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x" * 281, "Please keep your note to 280 characters or fewer."),
        ("   ", "Please write your note."),
    ],
)
def test_bad_notes_change_nothing(
    client_for: ClientFor, peer_supporter: User, service: Service, body: str, message: str
) -> None:
    response = post_with_csrf(client_for(peer_supporter), note_url(service), {"body": body})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PeerNote.objects.exists()


@pytest.mark.parametrize("persona", ["member", "coordinator", "researcher"])
def test_only_peer_supporters_may_write(
    request: pytest.FixtureRequest, client_for: ClientFor, service: Service, persona: str
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get(note_url(service)).status_code == 404
    assert post_with_csrf(client, note_url(service), {"body": KIND_NOTE}).status_code == 404
    assert not PeerNote.objects.exists()


def test_visitors_are_asked_to_sign_in(client_for: ClientFor, service: Service) -> None:
    response = client_for(None).get(note_url(service))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_note_on_an_unknown_service_is_not_found(
    client_for: ClientFor, peer_supporter: User
) -> None:
    url = reverse("directory:add_note", args=[uuid.uuid4()])
    assert client_for(peer_supporter).get(url).status_code == 404


def test_too_many_notes_are_slowed_down(
    client_for: ClientFor,
    peer_supporter: User,
    service: Service,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(actions, "NOTE_AUTHOR", ratelimit.Policy("test-notes", 1, 3600))
    client = client_for(peer_supporter)
    assert post_with_csrf(client, note_url(service), {"body": "Calm."}).status_code == 302
    response = post_with_csrf(client, note_url(service), {"body": "Very calm."})
    assert response.status_code == 429
    assert "Please take a short break" in response.content.decode()
    assert PeerNote.objects.count() == 1


# --- Reviewing -------------------------------------------------------------------------------


def test_coordinators_see_the_notes_waiting(
    client_for: ClientFor, coordinator: User, peer_supporter: User, service: Service
) -> None:
    waiting_note(service, peer_supporter)
    PeerNote.objects.create(
        service=service, author=peer_supporter, body="Old one", status=PeerNote.Status.PUBLISHED
    )
    response = client_for(coordinator).get(QUEUE)
    assert response.status_code == 200
    html = response.content.decode()
    assert escape_quotes(KIND_NOTE) in html
    assert "By Jordan" in html
    assert "Old one" not in html


def escape_quotes(text: str) -> str:
    return text.replace("'", "&#x27;")


def test_publishing_shows_the_note_without_its_writer(
    client_for: ClientFor, coordinator: User, peer_supporter: User, service: Service
) -> None:
    note = waiting_note(service, peer_supporter)
    client = client_for(coordinator)
    response = post_with_csrf(client, review_url(note), {"decision": "publish"})
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    note.refresh_from_db()
    assert note.status == PeerNote.Status.PUBLISHED
    assert note.reviewed_by == coordinator
    assert note.reviewed_at is not None
    entry = AuditEntry.objects.get(verb="directory.note.publish")
    assert entry.actor_id == coordinator.pk
    assert entry.subject_id == peer_supporter.pk
    page = client_for(None).get(reverse("directory:service", args=[service.id]))
    html = page.content.decode()
    assert escape_quotes(KIND_NOTE) in html
    assert "A peer supporter, " in html
    assert "Jordan" not in html


def test_a_rejected_note_is_never_shown(
    client_for: ClientFor, coordinator: User, peer_supporter: User, service: Service
) -> None:
    note = waiting_note(service, peer_supporter)
    response = post_with_csrf(client_for(coordinator), review_url(note), {"decision": "reject"})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.status == PeerNote.Status.REJECTED
    assert AuditEntry.objects.filter(verb="directory.note.reject").count() == 1
    page = client_for(None).get(reverse("directory:service", args=[service.id]))
    assert escape_quotes(KIND_NOTE) not in page.content.decode()


def test_a_strange_decision_changes_nothing(
    client_for: ClientFor, coordinator: User, peer_supporter: User, service: Service
) -> None:
    note = waiting_note(service, peer_supporter)
    response = post_with_csrf(client_for(coordinator), review_url(note), {"decision": "maybe"})
    assert response.status_code == 400
    note.refresh_from_db()
    assert note.status == PeerNote.Status.PENDING


def test_a_note_is_reviewed_once(
    client_for: ClientFor, coordinator: User, peer_supporter: User, service: Service
) -> None:
    note = waiting_note(service, peer_supporter)
    client = client_for(coordinator)
    post_with_csrf(client, review_url(note), {"decision": "reject"})
    response = post_with_csrf(client, review_url(note), {"decision": "publish"})
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.status == PeerNote.Status.REJECTED


@pytest.mark.parametrize("persona", ["member", "peer_supporter", "researcher"])
def test_only_coordinators_review(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    peer_supporter: User,
    service: Service,
    persona: str,
) -> None:
    note = waiting_note(service, peer_supporter)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(QUEUE).status_code == 404
    assert post_with_csrf(client, review_url(note), {"decision": "publish"}).status_code == 404
    note.refresh_from_db()
    assert note.status == PeerNote.Status.PENDING


def test_visitors_are_sent_to_sign_in_and_cannot_review(
    client_for: ClientFor, peer_supporter: User, service: Service
) -> None:
    note = waiting_note(service, peer_supporter)
    client = client_for(None)
    assert client.get(QUEUE)["Location"].startswith(reverse("accounts:login"))
    post_with_csrf(client, review_url(note), {"decision": "publish"})
    note.refresh_from_db()
    assert note.status == PeerNote.Status.PENDING


def test_reviewing_needs_a_post(
    client_for: ClientFor, coordinator: User, peer_supporter: User, service: Service
) -> None:
    note = waiting_note(service, peer_supporter)
    assert client_for(coordinator).get(review_url(note)).status_code == 405
    assert post_with_csrf(client_for(coordinator), QUEUE).status_code == 405


# --- Leaving ---------------------------------------------------------------------------------


def test_a_writers_notes_go_with_their_account(
    peer_supporter: User, coordinator: User, service: Service
) -> None:
    mine = waiting_note(service, peer_supporter)
    reviewed = PeerNote.objects.create(
        service=service,
        author=coordinator,
        body="Reviewed by the peer.",
        reviewed_by=peer_supporter,
    )
    actions.erase_peer_notes(peer_supporter)
    assert not PeerNote.objects.filter(pk=mine.pk).exists()
    reviewed.refresh_from_db()
    assert reviewed.reviewed_by is None
