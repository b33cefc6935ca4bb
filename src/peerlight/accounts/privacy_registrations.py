"""How the foundation's own models leave with a person's data.

Roles, consent answers, two-factor devices, the admin history and the
security log each hold something about a person; ``register_foundation_models``
tells the privacy registry (``privacy``) how each is exported and erased. It
runs from ``AccountsConfig.ready()``, so the registry is complete from start-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from peerlight.accounts import privacy
from peerlight.accounts.models import ConsentEvent, RoleGrant, User
from peerlight.audit.models import AuditEntry


def _export_role_grants(user: User) -> dict[str, Any]:
    held = RoleGrant.objects.filter(user=user).order_by("granted_at", "id")
    given = RoleGrant.objects.filter(granted_by=user).order_by("granted_at", "id")
    # Who received the given roles is left out: that is about someone else.
    return {"held": _grant_records(held), "given_to_others": _grant_records(given)}


def _grant_records(grants: Iterable[RoleGrant]) -> list[dict[str, Any]]:
    return [
        {"role": grant.role, "granted_at": grant.granted_at, "revoked_at": grant.revoked_at}
        for grant in grants
    ]


def _erase_role_grants(user: User) -> None:
    RoleGrant.objects.filter(user=user).delete()
    RoleGrant.objects.filter(granted_by=user).update(granted_by=None)


def _export_consent_events(user: User) -> list[dict[str, Any]]:
    events = ConsentEvent.objects.filter(user=user).select_related("document")
    return [
        {
            "purpose": event.purpose,
            "action": event.action,
            "at": event.created_at,
            "document_version": event.document.version,
            "document_language": event.document.language,
            "document_title": event.document.title,
            "document_sha256": event.document.body_sha256,
        }
        for event in events.order_by("created_at", "id")
    ]


def _export_devices(model: type[TOTPDevice] | type[StaticDevice]) -> privacy.Exporter:
    # Names and dates only: a device's key or codes would let anyone holding
    # the file pass the second factor.
    def export(user: User) -> list[dict[str, Any]]:
        return [
            {
                "name": device.name,
                "confirmed": device.confirmed,
                "created_at": device.created_at,
                "last_used_at": device.last_used_at,
            }
            for device in model.objects.filter(user=user).order_by("id")
        ]

    return export


ADMIN_LOG_ACTIONS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


def _export_admin_log(user: User) -> list[dict[str, Any]]:
    # The text of an entry names the changed record, which may be another
    # person: the model and id say what was changed without naming anyone.
    entries = LogEntry.objects.filter(user=user).select_related("content_type")
    return [
        {
            "at": entry.action_time,
            "action": ADMIN_LOG_ACTIONS.get(entry.action_flag, str(entry.action_flag)),
            "model": entry.content_type.model if entry.content_type else None,
            "object_id": entry.object_id,
        }
        for entry in entries.order_by("action_time", "id")
    ]


def _erase_admin_log(user: User) -> None:
    LogEntry.objects.filter(user=user).delete()
    # Entries about the account spell its display name in their text.
    user_type = ContentType.objects.get_for_model(User)
    LogEntry.objects.filter(content_type=user_type, object_id=str(user.pk)).delete()


def _export_audit_entries(user: User) -> list[dict[str, Any]]:
    entries = AuditEntry.objects.filter(Q(actor_id=user.pk) | Q(subject_id=user.pk))
    return [
        {
            "id": entry.pk,
            "at": entry.created_at,
            "action": entry.action,
            "verb": entry.verb,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "reason": entry.reason,
            "by_you": entry.actor_id == user.pk,
            "about_you": entry.subject_id == user.pk,
        }
        for entry in entries.order_by("id").iterator(chunk_size=2000)
    ]


def register_foundation_models() -> None:
    """Register the models this app and its libraries hold about a person (once, at start-up)."""
    privacy.register(
        RoleGrant,
        export=_export_role_grants,
        erase=privacy.ErasurePolicy.custom(
            _erase_role_grants,
            reason=_(
                "Your own roles are erased. Roles you gave to other people stay with "
                "them; only the note that you gave them is removed."
            ),
        ),
        description=_("Your roles, and roles you gave to other people"),
    )
    privacy.register(
        ConsentEvent,
        export=_export_consent_events,
        erase=privacy.ErasurePolicy.delete(),
        description=_("Your consent answers, with the version of each text"),
    )
    privacy.register(
        TOTPDevice,
        export=_export_devices(TOTPDevice),
        erase=privacy.ErasurePolicy.delete(),
        description=_("Your authenticator apps (names only, never their keys)"),
    )
    privacy.register(
        StaticDevice,
        export=_export_devices(StaticDevice),
        erase=privacy.ErasurePolicy.delete(),
        description=_("Your backup code lists (names only, never the codes)"),
    )
    privacy.register(
        LogEntry,
        export=_export_admin_log,
        erase=privacy.ErasurePolicy.custom(
            _erase_admin_log,
            reason=_(
                "Entries you made in the administration history are deleted, and so are "
                "entries other people made about your account, as they spell your name."
            ),
        ),
        description=_("Changes you made in the administration area"),
    )
    privacy.register(
        AuditEntry,
        export=_export_audit_entries,
        erase=privacy.ErasurePolicy.keep_pseudonymised(
            _(
                "The security log is sealed: each entry is linked to the one before it, so "
                "none can be removed without breaking it. Entries hold account numbers, "
                "never names. Once your account is gone, its number leads to no one."
            )
        ),
        description=_("Security log entries of things you did, or that were done to your data"),
    )
