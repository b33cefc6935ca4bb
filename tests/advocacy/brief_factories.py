"""Rows for the tests of briefs, figures, accountability and notices, made in the database.

Signatures, letters, calls, testimony and archived deliveries are made here
directly (not through the actions of the parts that own them), so these
tests depend only on the data model.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.advocacy.models import (
    CallAction,
    CallRecord,
    Campaign,
    Letter,
    LetterAction,
    LetterDelivery,
    PaperSignatures,
    Petition,
    Signature,
    Target,
    TestimonyOffer,
    TestimonyPacket,
)
from peerlight.stories.models import Story
from tests.advocacy.factories import make_petition
from tests.conftest import make_user

_numbers = itertools.count(1)


def make_people(count: int, prefix: str = "Person", **fields: Any) -> list[User]:
    return [make_user(f"{prefix} {next(_numbers)}", **fields) for _ in range(count)]


def petition_of(campaign: Campaign) -> Petition:
    return Petition.objects.filter(campaign=campaign).first() or make_petition(campaign)


def make_signatures(
    campaign: Campaign,
    count: int,
    *,
    zip_code: str = "",
    status: str = Signature.Status.CONFIRMED,
    user: User | None = None,
) -> list[Signature]:
    petition = petition_of(campaign)
    return [
        Signature.objects.create(
            petition=petition,
            user=user,
            name="A signer",
            email="signer@example.org",
            signer_digest=f"signer-{next(_numbers)}",
            zip_code=zip_code,
            status=status,
            confirmed_at=timezone.now() if status == Signature.Status.CONFIRMED else None,
        )
        for _ in range(count)
    ]


def make_paper(campaign: Campaign, count: int, zip_counts: dict[str, int] | None = None) -> None:
    PaperSignatures.objects.create(
        petition=petition_of(campaign), count=count, zip_counts=zip_counts or {}
    )


def letter_action_of(campaign: Campaign) -> LetterAction:
    return LetterAction.objects.get_or_create(
        campaign=campaign,
        defaults={"subject": "Fund peer respite", "template": "Dear decision maker, ..."},
    )[0]


def make_letter(
    campaign: Campaign,
    writer: User,
    *,
    story: Story | None = None,
    status: str = Letter.Status.READY,
    zip_code: str = "",
    district: str = "",
) -> Letter:
    return Letter.objects.create(
        action=letter_action_of(campaign),
        writer=writer,
        own_words="It matters to me.",
        story=story,
        status=status,
        zip_code=zip_code,
        district=district,
    )


def make_call(campaign: Campaign, target: Target, caller: User | None = None) -> CallRecord:
    action = CallAction.objects.get_or_create(
        campaign=campaign, defaults={"script": "Hello, I am calling about ..."}
    )[0]
    return CallRecord.objects.create(action=action, target=target, caller=caller)


def make_offer(
    campaign: Campaign, story: Story, member: User, status: str = TestimonyOffer.Status.OFFERED
) -> TestimonyOffer:
    return TestimonyOffer.objects.create(
        campaign=campaign, story=story, member=member, status=status
    )


def make_letter_delivery(
    campaign: Campaign, target: Target, story_ids: list[int]
) -> LetterDelivery:
    return LetterDelivery.objects.create(
        action=letter_action_of(campaign),
        target=target,
        method="email",
        content="Letters as sent.",
        content_sha256="0" * 64,
        story_ids=story_ids,
    )


def make_packet(campaign: Campaign, story_ids: list[int]) -> TestimonyPacket:
    return TestimonyPacket.objects.create(
        campaign=campaign,
        hearing="County budget hearing",
        content="Testimony as sent.",
        content_sha256="0" * 64,
        story_ids=story_ids,
        delivered_at=timezone.now(),
    )
