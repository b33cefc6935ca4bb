"""What circles hold about a person, for "Download my data" and account deletion."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from peerlight.accounts.models import User


def _memberships(user: User) -> list[dict[str, Any]]:
    from peerlight.circles.models import Membership

    rows = Membership.objects.filter(user=user).select_related("circle").order_by("requested_at")
    return [
        {
            "circle": row.circle.name,
            "status": row.status,
            "note_with_request": row.request_note,
            "age_confirmed": row.age_confirmed,
            "requested_at": row.requested_at,
            "joined_at": row.joined_at,
            "left_at": row.left_at,
        }
        for row in rows
    ]


def _attendance(user: User) -> list[dict[str, Any]]:
    from peerlight.circles.models import Attendance

    rows = (
        Attendance.objects.filter(user=user)
        .select_related("meeting__circle")
        .order_by("meeting__starts_at")
    )
    return [
        {
            "circle": row.meeting.circle.name,
            "meeting_started_at": row.meeting.starts_at,
            "present": row.present,
        }
        for row in rows
    ]


def _notices(user: User) -> list[dict[str, Any]]:
    from peerlight.circles.models import Notice

    rows = Notice.objects.filter(user=user).select_related("circle").order_by("created_at")
    return [
        {
            "circle": row.circle.name,
            "kind": row.kind,
            "created_at": row.created_at,
            "seen_at": row.seen_at,
            "emailed_at": row.emailed_at,
        }
        for row in rows
    ]


def _facilitated(user: User) -> list[str]:
    return list(user.facilitated_circles.order_by("name").values_list("name", flat=True))


def _calendar(user: User) -> dict[str, Any] | None:
    from peerlight.circles.models import CalendarFeed

    feed = CalendarFeed.objects.filter(user=user).first()
    return None if feed is None else {"created_at": feed.created_at, "version": feed.version}


def _erase_memberships(user: User) -> None:
    from peerlight.circles.models import Membership

    Membership.objects.filter(user=user).delete()
    Membership.objects.filter(decided_by=user).update(decided_by=None)


def _erase_attendance(user: User) -> None:
    from peerlight.circles.models import Attendance

    Attendance.objects.filter(user=user).delete()
    Attendance.objects.filter(marked_by=user).update(marked_by=None)


def register() -> None:
    from peerlight.accounts import privacy
    from peerlight.circles.models import (
        AgreementTemplate,
        Attendance,
        CalendarFeed,
        Circle,
        Membership,
        Notice,
    )

    privacy.register(
        Membership,
        export=_memberships,
        erase=privacy.ErasurePolicy.custom(
            _erase_memberships,
            reason=_(
                "Your places in circles are deleted; requests you decided on as a "
                "facilitator stay without your name."
            ),
        ),
        description=_("The circles you joined or asked to join"),
    )
    privacy.register(
        Attendance,
        export=_attendance,
        erase=privacy.ErasurePolicy.custom(
            _erase_attendance,
            reason=_(
                "Your attendance is deleted; attendance you took as a facilitator stays "
                "without your name."
            ),
        ),
        description=_("The circle meetings you came to"),
    )
    privacy.register(
        Notice,
        export=_notices,
        erase=privacy.ErasurePolicy.delete(),
        description=_("Reminders and news about your circles"),
    )
    privacy.register(
        CalendarFeed,
        export=_calendar,
        erase=privacy.ErasurePolicy.delete(),
        description=_("Your private calendar address"),
    )
    privacy.register(
        Circle,
        export=_facilitated,
        erase=privacy.ErasurePolicy.keep_pseudonymised(
            _("Circles you facilitated or set up carry on for their members, without your name.")
        ),
        description=_("Circles you facilitate"),
    )
    privacy.register(
        AgreementTemplate,
        export=None,
        erase=privacy.ErasurePolicy.keep_pseudonymised(
            _("Group agreement templates you edited stay, without your name.")
        ),
        description=_("Group agreement templates you edited"),
    )
