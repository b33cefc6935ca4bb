"""Answers and accountability: targets answer the people who acted; the tracker of what they did.

- A coordinator makes a private answer link for one target of a campaign
  (``make_answer_link``): a random token shown once, only its keyed digest
  stored, an expiry, revocable. Whoever holds the link answers once, without
  an account (``answer_campaign``); the answer is public on the campaign
  page until a coordinator hides it.
- Coordinators record commitments, votes and budget lines against a
  campaign (``record_commitment``).
- A new answer or commitment tells every member who acted
  (``notices.tell_members``), in the same transaction.

Every write is audited by ids only; answers' words never reach the audit
log or the logs.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.advocacy import notices
from peerlight.advocacy.models import (
    ANSWER_MAX,
    UPDATE_MAX,
    ActionNotice,
    AnswerLink,
    Campaign,
    Commitment,
    Target,
    TargetAnswer,
)
from peerlight.audit.actions import record_change
from peerlight.lib.crypto import digest

__all__ = [
    "ANSWER_LINK_DAYS",
    "AccountabilityError",
    "AnswerLinkRow",
    "NewAnswerLink",
    "answer_campaign",
    "answer_links_of",
    "commitments_of",
    "has_answered",
    "link_for_token",
    "make_answer_link",
    "public_answers",
    "record_commitment",
    "revoke_answer_link",
    "set_answer_visible",
]

# The purpose of the keyed digest under which a link's token is stored.
DIGEST_PURPOSE = "advocacy.answer_link"
TOKEN_BYTES = 32
# How many days an answer link may stay open: (shortest, longest, default).
ANSWER_LINK_DAYS = (1, 90, 30)
COMMITMENT_FIELDS = frozenset(
    {"target", "kind", "stance", "description", "amount", "occurred_on", "source_url"}
)


class AccountabilityError(Exception):
    """A write that cannot be made; ``message`` says why, for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _token_digest(token: str) -> str:
    return digest(token, DIGEST_PURPOSE)


# --- Answer links ------------------------------------------------------------------------


@dataclass(frozen=True)
class NewAnswerLink:
    """A link just made: ``token`` exists only here, to be shown once."""

    link: AnswerLink
    token: str


def make_answer_link(actor: User, campaign: Campaign, target: Target, days: int) -> NewAnswerLink:
    """A new answer link for ``target`` on ``campaign``, open for ``days`` days."""
    shortest, longest, _default = ANSWER_LINK_DAYS
    if not shortest <= days <= longest:
        raise AccountabilityError(
            _("A link can stay open from %(low)d to %(high)d days.")
            % {"low": shortest, "high": longest}
        )
    if campaign.status == Campaign.Status.DRAFT:
        raise AccountabilityError(
            _("This campaign is still being prepared: publish it before asking for answers.")
        )
    if not campaign.targets.filter(pk=target.pk).exists():
        raise AccountabilityError(_("Choose one of this campaign's decision makers."))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        link = AnswerLink.objects.create(
            campaign=campaign,
            target=target,
            token_digest=_token_digest(token),
            created_by=actor,
            expires_at=timezone.now() + datetime.timedelta(days=days),
        )
        record_change(actor, "advocacy.answer_link.create", link)
    return NewAnswerLink(link=link, token=token)


