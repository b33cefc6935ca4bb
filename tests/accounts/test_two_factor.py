"""Two-factor for staff: set-up with a QR code, verification, and the admin behind it."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import cast
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.admin import OTPAdminSite
from django_otp.middleware import OTPMiddleware
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from peerlight.accounts.guards import AuthenticatedHttpRequest, second_factor_step
from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.lib import ratelimit
from tests.conftest import PASSWORD, delete_with_csrf, post_with_csrf, with_sudo

SETUP = reverse("accounts:two-factor-setup")
VERIFY = reverse("accounts:two-factor-verify")
PEOPLE = reverse("accounts:staff-people")


def signed_in_without_second_factor(user: User, *, sudo: bool = True) -> Client:
    """A client signed in with the password only (``Client.force_login``)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return with_sudo(client, seconds_left=60) if sudo else client


def with_next(url: str, next_path: str) -> str:
    return f"{url}?next={quote(next_path, safe='')}"


def current_code(key_hex: str) -> str:
    return f"{totp(bytes.fromhex(key_hex)):06d}"


def wrong_code(key_hex: str) -> str:
    """A code no step near now produces, so it can never be accepted."""
    near = {f"{totp(bytes.fromhex(key_hex), drift=drift):06d}" for drift in range(-3, 4)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


@pytest.fixture
def device(coordinator: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)


# --- The guard on staff pages ------------------------------------------------------------


def test_staff_without_a_device_are_sent_to_set_up(coordinator: User) -> None:
    response = signed_in_without_second_factor(coordinator).get(PEOPLE)
    assert response.status_code == 302
    assert response["Location"] == with_next(SETUP, PEOPLE)


def test_staff_with_a_device_are_sent_to_verify(coordinator: User, device: TOTPDevice) -> None:
    response = signed_in_without_second_factor(coordinator).get(PEOPLE)
    assert response["Location"] == with_next(VERIFY, PEOPLE)


def test_verified_staff_pass(
    client_for: Callable[[User | None], Client], coordinator: User
) -> None:
    assert client_for(coordinator).get(PEOPLE).status_code == 200


# --- The step on pages open to more than staff ---------------------------------------------

CIRCLE_EDIT = "/circles/monday-evening/edit/"


def request_of(
    user: User, *, device: TOTPDevice | None = None, post: dict[str, str] | None = None
) -> AuthenticatedHttpRequest:
    """A request of ``user`` as the middleware leaves it, verified with ``device`` if given."""
    factory = RequestFactory()
    request = factory.get(CIRCLE_EDIT) if post is None else factory.post(CIRCLE_EDIT, post)
    request.session = SessionStore()
    if device is not None:
        request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    request.user = user
    OTPMiddleware(lambda _request: HttpResponse())(request)
    return cast(AuthenticatedHttpRequest, request)


def test_the_step_leaves_people_without_a_staff_role_alone(peer_supporter: User) -> None:
    assert second_factor_step(request_of(peer_supporter)) is None


def test_the_step_sends_staff_without_a_device_to_set_up(coordinator: User) -> None:
    step = second_factor_step(request_of(coordinator))
    assert step is not None
    assert step["Location"] == with_next(SETUP, CIRCLE_EDIT)


def test_the_step_sends_staff_with_a_device_to_verify(
    coordinator: User, device: TOTPDevice
) -> None:
    step = second_factor_step(request_of(coordinator))
    assert step is not None
    assert step["Location"] == with_next(VERIFY, CIRCLE_EDIT)


def test_the_step_lets_staff_who_passed_through(coordinator: User, device: TOTPDevice) -> None:
    assert second_factor_step(request_of(coordinator, device=device)) is None


def test_the_step_after_a_form_comes_back_to_the_forms_page(coordinator: User) -> None:
    # A POST cannot be replayed by a redirect: the form's own page is where to return.
    step = second_factor_step(request_of(coordinator, post={"next": CIRCLE_EDIT}))
    assert step is not None
    assert step["Location"] == with_next(SETUP, CIRCLE_EDIT)


# --- Setting up -----------------------------------------------------------------------------


def pending_key(client: Client) -> str:
    return str(client.session["two_factor_pending_key"])


def test_set_up_shows_a_qr_code_and_the_key(coordinator: User) -> None:
    client = signed_in_without_second_factor(coordinator)
    response = client.get(SETUP)
    assert response.status_code == 200
    html = response.content.decode()
    svg = html[html.index("<svg") : html.index("</svg>") + 6]
    assert "<path" in svg
    assert "style" not in svg
    assert "<script" not in svg
    key = pending_key(client)
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html)
    assert secret is not None
    assert base64.b32decode(secret.group(1).replace(" ", "")).hex() == key
    assert 'inputmode="numeric"' in html
    assert 'autocomplete="one-time-code"' in html
    # Nothing is saved until a code proves the app has the key.
    assert not TOTPDevice.objects.filter(user=coordinator).exists()


