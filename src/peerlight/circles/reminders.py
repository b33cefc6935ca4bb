"""Telling people about their circles: in-app notices, e-mails and meeting reminders.

- ``notify`` leaves a ``Notice`` for one person (shown on every page by the
  context processor ``circles_notices`` and the partial
  ``circles/_notices.html``) and, after commit, queues ``email_notice`` when
  the person gave an e-mail address and is not a guest.
- ``schedule_reminders`` queues ``send_reminder`` a day and an hour before
  each meeting; the task reminds the circle's members then, unless the
  meeting was cancelled or changed in between (a change schedules fresh
  reminders for its new sequence).

Discretion: someone else may read the phone or the inbox. No notice text
and no e-mail names the circle, its topics or its people; they say "a
circle you belong to" and link to the meeting page, which asks the person
to sign in.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Window
from django.http import Http404, HttpRequest
from django.tasks import task
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.circles.models import Circle, Meeting, Membership, Notice
from peerlight.circles.schedule import zone_label

__all__ = [
    "BANNER_LIMIT",
    "REMINDER_LEADS",
    "NoticeLine",
    "circles_notices",
    "email_notice",
    "mark_seen",
    "notice_line",
    "notices_of",
    "notify",
    "notify_members",
    "schedule_reminders",
    "send_reminder",
]

Kind = Notice.Kind

# How long before a meeting each reminder goes out.
REMINDER_LEADS = {Kind.REMINDER_DAY: timedelta(days=1), Kind.REMINDER_HOUR: timedelta(hours=1)}
# The banner shows this many unseen notices at most; the circles page shows all.
BANNER_LIMIT = 3
# Facilitators hear about their circle's changes and cancellations too.
LEADERS_TOO = frozenset({Kind.CANCELLED, Kind.CHANGED})

# --- What a notice says ----------------------------------------------------------------


@dataclass(frozen=True)
class NoticeLine:
    """A notice as a person sees it: a discreet sentence and where to look."""

    notice_id: int
    text: str
    path: str
    created_at: datetime


def _when(meeting: Meeting, zone: str) -> dict[str, str]:
    local = meeting.starts_at.astimezone(ZoneInfo(zone))
    return {
        "day": formats.date_format(local, "l") + ", " + formats.date_format(local, "DATE_FORMAT"),
        "time": formats.time_format(local, "TIME_FORMAT"),
        "zone": zone_label(zone),
    }


def _sentence(notice: Notice, meeting: Meeting | None, zone: str) -> str:
    """The notice in one sentence of the active language, never naming the circle."""
    if notice.kind == Kind.MOVED_UP:
        return _("A place opened up: you are now a member of a circle you were waiting for.")
    if notice.kind == Kind.APPROVED:
        return _("Your request to join a circle was accepted.")
    if notice.kind == Kind.DECLINED:
        return _("Your request to join a circle was not accepted this time.")
    if meeting is None:
        return _("There is news about a circle you belong to.")
    when = _when(meeting, zone)
    if notice.kind == Kind.REMINDER_DAY:
        return _("A circle you belong to meets on %(day)s at %(time)s (%(zone)s).") % when
    if notice.kind == Kind.REMINDER_HOUR:
        return _("A circle you belong to meets soon, at %(time)s (%(zone)s).") % when
    if notice.kind == Kind.CANCELLED:
        return (
            _("The meeting of a circle you belong to on %(day)s at %(time)s is cancelled.") % when
        )
    return _("A meeting of a circle you belong to has a new time: %(day)s at %(time)s.") % when


def _path(notice: Notice) -> str:
    if notice.meeting_id is not None:
        return reverse("circles:meeting", args=[notice.meeting_id])
    return reverse("circles:mine")


def notice_line(notice: Notice) -> NoticeLine:
    """What ``notice`` says, in the active language (its meeting and circle loaded)."""
    return NoticeLine(
        notice_id=int(notice.pk),
        text=_sentence(notice, notice.meeting, notice.circle.time_zone),
        path=_path(notice),
        created_at=notice.created_at,
    )


def _email_first_line(notice: Notice) -> str:
    site = settings.PEERLIGHT_SITE_NAME
    meeting = notice.meeting
    if notice.kind in REMINDER_LEADS and meeting is not None:
        when = _when(meeting, notice.circle.time_zone)
        if notice.kind == Kind.REMINDER_DAY:
            sentence = _("a circle you belong to meets tomorrow at %(time)s (%(zone)s).") % when
        else:
            sentence = _("a circle you belong to meets soon, at %(time)s (%(zone)s).") % when
        return _("A reminder from %(site)s: %(sentence)s") % {"site": site, "sentence": sentence}
    return _("News from %(site)s: %(sentence)s") % {
        "site": site,
        "sentence": _sentence(notice, meeting, notice.circle.time_zone),
    }


def _email(notice: Notice) -> tuple[str, str]:
    """Subject and body of the e-mail for ``notice``, in the active language."""
    site = settings.PEERLIGHT_SITE_NAME
    if notice.kind in REMINDER_LEADS:
        subject = _("A reminder from %(site)s") % {"site": site}
    else:
        subject = _("News from %(site)s") % {"site": site}
    link = urljoin(settings.PEERLIGHT_BASE_URL + "/", _path(notice).lstrip("/"))
    body = _(
        "%(first_line)s\n\n"
        "The details are here (you may need to sign in):\n%(link)s\n\n"
        "You get this e-mail because your account on %(site)s has this address. "
        "You can remove it on your account page."
    ) % {"first_line": _email_first_line(notice), "link": link, "site": site}
    return subject, body


# --- Notifying -------------------------------------------------------------------------


def _wants_email(user: User) -> bool:
    return bool(user.email) and not user.is_guest and user.is_active


def notify(
    user: User, circle: Circle, kind: str, *, meeting: Meeting | None = None
) -> Notice | None:
    """Leave ``user`` a notice of ``kind``; return it, or None if they had it already.

    A meeting's notice is made once per meeting, kind and meeting sequence
    (the unique constraint), so notifying twice is harmless. After commit
    the e-mail is queued for people with an address who are not guests.
    """
    if not user.is_active:
        return None
    if meeting is None:
        notice = Notice.objects.create(user=user, circle=circle, kind=kind)
    else:
        notice, created = Notice.objects.get_or_create(
            user=user,
            meeting=meeting,
            kind=kind,
            sequence=meeting.sequence,
            defaults={"circle": circle},
        )
        if not created:
            return None
    if _wants_email(user):
        transaction.on_commit(functools.partial(email_notice.enqueue, int(notice.pk)))
    return notice


def notify_members(meeting: Meeting, kind: str) -> list[Notice]:
    """Notify every member of the meeting's circle (and, for a change or cancellation,
    its facilitators); return the notices made now."""
    circle = meeting.circle
    members = User.objects.filter(
        circle_memberships__circle=circle,
        circle_memberships__status=Membership.Status.MEMBER,
        is_active=True,
    )
    people = list(members.order_by("pk"))
    if kind in LEADERS_TOO:
        seen = {person.pk for person in people}
        leaders = circle.facilitators.filter(is_active=True).order_by("pk")
        people.extend(leader for leader in leaders if leader.pk not in seen)
    made = (notify(person, circle, kind, meeting=meeting) for person in people)
    return [notice for notice in made if notice is not None]


@task
def email_notice(notice_id: int) -> bool:
    """E-mail the notice ``notice_id`` to its person; True if an e-mail went.

    Nothing is sent twice, nor to a guest, an inactive account or one
    without an address. The e-mail is sent while the notice row is locked,
    so a failed send leaves ``emailed_at`` empty and a second run cannot
    send it again at the same time.
    """
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(of=("self",))
            .select_related("user", "circle", "meeting")
            .filter(pk=notice_id, emailed_at__isnull=True)
            .first()
        )
        if notice is None or not _wants_email(notice.user):
            return False
        with translation.override(notice.user.language):
            subject, body = _email(notice)
        send_mail(subject, body, None, [notice.user.email])
        notice.emailed_at = timezone.now()
        notice.save(update_fields=["emailed_at"])
    return True


# --- Reminders -------------------------------------------------------------------------


def schedule_reminders(meeting_ids: Iterable[int]) -> None:
    """Queue a reminder a day and an hour before each scheduled meeting of ``meeting_ids``.

    Reminder times already past are skipped. A backend that cannot wait
    until a given time is left alone: reminding at once would be wrong, and
    the meeting shows on the circles page anyway.
    """
    ids = list(meeting_ids)
    if not ids or not send_reminder.get_backend().supports_defer:
        return
    now = timezone.now()
    rows = Meeting.objects.filter(
        pk__in=ids, status=Meeting.Status.SCHEDULED, circle__is_active=True
    ).values_list("pk", "starts_at", "sequence")
    for meeting_id, starts_at, sequence in rows:
        for kind, lead in REMINDER_LEADS.items():
            if starts_at - lead > now:
                send_reminder.using(run_after=starts_at - lead).enqueue(
                    meeting_id, str(kind), sequence
                )


@task
def send_reminder(meeting_id: int, kind: str, sequence: int) -> int:
    """Remind the members of the meeting's circle; return how many got a new notice.

    Does nothing for a cancelled meeting, one that has started, one of a
    circle that stopped meeting, or one whose sequence moved on since the
    reminder was queued. Running it twice adds nothing (``notify``).
    """
    if kind not in REMINDER_LEADS:
        return 0
    meeting = (
        Meeting.objects.select_related("circle")
        .filter(
            pk=meeting_id,
            status=Meeting.Status.SCHEDULED,
            sequence=sequence,
            circle__is_active=True,
            starts_at__gt=timezone.now(),
        )
        .first()
    )
    if meeting is None:
        return 0
    with transaction.atomic():
        return len(notify_members(meeting, kind))


# --- Reading and dismissing ------------------------------------------------------------


def notices_of(user: User, *, limit: int = 10) -> list[NoticeLine]:
    """The person's latest notices, seen or not, newest first."""
    rows = (
        Notice.objects.filter(user_id=user.pk)
        .select_related("meeting", "circle")
        .order_by("-created_at", "-pk")[:limit]
    )
    return [notice_line(row) for row in rows]


def mark_seen(user: User, notice_id: int) -> None:
    """Mark the person's own notice seen ("Got it"); 404 for anyone else's."""
    notice = Notice.objects.filter(pk=notice_id, user_id=user.pk).first()
    if notice is None:
        raise Http404
    if notice.seen_at is None:
        notice.seen_at = timezone.now()
        notice.save(update_fields=["seen_at"])


def circles_notices(request: HttpRequest) -> dict[str, Any]:
    """Context processor: a signed-in person's unseen notices (``BANNER_LIMIT`` at most,
    newest first) and how many there are, in one query; nothing for visitors or htmx."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_active or getattr(request, "htmx", False):
        return {}
    rows = list(
        Notice.objects.filter(user_id=user.pk, seen_at__isnull=True)
        .select_related("meeting", "circle")
        # The count of every unseen notice rides along on each row.
        .annotate(unseen_total=Window(Count("pk")))
        .order_by("-created_at", "-pk")[:BANNER_LIMIT]
    )
    if not rows:
        return {}
    total: int = getattr(rows[0], "unseen_total", len(rows))
    return {
        "circle_notices": {
            "items": [notice_line(row) for row in rows],
            "count": total,
            "more": total - len(rows),
        }
    }
