"""'Delete my account': the page, and the erasure behind it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.contrib.sessions.models import Session
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from peerlight.accounts import consent, privacy
from peerlight.accounts.models import ConsentEvent, ConsentPurpose, Role, RoleGrant, User
from peerlight.audit.actions import record_read
from peerlight.audit.models import AuditEntry
from tests.conftest import csrf_token, post_with_csrf, with_sudo

ClientFor = Callable[[User | None], Client]
URL = "/privacy/delete/"


def give_a_history(user: User, other: User) -> None:
    """Rows of every registered kind about ``user``, and one role given to ``other``."""
    for purpose in (ConsentPurpose.TERMS, ConsentPurpose.PRIVACY, ConsentPurpose.RESEARCH):
        text = consent.current_document(purpose)
        assert text is not None
        consent.grant(user, text)
    RoleGrant.objects.create(user=user, role=Role.PEER_SUPPORTER)
    RoleGrant.objects.create(user=other, role=Role.PEER_SUPPORTER, granted_by=user)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    StaticDevice.objects.create(user=user, name="codes").token_set.create(token="abcd1234")
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(other.pk),
        object_repr=other.display_name,
        action_flag=CHANGE,
    )
    LogEntry.objects.create(
        user=other,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=user.display_name,
        action_flag=CHANGE,
    )
    record_read(other, "test.profile_viewed", user, subject=user)


# --- The page -----------------------------------------------------------------------------


def test_it_asks_for_the_password_first(member: User, client_for: ClientFor) -> None:
    client = client_for(member)
    for response in (client.get(URL), post_with_csrf(client, URL, {"confirm_name": "River"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:confirm-password"))
    assert User.objects.filter(pk=member.pk).exists()


def test_it_explains_what_is_erased_and_what_is_kept(member: User, client_for: ClientFor) -> None:
    response = with_sudo(client_for(member)).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "cannot be undone" in page
    for registration in privacy.registrations():
        assert str(registration.description) in page
        if registration.erase.action != privacy.ErasureAction.DELETE:
            assert str(registration.erase.reason) in page
    assert "To confirm, type your display name: River" in page


def test_it_erases_the_account_signs_out_and_says_goodbye(
    member: User, other_member: User, client_for: ClientFor
) -> None:
    give_a_history(member, other_member)
    client = with_sudo(client_for(member))
    response = post_with_csrf(client, URL, {"confirm_name": "  river "})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert not User.objects.filter(pk=member.pk).exists()
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Your account and what it held are deleted. Thank you for being part of this."
    ]
    after = client.get(reverse("privacy:home"))
    assert after.status_code == 302
    assert after["Location"].startswith(resolve_url(settings.LOGIN_URL))


def test_it_refuses_a_name_that_does_not_match(member: User, client_for: ClientFor) -> None:
    client = with_sudo(client_for(member))
    for typed in ("Sky", "", "River River"):
        response = post_with_csrf(client, URL, {"confirm_name": typed})
        assert response.status_code == 400
        page = response.content.decode()
        assert 'aria-invalid="true" aria-describedby="confirm-name-error"' in page
        assert 'id="confirm-name-error"' in page
    assert User.objects.filter(pk=member.pk).exists()
    assert not AuditEntry.objects.filter(verb="accounts.account_erased").exists()


def test_it_sends_a_stranger_to_log_in(member: User, client_for: ClientFor) -> None:
    client = client_for(None)
    for response in (client.get(URL), post_with_csrf(client, URL, {"confirm_name": "River"})):
        assert response.status_code == 302
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    assert User.objects.filter(pk=member.pk).exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_it_refuses_other_methods(member: User, client_for: ClientFor, method: str) -> None:
    client = with_sudo(client_for(member))
    response = getattr(client, method)(URL, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 405
    assert User.objects.filter(pk=member.pk).exists()


# --- The erasure ----------------------------------------------------------------------------


def test_it_handles_every_registered_model_by_its_policy(member: User, other_member: User) -> None:
    give_a_history(member, other_member)
    erased_id = privacy.erase_account(member)

    assert not ConsentEvent.objects.filter(user_id=erased_id).exists()
    assert not RoleGrant.objects.filter(user_id=erased_id).exists()
    assert not TOTPDevice.objects.filter(user_id=erased_id).exists()
    assert not StaticDevice.objects.filter(user_id=erased_id).exists()
    assert not StaticToken.objects.filter(token="abcd1234").exists()
    assert not LogEntry.objects.filter(user_id=erased_id).exists()
    # The entry about the account spelled its name: gone too.
    assert not LogEntry.objects.filter(object_repr="River").exists()
    # The role given to someone else stays with them, no longer saying who gave it.
    given = RoleGrant.objects.get(user=other_member)
    assert given.granted_by_id is None
    # Other people's own rows are untouched.
    assert LogEntry.objects.filter(user=other_member).count() == 0
    assert User.objects.filter(pk=other_member.pk).exists()


def test_it_keeps_audit_entries_and_records_the_erasure_by_number(
    member: User, other_member: User
) -> None:
    give_a_history(member, other_member)
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    erased_id = privacy.erase_account(member)

    assert before <= set(AuditEntry.objects.values_list("pk", flat=True))
    assert AuditEntry.objects.filter(subject_id=erased_id, verb="test.profile_viewed").exists()
    erased = AuditEntry.objects.get(verb="accounts.account_erased")
    assert (erased.actor_id, erased.subject_id) == (erased_id, erased_id)
    assert (erased.target_type, erased.target_id) == ("accounts.user", str(erased_id))


def test_it_ends_every_session_of_the_account(
    member: User, other_member: User, client_for: ClientFor
) -> None:
    phone, laptop, someone_else = client_for(member), client_for(member), client_for(other_member)
    post_with_csrf(with_sudo(phone), URL, {"confirm_name": "River"})

    remaining = [session.get_decoded().get(SESSION_KEY) for session in Session.objects.all()]
    assert str(member.pk) not in remaining
    assert str(other_member.pk) in remaining
    assert laptop.get(reverse("privacy:home")).status_code == 302
    assert someone_else.get(reverse("privacy:home")).status_code == 200


def test_it_changes_nothing_when_a_step_fails(
    member: User, other_member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    give_a_history(member, other_member)

    def fail(user: User) -> None:
        raise RuntimeError("storage unavailable")

    broken = privacy.Registration(
        ContentType,
        export=None,
        erase=privacy.ErasurePolicy.custom(fail, reason="test"),
        description="test",
    )
    monkeypatch.setitem(privacy._registry, broken.label, broken)
    entries = AuditEntry.objects.count()

    with pytest.raises(RuntimeError):
        privacy.erase_account(member)

    assert User.objects.filter(pk=member.pk).exists()
    assert ConsentEvent.objects.filter(user=member).count() == 3
    assert TOTPDevice.objects.filter(user=member).exists()
    assert AuditEntry.objects.count() == entries


def test_it_refuses_to_finish_while_rows_still_point_at_the_person(
    member: User, other_member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    give_a_history(member, other_member)
    forgetful = privacy.Registration(
        ConsentEvent,
        export=None,
        erase=privacy.ErasurePolicy.custom(lambda user: None, reason="forgets its rows"),
        description="test",
    )
    monkeypatch.setitem(privacy._registry, forgetful.label, forgetful)

    with pytest.raises(privacy.ErasureIncompleteError, match=r"accounts\.ConsentEvent\.user"):
        privacy.erase_account(member)

    assert User.objects.filter(pk=member.pk).exists()
    assert TOTPDevice.objects.filter(user=member).exists()


def test_it_refuses_to_erase_the_only_administrator(
    admin_user: User, client_for: ClientFor
) -> None:
    client = with_sudo(client_for(admin_user))
    page = client.get(URL).content.decode()
    assert "You are the only administrator" in page
    assert 'name="confirm_name"' not in page

    response = post_with_csrf(client, URL, {"confirm_name": "Avery"})
    assert response.status_code == 400
    assert "Your account has not been deleted" in response.content.decode()
    with pytest.raises(privacy.LastAdministratorError):
        privacy.erase_account(admin_user)
    assert User.objects.filter(pk=admin_user.pk).exists()


def test_it_erases_an_administrator_when_another_remains(
    admin_user: User, other_member: User
) -> None:
    RoleGrant.objects.create(user=other_member, role=Role.ADMIN, granted_by=admin_user)
    erased_id = privacy.erase_account(admin_user)
    assert not User.objects.filter(pk=erased_id).exists()
    assert RoleGrant.objects.get(user=other_member, role=Role.ADMIN).granted_by_id is None
