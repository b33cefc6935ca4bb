"""Referrals that close the loop: a peer shares a service in a chat, the member says how it went.

Reads here carry the permission check (404 for "not yours" and "not there"
alike); writes run in one transaction and write their audit entry.

- **Sharing.** A peer supporter who is still in an open chat shares an
  active service (``share_service``): a card goes into the chat through
  ``chat.actions.post_card`` (name, organisation, a phone, the service
  page) and every member still in the chat gets one ``Referral`` with a
  follow-up date ``PEERLIGHT_REFERRAL_FOLLOW_UP_DAYS`` away. Sharing the
  same service in the same chat again adds nothing: the card's client id
  and the referral's unique constraint both repeat.
- **Asking.** From the follow-up date the member's pages show a calm
  question (``context.referral_follow_up``, one indexed query) for
  ``KEEP_ASKING_FOR``; after that only the referrals page lists it. If the
  member gave an e-mail address, the worker also sends one short e-mail
  when the first question is due (``ask_by_email``); it names no service,
  because someone else may read that inbox.
- **Answering** (``answer_referral``): one of the five outcomes (which may
  be changed later, e.g. from "waiting list" to "connected"), "ask me
  later" (``ASK_AGAIN_AFTER``) or "don't ask again". A referral the member
  stopped has ``outcome_at`` set and no outcome.
- **The report** (``outcome_report``) counts per service; see its
  docstring for the flag.

A referral is personal data (it can link a person to, say, a substance-use
service): ``export_referrals`` and ``erase_referrals`` say how it leaves
with its person.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin
from uuid import UUID

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Min, Q
from django.http import Http404
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from peerlight.accounts.models import Role, User
from peerlight.audit.actions import record_change
from peerlight.chat import access as chat_access
from peerlight.chat import actions as chat_actions
from peerlight.chat.cards import MAX_LINE, MAX_TITLE, Card
from peerlight.chat.models import Conversation, Participant
from peerlight.directory.models import Phone, Referral, Service

__all__ = [
    "ANSWERS",
    "ASK_AGAIN_AFTER",
    "FLAG_MIN_ANSWERS",
    "FLAG_UNREACHABLE_SHARE",
    "KEEP_ASKING_FOR",
    "LATER",
    "STOP",
    "ReferralError",
    "ServiceOutcomes",
    "Shared",
    "answer_referral",
    "ask_by_email",
    "erase_referrals",
    "export_referrals",
    "next_question",
    "outcome_report",
    "referral_for_member",
    "referrals_of",
    "service_path",
    "share_seat",
    "share_service",
    "shareable_service",
]

# "Ask me later" asks again this long from now.
ASK_AGAIN_AFTER = timedelta(days=3)
# How long after its follow-up date a question still shows on every page.
KEEP_ASKING_FOR = timedelta(days=30)
# One e-mail at most in this time, however many referrals fall due.
EMAIL_AT_MOST_EVERY = timedelta(days=1)
LATER = "later"
STOP = "stop"
ANSWERS = (*Referral.Outcome.values, LATER, STOP)
# The report flags a service when at least FLAG_MIN_ANSWERS people answered
# and at least FLAG_UNREACHABLE_SHARE of them could not reach it. Below five
# answers one or two people decide the share, which says little.
FLAG_MIN_ANSWERS = 5
FLAG_UNREACHABLE_SHARE = 0.30

SHARER_ROLES = frozenset({Participant.Role.SUPPORTER, Participant.Role.FACILITATOR})
RECIPIENT_ROLES = (Participant.Role.MEMBER, Participant.Role.PARTICIPANT)


class ReferralError(Exception):
    """Refused input; ``message`` is a translated sentence for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Reads ---------------------------------------------------------------------------


def share_seat(user: User, conversation_id: int) -> Conversation:
    """The open chat in which ``user`` may share a resource; else 404.

    ``user`` must be an active peer supporter, still in the chat as its
    supporter or facilitator, and the chat must not have ended.
    """
    if not user.is_authenticated or not user.is_active:
        raise Http404
    if not user.has_role(Role.PEER_SUPPORTER):
        raise Http404
    participant = chat_access.participant_for(int(user.pk), conversation_id)
    if (
        participant is None
        or not participant.is_present
        or participant.role not in SHARER_ROLES
        or participant.conversation.is_ended
    ):
        raise Http404
    return participant.conversation


