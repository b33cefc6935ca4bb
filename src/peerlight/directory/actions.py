"""Every write of the directory's pages: peer notes, reports, curation and editing.

Each action validates, writes in one transaction and appends the audit
entry there. Changes to a service also write HSDS ``metadata`` rows (field,
previous value, new value, who), bump ``last_modified`` and re-index the
service for search inside the same transaction, so the index never
disagrees with what was committed.

HSDS publishes ``metadata.updated_by`` and ``service.assurer_email`` to
anyone who reads the directory or its API. A coordinator's display name is
also their log-in name, and their e-mail address is theirs alone, so
neither is written there: ``updated_by`` names the role on this site and
``assurer_email`` is the organisation's address. The audit log keeps who
it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from email.utils import parseaddr
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.audit.actions import record_change
from peerlight.chat.masking import mask_contact_details
from peerlight.directory import access, search
from peerlight.directory.forms import DAYS
from peerlight.directory.models import (
    EDITABLE_SERVICE_FIELDS,
    InfoReport,
    Metadata,
    PeerNote,
    Phone,
    Schedule,
    Service,
)
from peerlight.directory.presenters import WeekHours, simple_week
from peerlight.lib import ratelimit

__all__ = [
    "DirectoryError",
    "add_peer_note",
    "close_report",
    "erase_peer_notes",
    "mark_verified",
    "report_outdated",
    "review_peer_note",
    "update_service",
]

# Generous for one person, because a slow day of curation is many reports;
# tight enough that nobody floods the queue.
REPORT_IP = ratelimit.Policy("directory-report-ip", limit=30, period=60 * 60)
REPORT_PERSON = ratelimit.Policy("directory-report-person", limit=10, period=60 * 60)
NOTE_AUTHOR = ratelimit.Policy("directory-note-author", limit=20, period=60 * 60)

EDITABLE_FIELDS = frozenset(EDITABLE_SERVICE_FIELDS)
PHONE_FIELDS = ("number", "extension", "type", "description")


class DirectoryError(Exception):
    """A write was refused; ``message`` says why in words for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _now_iso() -> str:
    return timezone.now().isoformat(timespec="milliseconds")


def _updated_by() -> str:
    return f"{settings.PEERLIGHT_SITE_NAME} coordinator"


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _metadata(
    resource_id: UUID,
    resource_type: str,
    action: str,
    field: str,
    previous: object,
    replacement: object,
) -> None:
    Metadata.objects.create(
        resource_id=resource_id,
        resource_type=resource_type,
        last_action_date=access.today().isoformat(),
        last_action_type=action,
        field_name=field,
        previous_value=_as_text(previous),
        replacement_value=_as_text(replacement),
        updated_by=_updated_by(),
    )


# --- Peer notes --------------------------------------------------------------------------


def add_peer_note(author: User, service: Service, body: str) -> PeerNote:
    """Save a peer supporter's note, waiting for a coordinator; contact details are refused.

    Raises ``DirectoryError`` for anyone but a peer supporter, or a note with
    a phone number, e-mail address, handle or social link in it, and
    ``ratelimit.RateLimited`` after too many notes.
    """
    if not access.can_write_notes(author):
        raise DirectoryError(_("Only peer supporters can add notes."))
    body = " ".join(body.split())
    if not body:
        raise DirectoryError(_("Please write your note."))
    _masked, found = mask_contact_details(body)
    if found:
        raise DirectoryError(
            _(
                "Please leave out phone numbers, e-mail addresses and other contact details. "
                "The service page already shows how to reach them, and notes stay about "
                "what it is like to go there."
            )
        )
    ratelimit.hit(NOTE_AUTHOR, str(author.pk))
    with transaction.atomic():
        note = PeerNote.objects.create(service=service, author=author, body=body)
        record_change(author, "directory.note.write", note)
    return note


def review_peer_note(reviewer: User, note_id: int, *, publish: bool) -> PeerNote:
    """Publish or reject a waiting note (404 for one not waiting, or for a non-coordinator)."""
    with transaction.atomic():
        note = access.get_note_for_staff(reviewer, note_id)
        note.status = PeerNote.Status.PUBLISHED if publish else PeerNote.Status.REJECTED
        note.reviewed_by = reviewer
        note.reviewed_at = timezone.now()
        note.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        verb = "directory.note.publish" if publish else "directory.note.reject"
        record_change(reviewer, verb, note, subject=note.author)
    return note


def erase_peer_notes(user: User) -> None:
    """For account deletion: the person's own notes go; notes they reviewed lose the link."""
    with transaction.atomic():
        PeerNote.objects.filter(author=user).delete()
        PeerNote.objects.filter(reviewed_by=user).update(reviewed_by=None)


# --- Reports of outdated information ------------------------------------------------------


def report_outdated(
    service: Service,
    *,
    reporter: User | None,
    topic: str,
    details: str,
    ip: str,
    session_key: str | None,
) -> InfoReport:
    """Put a report in the coordinators' queue. Anyone may report, visitors too.

    Counted per address, and per account (or per session for a visitor who
    has one): ``ratelimit.RateLimited`` when over either limit.
    """
    if topic not in InfoReport.Topic.values:
        raise DirectoryError(_("Please choose what is out of date."))
    ratelimit.hit(REPORT_IP, ip)
    if reporter is not None:
        ratelimit.hit(REPORT_PERSON, f"account:{reporter.pk}")
    elif session_key:
        ratelimit.hit(REPORT_PERSON, f"session:{session_key}")
    with transaction.atomic():
        report = InfoReport.objects.create(
            service=service, reporter=reporter, topic=topic, details=details.strip()
        )
        record_change(reporter, "directory.report.make", report)
    return report