def test_set_up_keeps_the_same_key_on_reload(coordinator: User) -> None:
    client = signed_in_without_second_factor(coordinator)
    client.get(SETUP)
    first = pending_key(client)
    client.get(SETUP)
    assert pending_key(client) == first


def test_a_right_code_turns_two_factor_on(coordinator: User) -> None:
    client = signed_in_without_second_factor(coordinator)
    client.get(with_next(SETUP, PEOPLE))
    key = pending_key(client)
    response = post_with_csrf(client, with_next(SETUP, PEOPLE), {"code": current_code(key)})
    assert response.status_code == 302
    assert response["Location"] == PEOPLE
    device = TOTPDevice.objects.get(user=coordinator)
    assert device.confirmed
    assert device.key == key
    assert client.get(PEOPLE).status_code == 200
    assert AuditEntry.objects.filter(verb="account.two_factor.enable").count() == 1


def test_a_wrong_code_turns_nothing_on(coordinator: User) -> None:
    client = signed_in_without_second_factor(coordinator)
    client.get(SETUP)
    response = post_with_csrf(client, SETUP, {"code": wrong_code(pending_key(client))})
    assert response.status_code == 200
    assert "That code did not match" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=coordinator).exists()
    assert client.get(PEOPLE)["Location"] == with_next(SETUP, PEOPLE)


@pytest.mark.parametrize("code", ["12345", "abcdef", "1234567"])
def test_set_up_refuses_codes_that_are_not_six_digits(coordinator: User, code: str) -> None:
    client = signed_in_without_second_factor(coordinator)
    client.get(SETUP)
    response = post_with_csrf(client, SETUP, {"code": code})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert not TOTPDevice.objects.exists()


def test_set_up_asks_for_the_password_first(coordinator: User) -> None:
    client = signed_in_without_second_factor(coordinator, sudo=False)
    response = client.get(SETUP)
    assert response["Location"].startswith(reverse("accounts:confirm-password"))


def test_set_up_cannot_replace_a_device_without_its_code(
    coordinator: User, device: TOTPDevice
) -> None:
    response = signed_in_without_second_factor(coordinator).get(with_next(SETUP, PEOPLE))
    assert response["Location"] == with_next(VERIFY, PEOPLE)


def test_set_up_says_when_it_is_already_on(
    client_for: Callable[[User | None], Client], coordinator: User
) -> None:
    response = with_sudo(client_for(coordinator), seconds_left=60).get(SETUP)
    assert response.status_code == 200
    assert "Two-step sign-in is on" in response.content.decode()


def test_set_up_is_for_staff_only(member: User, peer_supporter: User) -> None:
    for person in (member, peer_supporter):
        assert signed_in_without_second_factor(person).get(SETUP).status_code == 404


def test_set_up_sends_strangers_to_log_in(db: None) -> None:
    assert Client().get(SETUP)["Location"].startswith(reverse("accounts:login"))


def test_set_up_refuses_other_methods(coordinator: User) -> None:
    assert delete_with_csrf(signed_in_without_second_factor(coordinator), SETUP).status_code == 405


# --- Verifying --------------------------------------------------------------------------------


def test_a_right_code_verifies_the_session(coordinator: User, device: TOTPDevice) -> None:
    client = signed_in_without_second_factor(coordinator)
    page = client.get(with_next(VERIFY, PEOPLE))
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.content.decode()
    response = post_with_csrf(client, VERIFY, {"code": current_code(device.key), "next": PEOPLE})
    assert response.status_code == 302
    assert response["Location"] == PEOPLE
    assert client.get(PEOPLE).status_code == 200