def shareable_service(service_id: UUID) -> Service | None:
    """The active service ``service_id`` with its organisation, or None."""
    return (
        Service.objects.filter(pk=service_id, status=Service.Status.ACTIVE)
        .select_related("organization")
        .first()
    )


def referral_for_member(user: User, referral_id: int) -> Referral:
    """The member's own referral ``referral_id`` (with its service); else 404."""
    if not user.is_authenticated:
        raise Http404
    referral = (
        Referral.objects.filter(pk=referral_id, member=user).select_related("service").first()
    )
    if referral is None:
        raise Http404
    return referral


def referrals_of(user: User) -> list[Referral]:
    """The member's referrals: open questions first (the longest due first), then the answered."""
    rows = list(
        Referral.objects.filter(member=user)
        .select_related("service", "service__organization")
        .order_by("follow_up_at", "pk")
    )
    return sorted(rows, key=lambda row: row.outcome_at is not None)


@dataclass(frozen=True)
class Question:
    """The one follow-up question a member's pages show."""

    referral_id: int
    service_name: str


def next_question(user: User, now: datetime | None = None) -> Question | None:
    """The member's longest-due open question, or None: one query on an index.

    Due means the follow-up date has passed, less than ``KEEP_ASKING_FOR``
    ago, and the member has not answered (nor asked not to be asked).
    """
    now = now or timezone.now()
    row = (
        Referral.objects.filter(
            member_id=user.pk,
            outcome_at__isnull=True,
            follow_up_at__lte=now,
            follow_up_at__gt=now - KEEP_ASKING_FOR,
        )
        .order_by("follow_up_at")
        .values_list("pk", "service__name")
        .first()
    )
    return None if row is None else Question(int(row[0]), str(row[1]))


def service_path(service_id: UUID) -> str:
    """The path of the service's page (``/directory/services/<uuid>/``)."""
    return reverse("directory:service", args=[service_id])


# --- Sharing -------------------------------------------------------------------------


@dataclass(frozen=True)
class Shared:
    """What sharing did: whether the card is new, and how many referrals it made."""

    card_posted: bool
    referrals_made: int


def _first_phone(service: Service) -> str:
    """A number for the card: the service's own, else a location's, else the organisation's."""
    candidates = [
        Phone.objects.filter(service=service),
        Phone.objects.filter(service_at_location__service=service),
    ]
    if service.organization_id is not None:
        candidates.append(Phone.objects.filter(organization_id=service.organization_id))
    for phones in candidates:
        row = phones.order_by("number").values_list("number", "extension").first()
        if row is not None:
            number, extension = row
            if extension:
                return _("%(number)s, extension %(extension)d") % {
                    "number": number,
                    "extension": int(extension),
                }
            return str(number)
    return ""


def service_card(service: Service) -> Card:
    """The chat card for ``service``: its name, organisation, a phone and its page.

    Written in the sharer's language: peer and member are matched on a
    shared language.
    """
    lines = []
    if service.organization is not None and service.organization.name:
        lines.append(service.organization.name)
    phone = _first_phone(service)
    if phone:
        lines.append(phone)
    return Card(
        title=Truncator(service.name).chars(MAX_TITLE),
        lines=tuple(Truncator(line).chars(MAX_LINE) for line in lines),
        url=service_path(service.id),
    )


def _recipients(conversation: Conversation, sharer: User) -> list[User]:
    rows = (
        Participant.objects.filter(
            conversation=conversation,
            role__in=RECIPIENT_ROLES,
            left_at__isnull=True,
            is_removed=False,
            user__is_active=True,
        )
        .exclude(user=sharer)
        .select_related("user")
        .order_by("pk")
    )
    return [row.user for row in rows]


def share_service(peer: User, conversation: Conversation, service: Service) -> Shared:
    """Share ``service`` into ``conversation``: a card, and a referral per member present.

    The caller checked ``share_seat`` and ``shareable_service``. Raises
    ``ReferralError`` (nothing saved) when the chat refuses the card (paused,
    the peer muted, sending too fast). The follow-up e-mails are queued
    after commit.
    """
    follow_up_at = timezone.now() + timedelta(days=settings.PEERLIGHT_REFERRAL_FOLLOW_UP_DAYS)
    made: list[Referral] = []
    with transaction.atomic():
        try:
            posted = chat_actions.post_card(
                peer, conversation, service_card(service), f"share-{peer.pk}-{service.id.hex}"
            )
        except chat_actions.ChatError as refused:
            raise ReferralError(refused.message) from None
        for member in _recipients(conversation, peer):
            referral, created = Referral.objects.get_or_create(
                service=service,
                conversation=conversation,
                member=member,
                defaults={"referred_by": peer, "follow_up_at": follow_up_at},
            )
            if created:
                record_change(peer, "directory.referral.create", referral, subject=member)
                made.append(referral)
        transaction.on_commit(functools.partial(_schedule_emails, [r.pk for r in made]))
    return Shared(card_posted=posted.created, referrals_made=len(made))


