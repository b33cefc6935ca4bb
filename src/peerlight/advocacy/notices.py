"""Telling members what came of a campaign they acted on: ``ActionNotice`` rows and e-mails.

``tell_members`` leaves one notice for every member who acted on a campaign
(signed its petition while signed in, wrote a letter, made a call while
signed in, offered testimony) and, after commit, queues ``email_notices``
for those who gave an e-mail address and are not guests (the rule circles'
notices follow). ``advocacy:news`` lists a member's notices.

Discretion: acting on a mental-health campaign says something about a
person, and someone else may read their inbox. The e-mail names neither the
campaign nor its topic; it links to the news page, behind sign-in.
"""

from __future__ import annotations

import functools
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.advocacy import access
from peerlight.advocacy.models import (
    ActionNotice,
    Campaign,
)

__all__ = [
    "email_notices",
    "mark_all_seen",
    "notice_sentence",
    "notices_of",
    "tell_members",
    "unseen_count",
]

Kind = ActionNotice.Kind


def _wants_email(user: User) -> bool:
    return bool(user.email) and not user.is_guest and user.is_active


def tell_members(campaign: Campaign, kind: str) -> int:
    """Leave every member who acted on ``campaign`` a notice of ``kind``; return how many.

    Call inside the transaction of the change the notice is about: the
    notices commit with it, and the e-mails are queued only after commit.
    """
    people = list(access.members_who_acted(campaign).order_by("pk"))
    notices = ActionNotice.objects.bulk_create(
        ActionNotice(user=person, campaign=campaign, kind=kind) for person in people
    )
    to_email = [int(notice.pk) for notice in notices if _wants_email(notice.user)]
    if to_email:
        transaction.on_commit(functools.partial(email_notices.enqueue, to_email))
    return len(notices)


# --- E-mail ----------------------------------------------------------------------------


def notice_sentence(kind: str) -> str:
    """What a notice of ``kind`` says, in the active language, without naming the campaign."""
    if kind == Kind.ANSWER:
        return _("A decision maker answered on a campaign you took part in.")
    if kind == Kind.COMMITMENT:
        return _(
            "A decision maker made a commitment, a vote or a budget decision "
            "on a campaign you took part in."
        )
    if kind == Kind.PROPOSAL:
        return _("A campaign proposal you backed has moved on.")
    if kind == Kind.STORY:
        return _("A story used in a campaign has changed.")
    return _("There is news on a campaign you took part in.")


def _email(notice: ActionNotice) -> tuple[str, str]:
    site = settings.PEERLIGHT_SITE_NAME
    link = urljoin(settings.PEERLIGHT_BASE_URL + "/", reverse("advocacy:news").lstrip("/"))
    subject = _("News from %(site)s") % {"site": site}
    body = _(
        "%(sentence)s\n\n"
        "You can read what happened here (you may need to sign in):\n%(link)s\n\n"
        "You get this e-mail because your account on %(site)s has this address. "
        "You can remove it on your account page."
    ) % {"sentence": notice_sentence(notice.kind), "link": link, "site": site}
    return subject, body


def _email_one(notice_id: int) -> bool:
    with transaction.atomic():
        notice = (
            ActionNotice.objects.select_for_update(of=("self",))
            .select_related("user")
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


@task
def email_notices(notice_ids: list[int]) -> int:
    """E-mail each notice of ``notice_ids`` to its member; return how many e-mails went.

    Nothing is sent twice, nor to a guest, an inactive account or one
    without an address. Each e-mail is sent while its notice row is locked,
    so a failed send leaves ``emailed_at`` empty and a second run cannot
    send it at the same time.
    """
    return sum(1 for notice_id in notice_ids if _email_one(int(notice_id)))


# --- Reading ---------------------------------------------------------------------------


def notices_of(user: User, *, limit: int = 50) -> list[ActionNotice]:
    """The member's latest notices, seen or not, newest first, with their campaigns."""
    return list(
        ActionNotice.objects.filter(user_id=user.pk)
        .select_related("campaign")
        .order_by("-created_at", "-pk")[:limit]
    )


def unseen_count(user: User) -> int:
    return ActionNotice.objects.filter(user_id=user.pk, seen_at__isnull=True).count()


def mark_all_seen(user: User) -> int:
    """Mark every unseen notice of the member seen; return how many were."""
    return ActionNotice.objects.filter(user_id=user.pk, seen_at__isnull=True).update(
        seen_at=timezone.now()
    )