def close_report(handler: User, report_id: int, *, status: str) -> InfoReport:
    """Mark an open report fixed or dismissed (404 for a closed one, or a non-coordinator)."""
    if status not in (InfoReport.Status.FIXED, InfoReport.Status.DISMISSED):
        raise DirectoryError(_("Please choose fixed or dismissed."))
    with transaction.atomic():
        report = access.get_report_for_staff(handler, report_id)
        report.status = status
        report.handled_by = handler
        report.handled_at = timezone.now()
        report.save(update_fields=["status", "handled_by", "handled_at"])
        record_change(handler, f"directory.report.{status}", report)
    return report


# --- Editing a service ----------------------------------------------------------------------


def update_service(
    editor: User,
    service_id: UUID,
    *,
    values: Mapping[str, Any],
    phones: Iterable[Mapping[str, Any]] | None = None,
    hours: WeekHours | None = None,
    expected_version: str | None = None,
) -> list[str]:
    """Change a service's main fields, phones and weekly hours; return what changed.

    ``phones`` is the full list to keep (``id`` None for a new one; a phone
    left out is removed); ``hours``, when given, replaces the service's own
    schedules unless they already say the same. ``expected_version`` is the
    ``last_modified`` the editor saw: if someone changed the service since,
    nothing is written. Nothing changes: nothing is written at all.
    """
    unknown = set(values) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        service = access.get_service_for_editor(editor, service_id, lock=True)
        if expected_version is not None and (service.last_modified or "") != expected_version:
            raise DirectoryError(
                _(
                    "Someone else changed this service while you were editing it. "
                    "Here it is as it is now: please make your changes again."
                )
            )
        changed: list[str] = []
        for field, new in values.items():
            old = getattr(service, field)
            if old != new:
                _metadata(service.id, "service", "update", field, old, new)
                setattr(service, field, new)
                changed.append(field)
        if phones is not None and _update_phones(service, list(phones)):
            changed.append("phones")
        if hours is not None and _replace_hours(service, hours):
            changed.append("schedules")
        if not changed:
            return []
        service.last_modified = _now_iso()
        service.save()
        record_change(editor, "directory.service.edit", service, reason=",".join(changed)[:200])
        search.reindex([service.id])
    return changed


def _update_phones(service: Service, wanted: list[Mapping[str, Any]]) -> bool:
    current = {phone.id: phone for phone in service.phones.all()}
    kept_ids = {item["id"] for item in wanted if item.get("id")}
    if kept_ids - set(current):
        raise DirectoryError(_("These phone numbers changed meanwhile. Please reload the page."))
    changed = False
    for phone_id, phone in current.items():
        if phone_id not in kept_ids:
            _metadata(phone.id, "phone", "delete", "number", phone.number, None)
            phone.delete()
            changed = True
    for item in wanted:
        existing = current.get(item["id"]) if item.get("id") else None
        if existing is None:
            created = Phone.objects.create(
                service=service, **{name: item[name] for name in PHONE_FIELDS}
            )
            _metadata(created.id, "phone", "create", "number", None, created.number)
            changed = True
            continue
        updates = [name for name in PHONE_FIELDS if getattr(existing, name) != item[name]]
        for name in updates:
            _metadata(existing.id, "phone", "update", name, getattr(existing, name), item[name])
            setattr(existing, name, item[name])
        if updates:
            existing.save(update_fields=updates)
            changed = True
    return changed


def _describe(days: str, opens: str, closes: str) -> str:
    return f"{days} {opens}-{closes}"


def _replace_hours(service: Service, hours: WeekHours) -> bool:
    """Replace the service's own schedules by one WEEKLY row per set of equal days."""
    current = list(service.schedules.all())
    if (not current and not hours.days) or simple_week(current) == hours:
        return False
    for schedule in current:
        _metadata(
            schedule.id,
            "schedule",
            "delete",
            "byday",
            _describe(schedule.byday or "", schedule.opens_at or "", schedule.closes_at or ""),
            None,
        )
        schedule.delete()
    offset = ZoneInfo(hours.time_zone).utcoffset(datetime.now(ZoneInfo(hours.time_zone)))
    utc_hours = offset.total_seconds() / 3600 if offset is not None else None
    groups: dict[tuple[str, str], list[str]] = {}
    for code, _day in DAYS:
        if code in hours.days:
            groups.setdefault(hours.days[code], []).append(code)
    for (opens, closes), codes in groups.items():
        byday = ",".join(codes)
        schedule = Schedule.objects.create(
            service=service,
            freq="WEEKLY",
            wkst="MO",
            byday=byday,
            opens_at=opens,
            closes_at=closes,
            time_zone=hours.time_zone,
            timezone=utc_hours,
        )
        _metadata(
            schedule.id, "schedule", "create", "byday", None, _describe(byday, opens, closes)
        )
    return True


def mark_verified(editor: User, service_id: UUID) -> Service:
    """Record that a coordinator checked the listing today (``assured_date``)."""
    with transaction.atomic():
        service = access.get_service_for_editor(editor, service_id, lock=True)
        checked = access.today().isoformat()
        email = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or None
        for field, new in (("assured_date", checked), ("assurer_email", email)):
            old = getattr(service, field)
            if old != new:
                _metadata(service.id, "service", "verify", field, old, new)
                setattr(service, field, new)
        service.last_modified = _now_iso()
        service.save(update_fields=["assured_date", "assurer_email", "last_modified"])
        record_change(editor, "directory.service.verify", service)
        search.reindex([service.id])
    return service