# --- Answering -----------------------------------------------------------------------


def answer_referral(member: User, referral: Referral, answer: str) -> Referral:
    """Record the member's ``answer`` (``ANSWERS``) to their own ``referral``.

    An outcome is kept (and may replace an earlier one); ``LATER`` moves the
    question ``ASK_AGAIN_AFTER`` on; ``STOP`` ends the questions without an
    outcome. ``LATER`` and ``STOP`` are refused once an outcome is given.
    """
    if answer not in ANSWERS:
        raise ReferralError(_("Please choose one of the answers."))
    if referral.member_id != member.pk:
        raise Http404
    now = timezone.now()
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if answer in (LATER, STOP) and referral.outcome:
            raise ReferralError(_("You have already told us how it went."))
        if answer == LATER:
            referral.follow_up_at = max(referral.follow_up_at, now + ASK_AGAIN_AFTER)
            referral.outcome_at = None
            verb = "directory.referral.later"
        elif answer == STOP:
            referral.outcome_at = now
            verb = "directory.referral.stop"
        else:
            referral.outcome = answer
            referral.outcome_at = now
            verb = "directory.referral.answer"
        referral.save(update_fields=["follow_up_at", "outcome", "outcome_at"])
        record_change(member, verb, referral, subject=member)
    return referral


# --- E-mail --------------------------------------------------------------------------


def _schedule_emails(referral_ids: list[int]) -> None:
    # A backend that cannot wait until a date is left alone: the question
    # shows in the app anyway.
    if not referral_ids or not ask_by_email.get_backend().supports_defer:
        return
    # The address is encrypted, so the task looks at it, not this query.
    rows = Referral.objects.filter(pk__in=referral_ids, member__is_guest=False)
    for referral_id, follow_up_at in rows.values_list("pk", "follow_up_at"):
        ask_by_email.using(run_after=follow_up_at).enqueue(referral_id)


def _answers_link() -> str:
    return urljoin(
        settings.PEERLIGHT_BASE_URL + "/", reverse("directory:referral_index").lstrip("/")
    )


@task
def ask_by_email(referral_id: int) -> bool:
    """E-mail the member of ``referral_id`` once its question is due; True if an e-mail went.

    Nothing is sent when the question was answered, postponed or asked by
    e-mail already, for a guest or an account without an address, or when
    another such e-mail went out in the last ``EMAIL_AT_MOST_EVERY`` (every
    question due now is marked asked, so one e-mail covers them all). The
    e-mail names no service.
    """
    now = timezone.now()
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update()
            .filter(
                pk=referral_id,
                outcome_at__isnull=True,
                asked_at__isnull=True,
                follow_up_at__lte=now,
                member__is_active=True,
                member__is_guest=False,
            )
            .select_related("member")
            .first()
        )
        if referral is None or not referral.member.email:
            return False
        member = referral.member
        recently = Referral.objects.filter(
            member=member, asked_at__gt=now - EMAIL_AT_MOST_EVERY
        ).exists()
        due = Referral.objects.filter(
            member=member, outcome_at__isnull=True, asked_at__isnull=True, follow_up_at__lte=now
        )
        due.update(asked_at=now)
        record_change(None, "directory.referral.ask", referral, subject=member)
    if recently:
        return False
    with translation.override(member.language):
        subject = _("How did it go?")
        body = _(
            "A little while ago, a peer shared a service with you on %(site)s.\n\n"
            "We would like to know how it went. It takes a moment, and it helps us "
            "point people to services that answer:\n%(link)s\n\n"
            'If you would rather not be asked, you can choose "Don\'t ask again" there.'
        ) % {"site": settings.PEERLIGHT_SITE_NAME, "link": _answers_link()}
    send_mail(subject, body, None, [member.email])
    return True


