"""Coordinators set up and deliver letters: what each target receives, and what it never does."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.advocacy import letters, outreach
from peerlight.advocacy.models import Campaign, Letter, LetterAction, LetterDelivery, Target
from peerlight.audit.models import AuditEntry
from peerlight.stories.models import Story, StoryConsent
from tests.advocacy.factories import make_campaign, make_target
from tests.conftest import make_user, post_with_csrf
from tests.stories.factories import give_consent, make_story

ClientFor = Callable[[User | None], Client]
Attribution = StoryConsent.Attribution
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
SITE = "Peerlight"


@pytest.fixture(autouse=True)
def _site_name(settings: SettingsWrapper) -> None:
    settings.PEERLIGHT_SITE_NAME = SITE


@pytest.fixture
def senator(db: None) -> Target:
    return make_target(zip_codes=["97201", "97202"], district="District 7")


@pytest.fixture
def board(db: None) -> Target:
    # Reached by post: no e-mail address.
    return make_target(
        "Multnomah County Board",
        kind=Target.Kind.COUNTY_BOARD,
        district="",
        zip_codes=[],
        email="",
    )


@pytest.fixture
def campaign(senator: Target, board: Target) -> Campaign:
    return make_campaign(targets=[senator, board])


@pytest.fixture
def action(campaign: Campaign) -> LetterAction:
    return LetterAction.objects.create(
        campaign=campaign,
        subject="Fund peer respite",
        template="Dear decision maker, please fund peer respite houses.",
        delivery=LetterAction.Delivery.EMAIL,
    )


def write(writer: User, campaign: Campaign, **fields: Any) -> Letter:
    values: dict[str, Any] = {
        "own_words": f"Letter by {writer.display_name}: peer respite works.",
        "story_public_id": "",
        "zip_code": "",
        "share_name": False,
        "signed_name": "",
    }
    values.update(fields)
    return outreach.write_letter(writer, campaign, **values)


def deliver_url(campaign: Campaign) -> str:
    return reverse("advocacy:letter_deliver", args=[campaign.slug])


def deliveries_url(campaign: Campaign) -> str:
    return reverse("advocacy:letter_deliveries", args=[campaign.slug])


def setup_url(campaign: Campaign) -> str:
    return reverse("advocacy:letter_setup", args=[campaign.slug])


# --- Setting the letter up -------------------------------------------------------------


SETUP = {
    "subject": "Fund peer respite",
    "template": "Dear decision maker,\n\nPlease fund it.",
    "delivery": "email",
    "is_open": "on",
}


def test_a_coordinator_sets_up_and_changes_the_letter(
    client_for: ClientFor, coordinator: User, campaign: Campaign
) -> None:
    client = client_for(coordinator)
    assert client.get(setup_url(campaign)).status_code == 200
    response = post_with_csrf(client, setup_url(campaign), SETUP)
    assert response.status_code == 302
    assert response["Location"] == deliveries_url(campaign)
    action = LetterAction.objects.get(campaign=campaign)
    assert (action.subject, action.delivery, action.is_open) == (
        "Fund peer respite",
        "email",
        True,
    )
    page = client.get(setup_url(campaign)).content.decode()
    assert "Dear decision maker," in page
    changed = {**SETUP, "delivery": "packet", "is_open": ""}
    assert post_with_csrf(client, setup_url(campaign), changed).status_code == 302
    action.refresh_from_db()
    assert (action.delivery, action.is_open) == ("packet", False)
    verbs = list(AuditEntry.objects.filter(verb__startswith="advocacy.letter_action."))
    assert [entry.verb for entry in verbs] == [
        "advocacy.letter_action.create",
        "advocacy.letter_action.change",
    ]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"subject": ""}, "This field is required."),
        ({"subject": "Two\nlines"}, "Please give the letter a subject of one line."),
        ({"template": "x" * 6001}, "at most 6000 characters"),
        ({"delivery": "pigeon"}, "Select a valid choice."),
    ],
)
def test_bad_set_up_is_explained_and_nothing_is_saved(
    client_for: ClientFor,
    coordinator: User,
    campaign: Campaign,
    change: dict[str, str],
    error: str,
) -> None:
    response = post_with_csrf(client_for(coordinator), setup_url(campaign), {**SETUP, **change})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not LetterAction.objects.exists()


def test_only_coordinators_past_two_factor_set_letters_up(
    client_for: ClientFor,
    member: User,
    peer_supporter: User,
    coordinator: User,
    campaign: Campaign,
) -> None:
    for person in (member, peer_supporter):
        assert client_for(person).get(setup_url(campaign)).status_code == 404
        assert post_with_csrf(client_for(person), setup_url(campaign), SETUP).status_code == 404
    anonymous = client_for(None).get(setup_url(campaign))
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    client = Client()
    client.force_login(coordinator)
    assert "two-factor" in client.get(setup_url(campaign))["Location"]
    assert not LetterAction.objects.exists()


# --- The deliveries page ---------------------------------------------------------------


def test_the_deliveries_page_shows_counts_by_district_and_no_letters(
    client_for: ClientFor,
    coordinator: User,
    member: User,
    other_member: User,
    campaign: Campaign,
    action: LetterAction,
) -> None:
    write(member, campaign, zip_code="97201", share_name=True, signed_name="River Stone")
    write(other_member, campaign, zip_code="10001")
    response = client_for(coordinator).get(deliveries_url(campaign))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<th scope="row">District 7</th><td>1</td>' in html
    assert "No district given or outside the districts</th><td>1</td>" in html
    for private in ("River Stone", "peer respite works", "97201", "10001"):
        assert private not in html


def test_members_do_not_see_the_deliveries(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction
) -> None:
    assert client_for(member).get(deliveries_url(campaign)).status_code == 404
    assert (
        client_for(None)
        .get(deliveries_url(campaign))["Location"]
        .startswith(reverse("accounts:login"))
    )


# --- Delivering ------------------------------------------------------------------------


@pytest.fixture
def immediate_tasks(settings: SettingsWrapper) -> None:
    settings.TASKS = IMMEDIATE


@pytest.mark.usefixtures("immediate_tasks")
def test_delivery_sends_counts_and_consented_stories_but_no_names_or_addresses(
    client_for: ClientFor,
    coordinator: User,
    member: User,
    other_member: User,
    senator: Target,
    board: Target,
    campaign: Campaign,
    action: LetterAction,
    django_capture_on_commit_callbacks: Any,
) -> None:
    anonymous_story = make_story(
        member,
        title="The winter I found my people",
        body="I was *alone*, then I was not.",
        attribution=Attribution.ANONYMOUS,
    )
    named_story = make_story(
        other_member,
        title="Coming back",
        attribution=Attribution.OTHER_NAME,
        other_name="Robin",
    )
    write(
        member,
        campaign,
        own_words="Respite kept me well.",
        zip_code="97201",
        story_public_id=anonymous_story.public_id,
    )
    write(
        other_member,
        campaign,
        own_words="I would not be here without peers.",
        zip_code="97202",
        story_public_id=named_story.public_id,
        share_name=True,
        signed_name="S. Alvarez",
    )
    third = make_user("Dana", email="dana@example.org")
    write(
        third,
        campaign,
        own_words="Please fund it.",
        zip_code="10001",
        signed_name="Dana Typed But Unticked",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post_with_csrf(client_for(coordinator), deliver_url(campaign))
    assert response.status_code == 302
    assert response["Location"] == deliveries_url(campaign)

    by_target = {delivery.target: delivery for delivery in LetterDelivery.objects.all()}
    assert set(by_target) == {senator, board}
    emailed, packet = by_target[senator], by_target[board]
    assert (emailed.method, packet.method) == ("email", "packet")
    for delivery in (emailed, packet):
        assert delivery.letters.count() == 3
        assert delivery.counts_by_district == {"District 7": 2, "": 1}
        assert sorted(delivery.story_ids) == sorted([anonymous_story.pk, named_story.pk])
        assert delivery.content_sha256 == letters.sha256_hex(delivery.content)
        assert delivery.delivered_by == coordinator
        content = delivery.content
        # What goes: the words, the counts, the stories under their consented bylines.
        for words in ("Respite kept me well.", "I would not be here without peers."):
            assert words in content
        assert "S. Alvarez" in content  # its writer chose to sign
        assert "Robin" in content
        assert f"A member of {SITE}" in content
        assert "The winter I found my people" in content
        # What never goes: unchosen names, display names, ZIP codes, e-mail addresses.
        for private in ("Dana Typed But Unticked", "97201", "97202", "10001"):
            assert private not in content
        for name in ("River", "Sky", "Dana"):
            assert not re.search(rf"\b{name}\b", content), name
        assert "@example.org" not in content
    assert "<em>alone</em>" in packet.content  # the story's Markdown, sanitised
    assert "2 of them from your district (District 7)." in emailed.content

    assert set(Letter.objects.values_list("status", flat=True)) == {Letter.Status.DELIVERED}
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [senator.email]
    assert (sent.subject, sent.body) == letters.split_message(emailed.content)
    assert sent.subject == "Fund peer respite"
    assert AuditEntry.objects.filter(verb="advocacy.letters.deliver").count() == 2


def test_nothing_is_e_mailed_before_the_commit(
    coordinator: User,
    member: User,
    campaign: Campaign,
    action: LetterAction,
    django_capture_on_commit_callbacks: Any,
) -> None:
    write(member, campaign)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outreach.deliver_letters(coordinator, campaign)
    assert len(callbacks) == 1  # the senator's e-mail; the board gets a packet
    assert mail.outbox == []


def test_a_story_whose_consent_changed_is_left_out_and_its_writer_told(
    client_for: ClientFor,
    coordinator: User,
    member: User,
    campaign: Campaign,
    action: LetterAction,
) -> None:
    story = make_story(member, title="The winter I found my people", body="Only with consent.")
    write(member, campaign, story_public_id=story.public_id)
    # After writing, the author narrows the consent to another campaign only.
    give_consent(story, advocacy=StoryConsent.Advocacy.CHOSEN, campaign_ids=[campaign.pk + 1000])
    outreach.deliver_letters(coordinator, campaign)
    for delivery in LetterDelivery.objects.all():
        assert delivery.story_ids == []
        assert "Only with consent." not in delivery.content
        assert "Letter by River: peer respite works." in delivery.content
    page = client_for(member).get(reverse("advocacy:letter_write", args=[campaign.slug]))
    assert "Your story was not sent with this letter" in page.content.decode()


def test_withdrawn_letters_are_not_delivered(
    coordinator: User,
    member: User,
    other_member: User,
    campaign: Campaign,
    action: LetterAction,
) -> None:
    outreach.withdraw_letter(member, write(member, campaign))
    write(other_member, campaign)
    outreach.deliver_letters(coordinator, campaign)
    delivery = LetterDelivery.objects.first()
    assert delivery is not None
    assert "Letter by River" not in delivery.content
    assert "Letter by Sky" in delivery.content
    assert Letter.objects.get(writer=member).status == Letter.Status.WITHDRAWN


def test_delivering_with_nothing_waiting_is_explained(
    client_for: ClientFor, coordinator: User, campaign: Campaign, action: LetterAction
) -> None:
    response = post_with_csrf(client_for(coordinator), deliver_url(campaign))
    assert response.status_code == 400
    assert "No letters are waiting to be delivered." in response.content.decode()
    assert not LetterDelivery.objects.exists()


def test_a_campaign_without_targets_cannot_deliver(
    coordinator: User, member: User, campaign: Campaign, action: LetterAction
) -> None:
    write(member, campaign)
    campaign.targets.clear()
    with pytest.raises(outreach.OutreachError):
        outreach.deliver_letters(coordinator, campaign)
    assert Letter.objects.get().status == Letter.Status.READY


def test_only_coordinators_deliver(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction
) -> None:
    write(member, campaign)
    assert post_with_csrf(client_for(member), deliver_url(campaign)).status_code == 404
    response = post_with_csrf(client_for(None), deliver_url(campaign))
    assert response["Location"].startswith(reverse("accounts:login"))
    with pytest.raises(PermissionDenied):
        outreach.deliver_letters(member, campaign)
    assert client_for(member).get(deliver_url(campaign)).status_code == 405
    assert not LetterDelivery.objects.exists()
    assert Letter.objects.get().status == Letter.Status.READY


# --- Reading an archived delivery -------------------------------------------------------


def test_a_packet_opens_ready_to_print_and_the_read_is_audited(
    client_for: ClientFor,
    coordinator: User,
    member: User,
    board: Target,
    campaign: Campaign,
    action: LetterAction,
) -> None:
    write(member, campaign)
    outreach.deliver_letters(coordinator, campaign)
    packet = LetterDelivery.objects.get(target=board)
    url = reverse("advocacy:letter_delivery", args=[campaign.slug, packet.pk])
    response = client_for(coordinator).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert packet.content in html
    assert 'class="plan-print"' in html
    assert "peerlight/plan.css" in html  # its @media print rules
    entry = AuditEntry.objects.get(verb="advocacy.letters.view_delivery")
    assert (entry.actor_id, entry.target_id) == (coordinator.pk, str(packet.pk))


def test_an_e_mail_delivery_shows_the_text_that_was_sent(
    client_for: ClientFor,
    coordinator: User,
    member: User,
    senator: Target,
    campaign: Campaign,
    action: LetterAction,
) -> None:
    write(member, campaign)
    outreach.deliver_letters(coordinator, campaign)
    emailed = LetterDelivery.objects.get(target=senator)
    url = reverse("advocacy:letter_delivery", args=[campaign.slug, emailed.pk])
    html = client_for(coordinator).get(url).content.decode()
    assert "Subject: Fund peer respite" in html
    assert emailed.content_sha256 in html


def test_members_cannot_open_deliveries(
    client_for: ClientFor,
    coordinator: User,
    member: User,
    campaign: Campaign,
    action: LetterAction,
) -> None:
    write(member, campaign)
    outreach.deliver_letters(coordinator, campaign)
    delivery = LetterDelivery.objects.first()
    assert delivery is not None
    url = reverse("advocacy:letter_delivery", args=[campaign.slug, delivery.pk])
    assert client_for(member).get(url).status_code == 404
    other = make_campaign()
    LetterAction.objects.create(campaign=other, subject="s", template="t")
    elsewhere = reverse("advocacy:letter_delivery", args=[other.slug, delivery.pk])
    assert client_for(coordinator).get(elsewhere).status_code == 404
    assert not AuditEntry.objects.filter(verb="advocacy.letters.view_delivery").exists()


def test_the_e_mail_task_sends_only_e_mail_deliveries_with_an_address(
    coordinator: User,
    member: User,
    senator: Target,
    board: Target,
    campaign: Campaign,
    action: LetterAction,
) -> None:
    write(member, campaign)
    outreach.deliver_letters(coordinator, campaign)
    assert outreach.email_delivery.call(LetterDelivery.objects.get(target=board).pk) is False
    assert outreach.email_delivery.call(999999) is False
    assert outreach.email_delivery.call(LetterDelivery.objects.get(target=senator).pk) is True
    assert [sent.to for sent in mail.outbox] == [[senator.email]]


def test_story_bylines_follow_the_consent(member: User, campaign: Campaign) -> None:
    from peerlight.stories.access import story_for_campaign

    cases = [
        (Attribution.DISPLAY_NAME, "", "River"),
        (Attribution.OTHER_NAME, "Robin", "Robin"),
        (Attribution.ANONYMOUS, "Robin", f"A member of {SITE}"),
    ]
    for attribution, other_name, expected in cases:
        story: Story = make_story(member, attribution=attribution, other_name=other_name)
        readable = story_for_campaign(story.pk, campaign.pk)
        assert readable is not None
        assert outreach.story_part(readable).byline == expected


def test_a_coordinator_prepares_the_letter_of_a_campaign_not_yet_launched(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    draft = make_campaign(status=Campaign.Status.DRAFT)
    assert post_with_csrf(client_for(coordinator), setup_url(draft), SETUP).status_code == 302
    assert LetterAction.objects.filter(campaign=draft).exists()
    letter_page = reverse("advocacy:letter_write", args=[draft.slug])
    assert client_for(coordinator).get(letter_page).status_code == 200
    assert client_for(member).get(letter_page).status_code == 404


def test_the_e_mail_goes_once_however_often_the_task_runs(
    coordinator: User,
    member: User,
    senator: Target,
    campaign: Campaign,
    action: LetterAction,
) -> None:
    write(member, campaign)
    outreach.deliver_letters(coordinator, campaign)
    delivery = LetterDelivery.objects.get(target=senator)
    assert delivery.sent_at is None
    assert outreach.email_delivery.call(delivery.pk) is True
    assert outreach.email_delivery.call(delivery.pk) is False
    assert [sent.to for sent in mail.outbox] == [[senator.email]]
    delivery.refresh_from_db()
    assert delivery.sent_at is not None