def test_a_wrong_code_does_not_verify(coordinator: User, device: TOTPDevice) -> None:
    client = signed_in_without_second_factor(coordinator)
    response = post_with_csrf(client, VERIFY, {"code": wrong_code(device.key), "next": PEOPLE})
    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    assert client.get(PEOPLE)["Location"] == with_next(VERIFY, PEOPLE)


def test_a_code_works_only_once(coordinator: User, device: TOTPDevice) -> None:
    code = current_code(device.key)
    first = signed_in_without_second_factor(coordinator)
    assert post_with_csrf(first, VERIFY, {"code": code})["Location"] != VERIFY
    second = signed_in_without_second_factor(coordinator)
    response = post_with_csrf(second, VERIFY, {"code": code, "next": PEOPLE})
    assert response.status_code == 200
    assert second.get(PEOPLE)["Location"] == with_next(VERIFY, PEOPLE)


def test_it_limits_code_guesses(coordinator: User, device: TOTPDevice) -> None:
    client = signed_in_without_second_factor(coordinator)
    for _ in range(ratelimit.TWO_FACTOR.limit):
        post_with_csrf(client, VERIFY, {"code": wrong_code(device.key)})
    response = post_with_csrf(client, VERIFY, {"code": current_code(device.key), "next": PEOPLE})
    assert response.status_code == 429
    assert "Please wait about" in response.content.decode()
    assert client.get(PEOPLE)["Location"] == with_next(VERIFY, PEOPLE)


def test_verify_sends_people_without_a_device_to_set_up(coordinator: User) -> None:
    response = signed_in_without_second_factor(coordinator).get(with_next(VERIFY, PEOPLE))
    assert response["Location"] == with_next(SETUP, PEOPLE)


def test_verify_is_for_staff_only(member: User) -> None:
    assert signed_in_without_second_factor(member).get(VERIFY).status_code == 404


def test_verify_sends_strangers_to_log_in(db: None) -> None:
    assert Client().get(VERIFY)["Location"].startswith(reverse("accounts:login"))


def test_verify_refuses_other_methods(coordinator: User, device: TOTPDevice) -> None:
    client = signed_in_without_second_factor(coordinator)
    assert delete_with_csrf(client, VERIFY).status_code == 405


# --- The Django admin ----------------------------------------------------------------------------


def test_the_admin_site_needs_a_second_factor() -> None:
    assert isinstance(admin.site, OTPAdminSite)


def test_a_verified_admin_opens_the_admin(
    client_for: Callable[[User | None], Client], admin_user: User
) -> None:
    assert client_for(admin_user).get("/admin/").status_code == 200
    listing = client_for(admin_user).get("/admin/accounts/user/")
    assert listing.status_code == 200
    assert "river@example.org" not in listing.content.decode()


def test_an_admin_without_the_second_factor_is_asked_for_it(admin_user: User) -> None:
    TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)
    client = signed_in_without_second_factor(admin_user)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == with_next(VERIFY, "/admin/")


def test_the_admin_is_hidden_from_everyone_else(
    client_for: Callable[[User | None], Client], member: User, coordinator: User
) -> None:
    for person in (member, coordinator):
        response = client_for(person).get("/admin/", follow=True)
        assert response.status_code == 404


def test_the_admin_sends_strangers_to_log_in(db: None) -> None:
    response = Client().get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == f"{reverse('accounts:login')}?next=/admin/"


def test_the_admin_shows_accounts_read_only(
    client_for: Callable[[User | None], Client], admin_user: User, member: User
) -> None:
    client = client_for(admin_user)
    page = client.get(f"/admin/accounts/user/{member.pk}/change/")
    assert page.status_code == 200
    response = post_with_csrf(
        client, f"/admin/accounts/user/{member.pk}/change/", {"display_name": "X"}
    )
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.display_name == "River"
    assert client.get("/admin/accounts/rolegrant/add/").status_code == 403


def test_the_login_form_grants_no_second_factor(
    client_for: Callable[[User | None], Client], coordinator: User, device: TOTPDevice
) -> None:
    client = client_for(None)
    post_with_csrf(
        client, reverse("accounts:login"), {"display_name": "Morgan", "password": PASSWORD}
    )
    assert client.get(PEOPLE)["Location"] == with_next(VERIFY, PEOPLE)
