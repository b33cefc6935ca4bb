"""Changing a password, and resetting a forgotten one by e-mail."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.lib import ratelimit
from tests.conftest import PASSWORD, delete_with_csrf, make_user, post_with_csrf

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

CHANGE = reverse("accounts:password-change")
RESET = reverse("accounts:password-reset")
NEW_PASSWORD = "lanterns along the harbour wall"


def change_data(**changes: str) -> dict[str, str]:
    data = {
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
    }
    data.update(changes)
    return data


# --- Changing the password ---------------------------------------------------


def test_it_shows_an_accessible_form(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    response = client_for(member).get(CHANGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'autocomplete="current-password"' in html
    assert html.count('autocomplete="new-password"') == 2


def test_it_changes_the_password(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    response = post_with_csrf(client_for(member), CHANGE, change_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:account")
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert member.session_version == 1
    assert AuditEntry.objects.filter(verb="account.password.change").count() == 1


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"current_password": "not my password"}, "not your current password"),
        ({"new_password_again": "something else"}, "not the same"),
        ({"new_password": "short", "new_password_again": "short"}, "too short"),
        (
            {"new_password": "river@example.org", "new_password_again": "river@example.org"},
            "too similar",
        ),
    ],
)
def test_it_refuses_bad_input(
    client_for: Callable[[User | None], Client],
    member: User,
    changes: dict[str, str],
    words: str,
) -> None:
    response = post_with_csrf(client_for(member), CHANGE, change_data(**changes))
    assert response.status_code == 200
    html = response.content.decode()
    assert words in html
    assert 'aria-invalid="true"' in html
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
    assert member.session_version == 0


def test_it_limits_guesses_of_the_current_password(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    client = client_for(member)
    for _ in range(ratelimit.CONFIRM_PASSWORD.limit):
        post_with_csrf(client, CHANGE, change_data(current_password="a guess"))
    response = post_with_csrf(client, CHANGE, change_data())
    assert response.status_code == 429
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_it_sends_strangers_to_log_in(db: None) -> None:
    response = Client().get(CHANGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


def test_it_refuses_other_methods(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    assert delete_with_csrf(client_for(member), CHANGE).status_code == 405


# --- Resetting a forgotten password --------------------------------------------


type AskForReset = Callable[..., TestResponse]


@pytest.fixture
def ask_for_reset(
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    client_for: Callable[[User | None], Client],
) -> AskForReset:
    """POST the reset form; queued e-mail is sent at once after the commit."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

    def ask(email: str, client: Client | None = None, **extra: Any) -> TestResponse:
        with django_capture_on_commit_callbacks(execute=True):
            return post_with_csrf(client or client_for(None), RESET, {"email": email}, **extra)

    return ask


def reset_path(message: Any) -> str:
    found = re.search(r"https?://\S+/password-reset/\S+/", str(message.body))
    assert found is not None
    return urlsplit(found.group(0)).path


def test_it_explains_reset_needs_an_e_mail_address(db: None) -> None:
    response = Client().get(RESET)
    assert response.status_code == 200
    html = response.content.decode()
    assert "can only be reset by e-mail" in html
    assert "guest account" in html
    assert 'autocomplete="email"' in html


def test_it_sends_a_link_to_a_known_address(
    client_for: Callable[[User | None], Client], member: User, ask_for_reset: AskForReset
) -> None:
    response = ask_for_reset("River@Example.org ")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password-reset-sent")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["river@example.org"]
    assert "/password-reset/" in str(mail.outbox[0].body)
    assert AuditEntry.objects.filter(verb="account.password.reset_requested").count() == 1


def test_it_answers_the_same_for_an_unknown_address(
    client_for: Callable[[User | None], Client], member: User, ask_for_reset: AskForReset
) -> None:
    known = ask_for_reset("river@example.org")
    unknown = ask_for_reset("nobody@example.org")
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    assert len(mail.outbox) == 1