# --- The coordinators' report ----------------------------------------------------------


@dataclass(frozen=True)
class ServiceOutcomes:
    """One service's referrals since the report's start; counts only, never people."""

    service_id: UUID
    service_name: str
    organization_name: str
    made: int
    answered: int
    declined: int
    by_outcome: dict[str, int]

    @property
    def unreachable_share(self) -> float | None:
        """The share of answers that were "couldn't reach them"; None without answers."""
        if not self.answered:
            return None
        return self.by_outcome.get(Referral.Outcome.UNREACHABLE, 0) / self.answered

    @property
    def counts(self) -> list[int]:
        """The count of each outcome, in ``Referral.Outcome`` order (for a table row)."""
        return [self.by_outcome.get(outcome, 0) for outcome in Referral.Outcome.values]

    @property
    def unreachable_percent(self) -> int | None:
        """The share "couldn't reach them" in whole percent, once there are enough answers."""
        share = self.unreachable_share
        if share is None or self.answered < FLAG_MIN_ANSWERS:
            return None
        return round(share * 100)

    @property
    def flagged(self) -> bool:
        """People often cannot reach it (``FLAG_MIN_ANSWERS``, ``FLAG_UNREACHABLE_SHARE``)."""
        share = self.unreachable_share
        return (
            self.answered >= FLAG_MIN_ANSWERS
            and share is not None
            and share >= FLAG_UNREACHABLE_SHARE
        )


def outcome_report(since: datetime | None = None) -> list[ServiceOutcomes]:
    """Referral outcomes per service (made since ``since``, or ever), in one query.

    Flagged services first, then the highest share of "couldn't reach them",
    then the most referrals. Exact counts, small ones too: the report is for
    coordinators only and holds no person, date or chat, only totals per
    service. The share and the flag need ``FLAG_MIN_ANSWERS`` answers.
    """
    rows = Referral.objects.all()
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    per_outcome = {
        outcome: Count("pk", filter=Q(outcome=outcome)) for outcome in Referral.Outcome.values
    }
    values: Iterable[Mapping[str, Any]] = (
        rows.values("service_id", "service__name", "service__organization__name")
        .annotate(
            made=Count("pk"),
            answered=Count("pk", filter=~Q(outcome="")),
            declined=Count("pk", filter=Q(outcome="", outcome_at__isnull=False)),
            **per_outcome,
        )
        .order_by()
    )
    report = [
        ServiceOutcomes(
            service_id=row["service_id"],
            service_name=row["service__name"],
            organization_name=row["service__organization__name"] or "",
            made=row["made"],
            answered=row["answered"],
            declined=row["declined"],
            by_outcome={outcome: row[outcome] for outcome in Referral.Outcome.values},
        )
        for row in values
    ]
    report.sort(
        key=lambda row: (
            not row.flagged,
            -(row.unreachable_share or 0) if row.answered >= FLAG_MIN_ANSWERS else 0,
            -row.made,
            row.service_name.casefold(),
        )
    )
    return report


# --- Privacy ---------------------------------------------------------------------------


def export_referrals(user: User) -> dict[str, list[dict[str, Any]]]:
    """For "Download my data": the services shared with the person and what they answered,
    and the services they shared as a peer (without whom with)."""
    received = (
        Referral.objects.filter(member=user).select_related("service").order_by("created_at", "pk")
    )
    # One row per service and chat, however many members it reached.
    shared = (
        Referral.objects.filter(referred_by=user)
        .values("service__name", "conversation_id")
        .annotate(shared_at=Min("created_at"))
        .order_by("shared_at")
    )
    return {
        "shared_with_you": [
            {
                "service": row.service.name,
                "service_id": str(row.service_id),
                "shared_at": row.created_at,
                "follow_up_at": row.follow_up_at,
                "asked_by_email_at": row.asked_at,
                "outcome": row.outcome,
                "answered_at": row.outcome_at,
            }
            for row in received
        ],
        "you_shared": [
            {
                "service": row["service__name"],
                "conversation": row["conversation_id"],
                "shared_at": row["shared_at"],
            }
            for row in shared
        ],
    }


def erase_referrals(user: User) -> None:
    """For account deletion: the person's own referrals go; those they made as a peer stay
    for their members, without the peer."""
    Referral.objects.filter(member=user).delete()
    Referral.objects.filter(referred_by=user).update(referred_by=None)
