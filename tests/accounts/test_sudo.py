"""Sudo mode, the confirm-password page and the account page it guards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peerlight.accounts.guards import SUDO_SESSION_KEY
from peerlight.accounts.models import User, email_digest
from peerlight.audit.models import AuditEntry
from peerlight.lib import ratelimit
from tests.conftest import PASSWORD, delete_with_csrf, post_with_csrf, with_sudo

ACCOUNT = reverse("accounts:account")
EMAIL = reverse("accounts:email")
CONFIRM = reverse("accounts:confirm-password")
LANGUAGE = reverse("accounts:language")


def confirm_redirect(next_path: str) -> str:
    return f"{CONFIRM}?next={quote(next_path, safe='')}"


# --- The guard -------------------------------------------------------------------


def test_without_a_recent_password_it_asks_for_one(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    response = client_for(member).get(EMAIL)
    assert response.status_code == 302
    assert response["Location"] == confirm_redirect(EMAIL)


def test_expired_sudo_asks_again(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    client = client_for(member)
    with_sudo(client, seconds_left=-1)
    assert client.get(EMAIL)["Location"] == confirm_redirect(EMAIL)


def test_recent_sudo_lets_through(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    client = client_for(member)
    with_sudo(client, seconds_left=60)
    assert client.get(EMAIL).status_code == 200


def test_a_guest_without_a_password_can_reach_their_data_and_deletion(
    client_for: Callable[[User | None], Client], db: None
) -> None:
    guest = User.objects.create_user("Guest-Willow-4821", None, is_guest=True)
    client = client_for(guest)
    assert client.get(reverse("privacy:delete")).status_code == 200
    assert client.get(EMAIL).status_code == 200


def test_a_guest_who_set_a_password_confirms_it_like_anyone(
    client_for: Callable[[User | None], Client], db: None
) -> None:
    guest = User.objects.create_user("Guest-Lark-1234", PASSWORD, is_guest=True)
    response = client_for(guest).get(EMAIL)
    assert response["Location"] == confirm_redirect(EMAIL)


def test_signing_in_opens_sudo(client_for: Callable[[User | None], Client], member: User) -> None:
    client = client_for(None)
    post_with_csrf(
        client, reverse("accounts:login"), {"display_name": "River", "password": PASSWORD}
    )
    assert client.get(EMAIL).status_code == 200


def test_sudo_sends_strangers_to_log_in(db: None) -> None:
    response = Client().get(EMAIL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_sudo_lasts_as_long_as_the_setting(
    client_for: Callable[[User | None], Client], member: User, settings: Any
) -> None:
    settings.PEERLIGHT_SUDO_SECONDS = 300
    client = client_for(member)
    before = timezone.now().timestamp()
    post_with_csrf(client, CONFIRM, {"password": PASSWORD})
    deadline = client.session[SUDO_SESSION_KEY]
    assert before + 300 <= deadline <= timezone.now().timestamp() + 300


# --- The confirm-password page ------------------------------------------------------


def test_confirming_the_password_returns_to_the_page(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    client = client_for(member)
    page = client.get(confirm_redirect(EMAIL))
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.content.decode()
    response = post_with_csrf(client, CONFIRM, {"password": PASSWORD, "next": EMAIL})
    assert response.status_code == 302
    assert response["Location"] == EMAIL
    assert client.get(EMAIL).status_code == 200


def test_a_wrong_password_does_not_grant_sudo(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    client = client_for(member)
    response = post_with_csrf(client, CONFIRM, {"password": "not it", "next": EMAIL})
    assert response.status_code == 200
    assert "That password is not right" in response.content.decode()
    assert SUDO_SESSION_KEY not in client.session
    assert client.get(EMAIL)["Location"] == confirm_redirect(EMAIL)


def test_it_does_not_return_to_other_sites(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    client = client_for(member)
    response = post_with_csrf(
        client, CONFIRM, {"password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == ACCOUNT


def test_it_limits_password_guesses(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    client = client_for(member)
    for _ in range(ratelimit.CONFIRM_PASSWORD.limit):
        post_with_csrf(client, CONFIRM, {"password": "a guess"})
    response = post_with_csrf(client, CONFIRM, {"password": PASSWORD})
    assert response.status_code == 429
    assert SUDO_SESSION_KEY not in client.session


def test_confirm_sends_strangers_to_log_in(db: None) -> None:
    assert Client().get(CONFIRM)["Location"].startswith(reverse("accounts:login"))


def test_confirm_refuses_other_methods(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    assert delete_with_csrf(client_for(member), CONFIRM).status_code == 405


# --- The account page --------------------------------------------------------------


def test_the_account_page_shows_the_account(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    response = client_for(member).get(ACCOUNT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "River" in html
    assert "river@example.org" in html
    assert reverse("accounts:password-change") in html
    assert reverse("privacy:home") in html
    # Two-factor is offered to staff only.
    assert reverse("accounts:two-factor-setup") not in html


def test_the_account_page_offers_two_factor_to_staff(
    client_for: Callable[[User | None], Client], coordinator: User
) -> None:
    html = client_for(coordinator).get(ACCOUNT).content.decode()
    assert reverse("accounts:two-factor-setup") in html
    assert "Two-step sign-in is on" in html


def test_the_account_page_says_reset_needs_an_address(
    client_for: Callable[[User | None], Client], other_member: User
) -> None:
    html = client_for(other_member).get(ACCOUNT).content.decode()
    assert "a forgotten password cannot be reset" in html


def test_the_account_page_sends_strangers_to_log_in(db: None) -> None:
    response = Client().get(ACCOUNT)
    assert response["Location"] == f"{reverse('accounts:login')}?next={ACCOUNT}"


def test_the_account_page_refuses_other_methods(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    assert post_with_csrf(client_for(member), ACCOUNT, {}).status_code == 405


# --- Changing the e-mail address ------------------------------------------------------


@pytest.fixture
def sudo_client(client_for: Callable[[User | None], Client], member: User) -> Client:
    client = client_for(member)
    with_sudo(client, seconds_left=60)
    return client


def test_it_changes_the_e_mail_address(sudo_client: Client, member: User) -> None:
    page = sudo_client.get(EMAIL)
    assert 'autocomplete="email"' in page.content.decode()
    response = post_with_csrf(sudo_client, EMAIL, {"email": "new@example.org"})
    assert response["Location"] == ACCOUNT
    member.refresh_from_db()
    assert member.email == "new@example.org"
    assert member.email_digest == email_digest("new@example.org")
    assert AuditEntry.objects.filter(verb="account.email.change", subject_id=member.pk).exists()


def test_it_removes_the_e_mail_address(sudo_client: Client, member: User) -> None:
    post_with_csrf(sudo_client, EMAIL, {"email": ""})
    member.refresh_from_db()
    assert member.email == ""
    assert member.email_digest == ""


def test_it_refuses_a_bad_address(sudo_client: Client, member: User) -> None:
    response = post_with_csrf(sudo_client, EMAIL, {"email": "not an address"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "valid email" in html
    assert 'aria-describedby="id_email_helptext id_email_error"' in html
    member.refresh_from_db()
    assert member.email == "river@example.org"


def test_a_change_without_sudo_changes_nothing(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    client = client_for(member)
    response = post_with_csrf(client, EMAIL, {"email": "thief@example.org"})
    assert response["Location"].startswith(CONFIRM)
    member.refresh_from_db()
    assert member.email == "river@example.org"


def test_the_e_mail_page_refuses_other_methods(sudo_client: Client) -> None:
    assert delete_with_csrf(sudo_client, EMAIL).status_code == 405


# --- Changing the language --------------------------------------------------------------


def test_it_changes_the_language(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    response = post_with_csrf(client_for(member), LANGUAGE, {"language": "es"})
    assert response["Location"] == ACCOUNT
    assert response.cookies["django_language"].value == "es"
    member.refresh_from_db()
    assert member.language == "es"


def test_it_refuses_an_unknown_language(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    response = post_with_csrf(client_for(member), LANGUAGE, {"language": "xx"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    member.refresh_from_db()
    assert member.language == "en"


def test_the_language_needs_an_account(client_for: Callable[[User | None], Client]) -> None:
    response = post_with_csrf(client_for(None), LANGUAGE, {"language": "es"})
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_language_needs_post(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    assert client_for(member).get(LANGUAGE).status_code == 405
