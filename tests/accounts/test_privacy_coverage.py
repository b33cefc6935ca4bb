"""Every model that points at a person is known to the privacy registry.

The walk below is written independently of ``privacy.user_fields`` on
purpose, so that a mistake there cannot hide a gap. Sessions hold the account
id inside their encoded data rather than in a column: erasure ends them
separately (see ``test_erasure.py``), and the last test here checks it.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import models
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from peerlight.accounts import consent, privacy
from peerlight.accounts.models import ConsentPurpose, Role, RoleGrant, User
from peerlight.audit.actions import record_read
from peerlight.audit.models import AuditEntry


def relations_to_people(*, include_auto_created: bool) -> list[tuple[Any, models.Field[Any, Any]]]:
    """(model, field) for every FK, one-to-one and many-to-many to the user model."""
    user_model = get_user_model()
    found = []
    for model in apps.get_models(include_auto_created=include_auto_created):
        for field in [*model._meta.local_fields, *model._meta.local_many_to_many]:
            if field.is_relation and field.related_model is user_model:
                found.append((model, field))
    return found


def test_every_model_pointing_at_a_person_is_exported_or_erased() -> None:
    registered = privacy.registry()
    uncovered = [
        f"{model._meta.label}.{field.name}"
        for model, field in relations_to_people(include_auto_created=False)
        if model._meta.label_lower not in registered
    ]
    assert not uncovered, (
        "These fields point at a person, but their models are not registered with "
        "peerlight.accounts.privacy.register() (neither export nor erasure): "
        + ", ".join(uncovered)
    )


def test_the_walk_finds_the_installed_models() -> None:
    # If this fails, the walk above has stopped seeing relations it must see.
    found = {
        f"{model._meta.label}.{field.name}"
        for model, field in relations_to_people(include_auto_created=False)
    }
    assert {
        "accounts.RoleGrant.user",
        "accounts.RoleGrant.granted_by",
        "accounts.ConsentEvent.user",
        "otp_totp.TOTPDevice.user",
        "otp_static.StaticDevice.user",
        "admin.LogEntry.user",
    } <= found


def test_the_registry_check_names_an_unregistered_model_and_field() -> None:
    registered = dict(privacy.registry())
    del registered["otp_totp.totpdevice"]
    assert privacy.uncovered_user_references(registered) == ["otp_totp.TOTPDevice.user"]
    assert privacy.uncovered_user_references() == []


def make_everything_point_at(user: User, other: User) -> None:
    """A row of every kind installed that can point at ``user``."""
    for purpose in ConsentPurpose:
        text = consent.current_document(purpose)
        assert text is not None
        consent.grant(user, text)
    consent.withdraw(user, ConsentPurpose.RESEARCH)
    RoleGrant.objects.create(user=user, role=Role.COORDINATOR)
    RoleGrant.objects.create(user=other, role=Role.PEER_SUPPORTER, granted_by=user)
    RoleGrant.objects.create(user=user, role=Role.RESEARCHER, granted_by=user)
    TOTPDevice.objects.create(user=user, name="phone")
    StaticDevice.objects.create(user=user, name="codes").token_set.create(token="12345678")
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(other.pk),
        object_repr="x",
        action_flag=CHANGE,
    )
    record_read(other, "test.profile_viewed", user, subject=user)
    client = Client()
    client.force_login(user)


def test_erasure_leaves_no_row_pointing_at_the_person(member: User, other_member: User) -> None:
    make_everything_point_at(member, other_member)
    relations = relations_to_people(include_auto_created=True)
    pointing_before = sum(
        model._base_manager.filter(**{field.attname: member.pk}).count()
        for model, field in relations
        if not field.many_to_many
    )
    assert pointing_before >= 9

    erased_id = privacy.erase_account(member)

    leftovers = {
        f"{model._meta.label}.{field.name}": count
        for model, field in relations
        if not field.many_to_many
        and (count := model._base_manager.filter(**{field.attname: erased_id}).count())
    }
    assert leftovers == {}
    assert not User.objects.filter(pk=erased_id).exists()
    sessions = [session.get_decoded().get(SESSION_KEY) for session in Session.objects.all()]
    assert str(erased_id) not in sessions


def test_audit_entries_remain_and_the_chain_verifies_after_erasure(
    member: User, other_member: User
) -> None:
    make_everything_point_at(member, other_member)
    about_member = AuditEntry.objects.filter(subject_id=member.pk).count()
    assert about_member > 0

    erased_id = privacy.erase_account(member)

    # The erasure's own entry is the only one added about the person.
    assert AuditEntry.objects.filter(subject_id=erased_id).count() == about_member + 1
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "Audit log intact" in out.getvalue()
