"""Log-in and log-out: case-insensitive names, one error for all failures, rate limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.lib import ratelimit
from tests.conftest import PASSWORD, post_with_csrf

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

URL = reverse("accounts:login")
NO_MATCH = "That name and password do not match"


def signed_in_id(client: Client) -> str | None:
    value = client.session.get("_auth_user_id")
    return None if value is None else str(value)


def test_it_shows_an_accessible_form(db: None) -> None:
    response = Client().get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html
    assert reverse("accounts:password-reset") in html


def test_it_signs_in_and_grants_sudo(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    client = client_for(None)
    client.get(URL)
    key_before = client.session.session_key
    response = post_with_csrf(client, URL, {"display_name": "River", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in_id(client) == str(member.pk)
    assert client.session.session_key != key_before
    assert client.session["sudo_until"] > 0
    assert response.cookies["django_language"].value == member.language


def test_it_ignores_case_in_the_name(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    client = client_for(None)
    post_with_csrf(client, URL, {"display_name": " rIVER ", "password": PASSWORD})
    assert signed_in_id(client) == str(member.pk)


def test_it_returns_to_a_page_on_this_site(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    client = client_for(None)
    data = {"display_name": "River", "password": PASSWORD, "next": "/account/"}
    assert post_with_csrf(client, URL, data)["Location"] == "/account/"


def test_it_does_not_send_people_to_other_sites(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    client = client_for(None)
    data = {"display_name": "River", "password": PASSWORD, "next": "https://evil.example/"}
    assert post_with_csrf(client, URL, data)["Location"] == reverse("home")


@pytest.mark.parametrize(
    ("name", "password"),
    [("River", "wrong password entirely"), ("Nobody", PASSWORD), ("River", "")],
)
def test_it_refuses_with_one_message_for_every_failure(
    client_for: Callable[[User | None], Client], member: User, name: str, password: str
) -> None:
    client = client_for(None)
    response = post_with_csrf(client, URL, {"display_name": name, "password": password})
    assert response.status_code == 200
    if password:
        assert NO_MATCH in response.content.decode()
    assert signed_in_id(client) is None


def test_the_error_is_tied_to_the_password_field(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    response = post_with_csrf(client_for(None), URL, {"display_name": "River", "password": "nope"})
    html = response.content.decode()
    assert 'aria-describedby="id_password_error"' in html
    assert 'href="#id_password"' in html


def test_unknown_name_and_wrong_password_read_the_same(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    wrong_password = post_with_csrf(
        client_for(None), URL, {"display_name": "River", "password": "nope"}
    )
    unknown_name = post_with_csrf(
        client_for(None), URL, {"display_name": "Nobody", "password": "nope"}
    )

    def error_of(response: TestResponse) -> str:
        html = response.content.decode()
        start = html.index('<div class="error-summary"')
        return html[start : html.index("</div>", start)]

    assert error_of(wrong_password) == error_of(unknown_name)


def test_it_refuses_a_closed_account(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    User.objects.filter(pk=member.pk).update(is_active=False)
    client = client_for(None)
    response = post_with_csrf(client, URL, {"display_name": "River", "password": PASSWORD})
    assert NO_MATCH in response.content.decode()
    assert signed_in_id(client) is None


def test_it_limits_attempts_on_one_account(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    client = client_for(None)
    for _ in range(ratelimit.LOGIN_ACCOUNT.limit):
        post_with_csrf(client, URL, {"display_name": "River", "password": "a wrong guess"})
    # From another address, with the right password, the account is still resting.
    response = post_with_csrf(
        client, URL, {"display_name": "river", "password": PASSWORD}, REMOTE_ADDR="192.0.2.7"
    )
    assert response.status_code == 429
    assert "Please wait about" in response.content.decode()
    assert signed_in_id(client) is None
    other = post_with_csrf(client_for(None), URL, {"display_name": "Sky", "password": PASSWORD})
    assert other.status_code == 200


def test_it_limits_attempts_from_one_address(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    client = client_for(None)
    for number in range(ratelimit.LOGIN_IP.limit):
        post_with_csrf(client, URL, {"display_name": f"Guess {number}", "password": "x"})
    response = post_with_csrf(client, URL, {"display_name": "River", "password": PASSWORD})
    assert response.status_code == 429
    assert signed_in_id(client) is None
    elsewhere = client_for(None)
    data = {"display_name": "River", "password": PASSWORD}
    assert post_with_csrf(elsewhere, URL, data, REMOTE_ADDR="192.0.2.8").status_code == 302


def test_it_refuses_other_methods(db: None) -> None:
    assert Client().put(URL).status_code == 405


def test_log_out_signs_out(client_for: Callable[[User | None], Client], member: User) -> None:
    client = client_for(member)
    response = post_with_csrf(client, reverse("accounts:logout"), {})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in_id(client) is None
    member.refresh_from_db()
    assert member.session_version == 1


def test_log_out_without_an_account_just_goes_home(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = post_with_csrf(client, reverse("accounts:logout"), {})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_log_out_needs_post(client_for: Callable[[User | None], Client], member: User) -> None:
    client = client_for(member)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert signed_in_id(client) == str(member.pk)


def test_log_out_needs_the_csrf_token(
    client_for: Callable[[User | None], Client], member: User
) -> None:
    client = client_for(member)
    assert client.post(reverse("accounts:logout")).status_code == 403
    assert signed_in_id(client) == str(member.pk)