def revoke_answer_link(actor: User, link: AnswerLink) -> AnswerLink:
    """Stop ``link`` working at once; revoking twice changes nothing."""
    with transaction.atomic():
        locked = AnswerLink.objects.select_for_update().get(pk=link.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            record_change(actor, "advocacy.answer_link.revoke", locked)
    return locked


def link_for_token(token: str) -> AnswerLink | None:
    """The open link ``token`` names, or None (unknown, revoked, expired, campaign in draft)."""
    if not token or len(token) > 200:
        return None
    return (
        AnswerLink.objects.select_related("campaign", "target")
        .filter(
            token_digest=_token_digest(token),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .exclude(campaign__status=Campaign.Status.DRAFT)
        .first()
    )


def has_answered(link: AnswerLink) -> bool:
    return TargetAnswer.objects.filter(link=link).exists()


@dataclass(frozen=True)
class AnswerLinkRow:
    """A link on the coordinators' page: whether it was used, and whether it still works."""

    link: AnswerLink
    used: bool
    works: bool


def answer_links_of(campaign: Campaign) -> list[AnswerLinkRow]:
    """The campaign's links, newest first."""
    links = list(
        AnswerLink.objects.filter(campaign=campaign)
        .select_related("target")
        .order_by("-created_at", "-pk")
    )
    used = set(TargetAnswer.objects.filter(link__in=links).values_list("link_id", flat=True))
    now = timezone.now()
    return [
        AnswerLinkRow(
            link=link,
            used=link.pk in used,
            works=link.revoked_at is None and link.expires_at > now and link.pk not in used,
        )
        for link in links
    ]


# --- Answers ----------------------------------------------------------------------------


def answer_campaign(link: AnswerLink, body: str) -> TargetAnswer:
    """The target's answer through ``link``, public at once; members who acted are told.

    One answer per link: a second is refused, as is a link that stopped
    working since the page was opened.
    """
    words = body.strip()
    if not words:
        raise AccountabilityError(_("Please write your answer."))
    if len(words) > ANSWER_MAX:
        raise AccountabilityError(
            _("Please keep your answer under %(max)d characters.") % {"max": ANSWER_MAX}
        )
    with transaction.atomic():
        locked = (
            AnswerLink.objects.select_for_update()
            .filter(pk=link.pk, revoked_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if locked is None:
            raise AccountabilityError(_("This link no longer works."))
        if has_answered(locked):
            raise AccountabilityError(
                _("This link has been used to answer already. Ask for a new one to add more.")
            )
        answer = TargetAnswer.objects.create(
            campaign_id=locked.campaign_id, target_id=locked.target_id, link=locked, body=words
        )
        record_change(None, "advocacy.answer.create", answer)
        notices.tell_members(link.campaign, ActionNotice.Kind.ANSWER)
    return answer


def set_answer_visible(actor: User, answer: TargetAnswer, visible: bool) -> TargetAnswer:
    """Hide an answer from the campaign page, or show it again."""
    with transaction.atomic():
        locked = TargetAnswer.objects.select_for_update().get(pk=answer.pk)
        if locked.is_visible != visible:
            locked.is_visible = visible
            locked.save(update_fields=["is_visible"])
            verb = "advocacy.answer.show" if visible else "advocacy.answer.hide"
            record_change(actor, verb, locked)
    return locked


def public_answers(campaign: Campaign) -> list[TargetAnswer]:
    """The answers shown on the campaign page, newest first."""
    return list(
        TargetAnswer.objects.filter(campaign=campaign, is_visible=True)
        .select_related("target")
        .order_by("-created_at", "-pk")
    )


# --- The tracker -------------------------------------------------------------------------


def record_commitment(actor: User, campaign: Campaign, fields: Mapping[str, Any]) -> Commitment:
    """Record what a target did about the ask; every member who acted is told."""
    unknown = set(fields) - COMMITMENT_FIELDS
    if unknown:
        raise ValueError(f"Not a commitment field: {sorted(unknown)[0]}")
    target = fields.get("target")
    if target is not None and not campaign.targets.filter(pk=target.pk).exists():
        raise AccountabilityError(_("Choose one of this campaign's decision makers."))
    description = str(fields.get("description", "")).strip()
    if not description or len(description) > UPDATE_MAX:
        raise AccountabilityError(
            _("Please describe it in under %(max)d characters.") % {"max": UPDATE_MAX}
        )
    occurred_on = fields.get("occurred_on")
    if not isinstance(occurred_on, datetime.date) or occurred_on > timezone.localdate():
        raise AccountabilityError(_("Please give the date it happened (not in the future)."))
    amount = fields.get("amount")
    if amount is not None and (not isinstance(amount, Decimal) or amount < 0):
        raise AccountabilityError(_("An amount cannot be below zero."))
    with transaction.atomic():
        commitment = Commitment.objects.create(
            campaign=campaign,
            target=target,
            kind=fields["kind"],
            stance=fields.get("stance", Commitment.Stance.FOR),
            description=description,
            amount=amount,
            occurred_on=occurred_on,
            source_url=fields.get("source_url", ""),
            recorded_by=actor,
        )
        record_change(actor, "advocacy.commitment.create", commitment)
        notices.tell_members(campaign, ActionNotice.Kind.COMMITMENT)
        commitment.members_told_at = timezone.now()
        commitment.save(update_fields=["members_told_at"])
    return commitment


def commitments_of(campaign: Campaign) -> list[Commitment]:
    """The tracker: commitments, votes and budget lines, latest first."""
    return list(Commitment.objects.filter(campaign=campaign).select_related("target"))
