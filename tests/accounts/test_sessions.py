"""Ending sessions: raising ``session_version`` signs a person out on every device."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from peerlight.accounts import actions
from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from tests.conftest import PASSWORD, post_with_csrf

ACCOUNT = reverse("accounts:account")
NEW_PASSWORD = "lanterns along the harbour wall"


def is_signed_in(client: Client) -> bool:
    return client.get(ACCOUNT).status_code == 200


@pytest.fixture
def phone_and_laptop(
    client_for: Callable[[User | None], Client], member: User
) -> tuple[Client, Client]:
    phone, laptop = client_for(member), client_for(member)
    assert is_signed_in(phone)
    assert is_signed_in(laptop)
    return phone, laptop


def test_log_out_ends_every_session(phone_and_laptop: tuple[Client, Client]) -> None:
    phone, laptop = phone_and_laptop
    post_with_csrf(phone, reverse("accounts:logout"), {})
    assert not is_signed_in(phone)
    assert not is_signed_in(laptop)


def test_log_out_is_audited(phone_and_laptop: tuple[Client, Client], member: User) -> None:
    phone, _laptop = phone_and_laptop
    post_with_csrf(phone, reverse("accounts:logout"), {})
    entry = AuditEntry.objects.get(verb="account.sessions.end")
    assert entry.actor_id == member.pk
    assert entry.subject_id == member.pk


def test_password_change_keeps_this_session_and_ends_the_others(
    phone_and_laptop: tuple[Client, Client], member: User
) -> None:
    phone, laptop = phone_and_laptop
    data = {
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
    }
    response = post_with_csrf(phone, reverse("accounts:password-change"), data)
    assert response.status_code == 302
    assert is_signed_in(phone)
    assert not is_signed_in(laptop)


def test_a_session_from_before_the_change_stays_ended(
    phone_and_laptop: tuple[Client, Client], member: User
) -> None:
    phone, laptop = phone_and_laptop
    actions.end_all_sessions(member, actor=member)
    # Signing in again works, and the old laptop session does not come back.
    post_with_csrf(
        phone, reverse("accounts:login"), {"display_name": "River", "password": PASSWORD}
    )
    assert is_signed_in(phone)
    assert not is_signed_in(laptop)


def test_closing_an_account_ends_every_session(
    phone_and_laptop: tuple[Client, Client], member: User, admin_user: User
) -> None:
    phone, laptop = phone_and_laptop
    actions.deactivate_account(admin_user, member)
    assert not is_signed_in(phone)
    assert not is_signed_in(laptop)
    member.refresh_from_db()
    assert not member.is_active
    assert AuditEntry.objects.filter(verb="account.deactivate", subject_id=member.pk).exists()


def test_a_person_may_close_their_own_account(member: User) -> None:
    actions.deactivate_account(member, member)
    member.refresh_from_db()
    assert not member.is_active


def test_only_admins_close_other_accounts(
    member: User, other_member: User, coordinator: User
) -> None:
    for actor in (other_member, coordinator):
        with pytest.raises(PermissionDenied):
            actions.deactivate_account(actor, member)
    member.refresh_from_db()
    assert member.is_active
    assert member.session_version == 0


def test_a_closed_account_cannot_sign_in_again(
    client_for: Callable[[User | None], Client], member: User, admin_user: User
) -> None:
    actions.deactivate_account(admin_user, member)
    client = client_for(None)
    post_with_csrf(
        client, reverse("accounts:login"), {"display_name": "River", "password": PASSWORD}
    )
    assert not is_signed_in(client)


def test_ending_sessions_leaves_other_people_signed_in(
    client_for: Callable[[User | None], Client], member: User, other_member: User
) -> None:
    theirs = client_for(other_member)
    actions.end_all_sessions(member, actor=member)
    assert is_signed_in(theirs)