def test_it_sends_nothing_to_guests_or_closed_accounts(
    client_for: Callable[[User | None], Client], ask_for_reset: AskForReset
) -> None:
    guest = make_user("Guest 1", email="guest@example.org")
    User.objects.filter(pk=guest.pk).update(is_guest=True)
    closed = make_user("Closed", email="closed@example.org")
    User.objects.filter(pk=closed.pk).update(is_active=False)
    for address in ("guest@example.org", "closed@example.org"):
        assert ask_for_reset(address).status_code == 302
    assert mail.outbox == []


def test_it_refuses_something_that_is_not_an_address(
    client_for: Callable[[User | None], Client], member: User, ask_for_reset: AskForReset
) -> None:
    response = ask_for_reset("River")
    assert response.status_code == 200
    assert "valid email" in response.content.decode()
    assert mail.outbox == []


def test_it_limits_requests_for_one_address(
    client_for: Callable[[User | None], Client], member: User, ask_for_reset: AskForReset
) -> None:
    for number in range(ratelimit.PASSWORD_RESET_ADDRESS.limit):
        ask_for_reset("river@example.org", REMOTE_ADDR=f"192.0.2.{number}")
    response = ask_for_reset("RIVER@example.org")
    assert response.status_code == 429
    assert "Please wait about" in response.content.decode()
    assert len(mail.outbox) == ratelimit.PASSWORD_RESET_ADDRESS.limit


def test_it_limits_requests_from_one_address(
    client_for: Callable[[User | None], Client], member: User, ask_for_reset: AskForReset
) -> None:
    client = client_for(None)
    for number in range(ratelimit.PASSWORD_RESET_IP.limit):
        ask_for_reset(f"someone{number}@example.org", client)
    assert ask_for_reset("river@example.org", client).status_code == 429
    assert mail.outbox == []


def test_the_reset_page_refuses_other_methods(db: None) -> None:
    assert Client().put(RESET).status_code == 405
    assert Client().post(reverse("accounts:password-reset-sent")).status_code == 405


def test_the_link_sets_a_new_password_and_ends_sessions(
    client_for: Callable[[User | None], Client], member: User, ask_for_reset: AskForReset
) -> None:
    old_session = client_for(member)
    ask_for_reset("river@example.org")
    link = reset_path(mail.outbox[0])
    client = client_for(None)
    landing = client.get(link)
    # The token leaves the address bar at once.
    assert landing.status_code == 302
    assert "set-password" in landing["Location"]
    page = client.get(landing["Location"])
    assert page.status_code == 200
    assert 'autocomplete="new-password"' in page.content.decode()
    data = {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    done = post_with_csrf(client, landing["Location"], data)
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:login")
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert old_session.get(reverse("accounts:account")).status_code == 302
    assert AuditEntry.objects.filter(verb="account.password.reset").count() == 1


def test_the_link_works_once(
    client_for: Callable[[User | None], Client], member: User, ask_for_reset: AskForReset
) -> None:
    ask_for_reset("river@example.org")
    link = reset_path(mail.outbox[0])
    client = client_for(None)
    landing = client.get(link)
    data = {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    post_with_csrf(client, landing["Location"], data)
    again = client_for(None).get(link)
    assert again.status_code == 200
    assert "does not work any more" in again.content.decode()


def test_the_link_refuses_a_weak_password(
    client_for: Callable[[User | None], Client], member: User, ask_for_reset: AskForReset
) -> None:
    ask_for_reset("river@example.org")
    client = client_for(None)
    landing = client.get(reset_path(mail.outbox[0]))
    response = post_with_csrf(
        client, landing["Location"], {"new_password": "123", "new_password_again": "123"}
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


@pytest.mark.parametrize(
    "path",
    [
        "/password-reset/MQ/not-a-token/",
        "/password-reset/!!/x/",
        "/password-reset/MQ/set-password/",
    ],
)
def test_a_made_up_link_does_nothing(db: None, member: User, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    assert "does not work any more" in response.content.decode()


def test_the_link_page_refuses_other_methods(db: None) -> None:
    assert Client().put("/password-reset/MQ/set-password/").status_code == 405
