"""Signatures, letters, calls and testimony made straight in the database, for the
export and privacy tests (not through the actions of the parts that own them)."""

from __future__ import annotations

import itertools

from django.db.models import F
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.advocacy.models import (
    CallAction,
    CallRecord,
    Campaign,
    Letter,
    LetterAction,
    LetterDelivery,
    Petition,
    Signature,
    Target,
    TestimonyOffer,
)
from peerlight.stories.models import Story

_numbers = itertools.count(1)


def make_signature(
    petition: Petition,
    *,
    name: str = "Robin Example",
    user: User | None = None,
    email: str = "",
    show_name: bool = False,
    confirmed: bool = True,
    zip_code: str = "97201",
    comment: str = "",
    signer: str | None = None,
) -> Signature:
    """A signature; a confirmed one is counted on the petition, as signing would."""
    now = timezone.now()
    signature = Signature.objects.create(
        petition=petition,
        user=user,
        name=name,
        email=email,
        signer_digest=signer or f"signer-{next(_numbers)}",
        zip_code=zip_code,
        show_name=show_name,
        comment=comment,
        status=Signature.Status.CONFIRMED if confirmed else Signature.Status.PENDING,
        confirmed_at=now if confirmed else None,
    )
    if confirmed:
        Petition.objects.filter(pk=petition.pk).update(signature_count=F("signature_count") + 1)
    return signature


def make_letter_action(campaign: Campaign) -> LetterAction:
    return LetterAction.objects.create(
        campaign=campaign, subject="Fund peer respite", template="Dear decision maker,"
    )


def make_letter(
    action: LetterAction,
    writer: User,
    *,
    own_words: str = "Respite gave me my life back.",
    story: Story | None = None,
    share_name: bool = False,
    signed_name: str = "",
    status: str = Letter.Status.READY,
) -> Letter:
    delivered = status == Letter.Status.DELIVERED
    return Letter.objects.create(
        action=action,
        writer=writer,
        own_words=own_words,
        story=story,
        share_name=share_name,
        signed_name=signed_name,
        zip_code="97201",
        district="District 7",
        status=status,
        delivered_at=timezone.now() if delivered else None,
    )


def deliver(
    action: LetterAction, target: Target, letters: list[Letter], *, by: User | None = None
) -> LetterDelivery:
    """An archived delivery holding the letters' words, as the decision maker got them."""
    content = "\n\n".join(
        letter.own_words + (f"\n{letter.signed_name}" if letter.share_name else "")
        for letter in letters
    )
    delivery = LetterDelivery.objects.create(
        action=action,
        target=target,
        counts_by_district={"District 7": len(letters)},
        method="email",
        content=content,
        content_sha256="0" * 64,
        delivered_by=by,
    )
    delivery.letters.set(letters)
    return delivery


def make_calls(campaign: Campaign, target: Target, callers: list[User | None]) -> CallAction:
    action = CallAction.objects.filter(campaign=campaign).first() or CallAction.objects.create(
        campaign=campaign, script="Hello, I am calling about peer respite."
    )
    CallRecord.objects.bulk_create(
        CallRecord(action=action, target=target, caller=caller) for caller in callers
    )
    return action


def make_offer(campaign: Campaign, story: Story, member: User) -> TestimonyOffer:
    return TestimonyOffer.objects.create(
        campaign=campaign, story=story, member=member, note="I can speak on Tuesdays."
    )
