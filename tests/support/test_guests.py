"""Continuing without an account: a pseudonymous guest, made on the spot, limited per address."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from peerlight.accounts import consent
from peerlight.accounts.models import ConsentDocument, ConsentPurpose, User
from peerlight.audit.models import AuditEntry
from peerlight.support import guests
from peerlight.support.models import SupportRequest
from tests.conftest import post_with_csrf

URL = reverse("support:guest")
AGREE = {"agree_terms": "on", "agree_privacy": "on"}
NAME = re.compile(r"^Guest-[A-Z][a-z]+-\d{4}$")
pytestmark = pytest.mark.django_db


def guests_made() -> int:
    return User.objects.filter(is_guest=True).count()


def test_it_makes_a_guest_signs_in_and_shows_the_form(
    client_for: Callable[[User | None], Client],
) -> None:
    client = client_for(None)
    response = post_with_csrf(client, URL, AGREE)
    assert response.status_code == 302
    assert response["Location"] == reverse("support:start")
    user = User.objects.get(is_guest=True)
    assert NAME.match(user.display_name)
    assert user.email == ""
    assert not user.has_usable_password()
    assert client.session[SESSION_KEY] == str(user.pk)
    page = client.get(reverse("support:start"))
    assert page.status_code == 200
    assert b'action="/talk/"' in page.content


def test_it_records_the_consents_of_sign_up(
    client_for: Callable[[User | None], Client],
) -> None:
    post_with_csrf(client_for(None), URL, AGREE)
    user = User.objects.get(is_guest=True)
    for purpose in consent.REQUIRED_AT_SIGN_UP:
        assert consent.has_consent(user, purpose)
    assert AuditEntry.objects.filter(verb="account.create_guest", actor_id=user.pk).exists()


def test_it_asks_at_once_when_the_form_was_answered(
    client_for: Callable[[User | None], Client],
) -> None:
    response = post_with_csrf(
        client_for(None), URL, {**AGREE, "topics": ["loneliness"], "language": "en"}
    )
    request = SupportRequest.objects.get()
    assert response["Location"] == reverse("support:request", args=[request.pk])
    assert request.member.is_guest
    assert request.topics == ["loneliness"]


def test_it_refuses_without_consent(client_for: Callable[[User | None], Client]) -> None:
    response = post_with_csrf(client_for(None), URL, {"agree_terms": "on"})
    assert response.status_code == 200
    assert b"error-summary" in response.content
    assert guests_made() == 0


def test_it_refuses_a_bad_answer_and_makes_nobody(
    client_for: Callable[[User | None], Client],
) -> None:
    response = post_with_csrf(
        client_for(None), URL, {**AGREE, "topics": ["not-a-topic"], "language": "en"}
    )
    assert response.status_code == 200
    assert guests_made() == 0
    assert not SupportRequest.objects.exists()


def test_it_limits_guests_per_address(client_for: Callable[[User | None], Client]) -> None:
    for _attempt in range(guests.GUEST_IP.limit):
        assert post_with_csrf(client_for(None), URL, AGREE).status_code == 302
    response = post_with_csrf(client_for(None), URL, AGREE)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert guests_made() == guests.GUEST_IP.limit


def test_it_sends_people_signed_in_back_to_the_form(
    member: User, client_for: Callable[[User | None], Client]
) -> None:
    response = post_with_csrf(client_for(member), URL, AGREE)
    assert response["Location"] == reverse("support:start")
    assert guests_made() == 0


def test_it_refuses_other_methods(client_for: Callable[[User | None], Client]) -> None:
    assert client_for(None).get(URL).status_code == 405


def test_it_closes_without_the_texts(client_for: Callable[[User | None], Client]) -> None:
    ConsentDocument.objects.filter(purpose=ConsentPurpose.TERMS).delete()
    response = post_with_csrf(client_for(None), URL, AGREE)
    assert response.status_code == 503
    assert guests_made() == 0


def test_guest_names_are_unique(monkeypatch: pytest.MonkeyPatch) -> None:
    names = iter(["Guest-Willow-1111", "Guest-Willow-1111", "Guest-Cedar-2222"])
    monkeypatch.setattr(guests, "guest_name", lambda: next(names))
    documents = [consent.current_document(p) for p in consent.REQUIRED_AT_SIGN_UP]
    first = guests.create_guest(documents=[d for d in documents if d])
    second = guests.create_guest(documents=[d for d in documents if d])
    assert (first.display_name, second.display_name) == ("Guest-Willow-1111", "Guest-Cedar-2222")


def test_guest_names_look_calm() -> None:
    for _attempt in range(50):
        assert NAME.match(guests.guest_name())
