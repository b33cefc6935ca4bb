"""The privacy centre home and "Download my data"."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from peerlight.accounts import consent, privacy
from peerlight.accounts.models import ConsentPurpose, Role, RoleGrant, User
from peerlight.audit.actions import record_change, record_read
from peerlight.audit.models import AuditEntry
from tests.conftest import csrf_token, post_with_csrf, with_sudo

ClientFor = Callable[[User | None], Client]
HOME = "/privacy/"
URL = "/privacy/export/"


def download(client: Client) -> dict[str, Any]:
    response = post_with_csrf(client, URL)
    assert response.status_code == 200
    loaded: dict[str, Any] = json.loads(response.content)
    return loaded


# --- Privacy centre home ---------------------------------------------------------------


def test_it_explains_what_is_kept_and_links_to_each_page(
    member: User, client_for: ClientFor
) -> None:
    response = client_for(member).get(HOME)
    assert response.status_code == 200
    page = response.content.decode()
    assert "What we keep" in page
    for name in ("privacy:consents", "privacy:export", "privacy:delete"):
        assert f'href="{reverse(name)}"' in page


def test_it_ignores_unexpected_query_parameters_on_home(
    member: User, client_for: ClientFor
) -> None:
    response = client_for(member).get(HOME, {"next": "https://example.com/", "tab": "x"})
    assert response.status_code == 200
    assert "https://example.com/" not in response.content.decode()


def test_it_sends_a_stranger_from_home_to_log_in(client_for: ClientFor) -> None:
    response = client_for(None).get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_it_refuses_other_methods_on_home(
    member: User, client_for: ClientFor, method: str
) -> None:
    client = client_for(member)
    response = getattr(client, method)(HOME, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 405


# --- What the download page shows -----------------------------------------------------


def test_it_lists_what_the_file_contains(member: User, client_for: ClientFor) -> None:
    response = client_for(member).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    for registration in privacy.registrations():
        if registration.export is not None:
            assert str(registration.description) in page
    assert "does not contain your password" in page


def test_it_asks_for_the_password_before_downloading(member: User, client_for: ClientFor) -> None:
    response = post_with_csrf(client_for(member), URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:confirm-password"))
    assert not AuditEntry.objects.filter(verb="accounts.data_exported").exists()


# --- The file ---------------------------------------------------------------------------


def test_it_downloads_one_json_file_named_with_the_date(
    member: User, client_for: ClientFor
) -> None:
    response = post_with_csrf(with_sudo(client_for(member)), URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="peerlight-my-data-{today}.json"'
    )
    assert "no-store" in response["Cache-Control"]
    document = json.loads(response.content)
    assert document["format"] == privacy.EXPORT_FORMAT
    assert document["format_version"] == privacy.EXPORT_FORMAT_VERSION


def test_it_holds_the_account_with_the_email_in_clear(member: User, client_for: ClientFor) -> None:
    RoleGrant.objects.create(user=member, role=Role.PEER_SUPPORTER)
    document = download(with_sudo(client_for(member)))
    account = document["account"]
    assert account["id"] == member.pk
    assert account["display_name"] == "River"
    assert account["email"] == "river@example.org"
    assert account["roles"] == ["member", "peer_supporter"]
    assert "password" not in account
    roles = document["sections"]["accounts.rolegrant"]["records"]
    assert [grant["role"] for grant in roles["held"]] == ["peer_supporter"]


def test_it_holds_consent_answers_with_their_versions(member: User, client_for: ClientFor) -> None:
    text = consent.current_document(ConsentPurpose.RESEARCH, "es")
    assert text is not None
    consent.grant(member, text)
    consent.withdraw(member, ConsentPurpose.RESEARCH)
    document = download(with_sudo(client_for(member)))
    events = document["sections"]["accounts.consentevent"]["records"]
    assert [(e["purpose"], e["action"], e["document_version"]) for e in events] == [
        ("research", "grant", 1),
        ("research", "withdraw", 1),
    ]
    assert events[0]["document_language"] == "es"
    assert events[0]["document_sha256"] == text.body_sha256


def test_it_holds_audit_entries_by_or_about_the_person_and_this_download(
    member: User, other_member: User, coordinator: User, client_for: ClientFor
) -> None:
    record_read(coordinator, "test.profile_viewed", member, subject=member)
    record_change(member, "test.changed_something", ("test.thing", "7"))
    record_change(other_member, "test.not_about_river", other_member, subject=other_member)
    document = download(with_sudo(client_for(member)))
    entries = document["sections"]["audit.auditentry"]["records"]
    verbs = [entry["verb"] for entry in entries]
    assert verbs == ["test.profile_viewed", "test.changed_something", "accounts.data_exported"]
    assert (entries[0]["by_you"], entries[0]["about_you"]) == (False, True)
    assert (entries[1]["by_you"], entries[1]["about_you"]) == (True, False)


def test_it_names_devices_but_never_their_secrets(member: User, client_for: ClientFor) -> None:
    totp = TOTPDevice.objects.create(user=member, name="My phone", confirmed=True)
    backup = StaticDevice.objects.create(user=member, name="Paper codes")
    backup.token_set.create(token="k3y5ecr3")
    response = post_with_csrf(with_sudo(client_for(member)), URL)
    content = response.content.decode()
    document = json.loads(content)
    assert document["sections"]["otp_totp.totpdevice"]["records"][0]["name"] == "My phone"
    assert document["sections"]["otp_static.staticdevice"]["records"][0]["name"] == "Paper codes"
    assert totp.key not in content
    assert "k3y5ecr3" not in content


def test_it_holds_admin_history_without_naming_anyone(
    admin_user: User, other_member: User, client_for: ClientFor
) -> None:
    LogEntry.objects.create(
        user=admin_user,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(other_member.pk),
        object_repr=other_member.display_name,
        action_flag=CHANGE,
        change_message="Changed language.",
    )
    response = post_with_csrf(with_sudo(client_for(admin_user)), URL)
    document = json.loads(response.content)
    history = document["sections"]["admin.logentry"]["records"]
    assert history == [
        {
            "at": history[0]["at"],
            "action": "changed",
            "model": "user",
            "object_id": str(other_member.pk),
        }
    ]
    assert other_member.display_name not in response.content.decode()


def test_it_leaves_out_everyone_else(
    member: User, other_member: User, client_for: ClientFor
) -> None:
    text = consent.current_document(ConsentPurpose.TERMS)
    assert text is not None
    consent.grant(other_member, text)
    TOTPDevice.objects.create(user=other_member, name="Sky's phone")
    document = download(with_sudo(client_for(member)))
    assert document["sections"]["accounts.consentevent"]["records"] == []
    assert document["sections"]["otp_totp.totpdevice"]["records"] == []
    assert "Sky" not in json.dumps(document)


def test_it_includes_what_later_apps_register(
    member: User, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = privacy.Registration(
        ContentType,
        export=lambda user: {"circles_joined": 2, "first": timezone.now()},
        erase=privacy.ErasurePolicy.delete(),
        description="Circles you joined",
    )
    monkeypatch.setitem(privacy._registry, later.label, later)
    document = download(with_sudo(client_for(member)))
    section = document["sections"]["contenttypes.contenttype"]
    assert section["description"] == "Circles you joined"
    assert section["records"]["circles_joined"] == 2


def test_it_audits_the_download(member: User, client_for: ClientFor) -> None:
    post_with_csrf(with_sudo(client_for(member)), URL)
    entry = AuditEntry.objects.get(verb="accounts.data_exported")
    assert entry.action == "read"
    assert (entry.actor_id, entry.subject_id) == (member.pk, member.pk)
    assert (entry.target_type, entry.target_id) == ("accounts.user", str(member.pk))


def test_it_refuses_a_download_without_the_csrf_token(member: User, client_for: ClientFor) -> None:
    response = with_sudo(client_for(member)).post(URL)
    assert response.status_code == 403
    assert not AuditEntry.objects.exists()


def test_it_sends_a_stranger_to_log_in(client_for: ClientFor) -> None:
    client = client_for(None)
    for response in (client.get(URL), post_with_csrf(client, URL)):
        assert response.status_code == 302
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_it_refuses_other_methods(member: User, client_for: ClientFor, method: str) -> None:
    client = with_sudo(client_for(member))
    response = getattr(client, method)(URL, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 405


# --- Registering ------------------------------------------------------------------------


def test_it_refuses_to_register_a_model_twice() -> None:
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        privacy.register(RoleGrant, export=None, erase=privacy.ErasurePolicy.delete())


def test_it_refuses_to_keep_rows_whose_user_field_cannot_be_emptied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(privacy._registry, "otp_totp.totpdevice")
    with pytest.raises(ImproperlyConfigured, match="must be nullable"):
        privacy.register(
            TOTPDevice, export=None, erase=privacy.ErasurePolicy.keep_pseudonymised("because")
        )


def test_it_asks_for_a_written_reason_to_keep_rows() -> None:
    with pytest.raises(ImproperlyConfigured, match="written reason"):
        privacy.ErasurePolicy.keep_pseudonymised(" ")
    with pytest.raises(ImproperlyConfigured, match="written reason"):
        privacy.ErasurePolicy.custom(lambda user: None, reason="")
