"""Telling the members who acted: notices, their e-mails and the news page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.advocacy import access, notices
from peerlight.advocacy.models import ActionNotice, Campaign, Letter, Signature, Target
from peerlight.advocacy.models import TestimonyOffer as Offer
from tests.advocacy.brief_factories import (
    make_call,
    make_letter,
    make_offer,
    make_people,
    make_signatures,
)
from tests.advocacy.factories import make_campaign, make_target
from tests.conftest import delete_with_csrf, make_user, post_with_csrf
from tests.stories.factories import make_story

ClientFor = Callable[[User | None], Client]
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
NEWS = "/act/news/"


@pytest.fixture
def target(db: None) -> Target:
    return make_target()


@pytest.fixture
def campaign(target: Target) -> Campaign:
    return make_campaign(title="Fund peer respite in every county", targets=[target])


def tell(campaign: Campaign, kind: str = ActionNotice.Kind.ANSWER) -> int:
    with transaction.atomic():
        return notices.tell_members(campaign, kind)


def test_every_way_of_acting_counts_and_nothing_else(
    campaign: Campaign, target: Target, member: User
) -> None:
    signer, writer, caller, witness, pending, withdrawn, inactive, elsewhere, drafter = (
        make_people(9)
    )
    make_signatures(campaign, 1, user=signer)
    make_signatures(campaign, 1, user=pending, status=Signature.Status.PENDING)
    make_signatures(campaign, 3)  # visitors without an account
    make_letter(campaign, writer)
    make_letter(campaign, withdrawn, status=Letter.Status.WITHDRAWN)
    make_letter(campaign, drafter, status=Letter.Status.DRAFT)
    make_call(campaign, target, caller=caller)
    make_call(campaign, target)
    make_offer(campaign, make_story(witness), witness)
    make_offer(campaign, make_story(withdrawn), withdrawn, status=Offer.Status.WITHDRAWN)
    make_signatures(campaign, 1, user=inactive)
    inactive.is_active = False
    inactive.save()
    make_signatures(make_campaign(targets=[target]), 1, user=elsewhere)
    assert set(access.members_who_acted(campaign)) == {signer, writer, caller, witness}


def test_each_member_who_acted_gets_one_notice(campaign: Campaign, member: User) -> None:
    signer = make_user("Signer")
    make_signatures(campaign, 1, user=member)
    make_letter(campaign, member)
    make_signatures(campaign, 1, user=signer)
    assert tell(campaign) == 2
    rows = ActionNotice.objects.order_by("user_id")
    assert [(row.user_id, row.campaign_id, row.kind) for row in rows] == [
        (member.pk, campaign.pk, "answer"),
        (signer.pk, campaign.pk, "answer"),
    ]


def test_the_e_mail_goes_after_commit_and_names_no_campaign(
    campaign: Campaign,
    member: User,
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TASKS = IMMEDIATE
    no_address = make_user("Quiet")
    guest = make_user("Guest", email="guest@example.org")
    guest.is_guest = True
    guest.save()
    for person in (member, no_address, guest):
        make_signatures(campaign, 1, user=person)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tell(campaign, ActionNotice.Kind.COMMITMENT)
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert [message.to for message in mail.outbox] == [["river@example.org"]]
    sent = mail.outbox[0]
    assert sent.subject == f"News from {settings.PEERLIGHT_SITE_NAME}"
    assert sent.body.startswith("A decision maker made a commitment, a vote or a budget")
    assert NEWS in sent.body
    for secret in ("respite", "Respite", campaign.slug, "loneliness"):
        assert secret not in sent.body
        assert secret not in sent.subject
    emailed = ActionNotice.objects.get(user=member)
    assert emailed.emailed_at is not None
    assert ActionNotice.objects.get(user=guest).emailed_at is None


def test_an_e_mail_is_never_sent_twice(
    campaign: Campaign, member: User, settings: SettingsWrapper
) -> None:
    make_signatures(campaign, 1, user=member)
    tell(campaign)
    notice_id = ActionNotice.objects.get().pk
    assert notices.email_notices.call([notice_id]) == 1
    assert notices.email_notices.call([notice_id]) == 0
    assert len(mail.outbox) == 1


def test_reading_and_marking_seen(campaign: Campaign, member: User) -> None:
    make_signatures(campaign, 1, user=member)
    tell(campaign)
    tell(campaign, ActionNotice.Kind.COMMITMENT)
    assert [notice.kind for notice in notices.notices_of(member)] == ["commitment", "answer"]
    assert notices.unseen_count(member) == 2
    assert notices.mark_all_seen(member) == 2
    assert notices.unseen_count(member) == 0
    assert notices.mark_all_seen(member) == 0


# --- The news page ---------------------------------------------------------------------


def test_the_news_page_lists_a_members_notices_and_marks_them_seen(
    client_for: ClientFor, campaign: Campaign, member: User, other_member: User
) -> None:
    assert reverse("advocacy:news") == NEWS
    make_signatures(campaign, 1, user=member)
    make_signatures(campaign, 1, user=other_member)
    tell(campaign)
    client = client_for(member)
    first = client.get(NEWS).content.decode()
    assert "New:" in first
    assert "A decision maker answered on a campaign you took part in." in first
    assert "Fund peer respite in every county" in first
    assert not ActionNotice.objects.filter(user=member, seen_at__isnull=True).exists()
    assert ActionNotice.objects.filter(user=other_member, seen_at__isnull=True).exists()
    assert "New:" not in client.get(NEWS).content.decode()


def test_a_member_without_news_is_told_so_calmly(client_for: ClientFor, member: User) -> None:
    html = client_for(member).get(NEWS).content.decode()
    assert "No news yet." in html


def test_visitors_are_asked_to_sign_in(client_for: ClientFor, db: None) -> None:
    response = client_for(None).get(NEWS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_news_page_is_read_only(
    client_for: ClientFor, campaign: Campaign, member: User
) -> None:
    make_signatures(campaign, 1, user=member)
    tell(campaign)
    client = client_for(member)
    assert post_with_csrf(client, NEWS).status_code == 405
    assert delete_with_csrf(client, NEWS).status_code == 405
    assert ActionNotice.objects.get().seen_at is None
