"""The member's letter page: write, preview, send, withdraw, and whose stories may go."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.advocacy import story_changes
from peerlight.advocacy.models import Campaign, Letter, LetterAction, Target
from peerlight.audit.models import AuditEntry
from peerlight.stories.models import Story, StoryConsent
from tests.advocacy.factories import make_campaign, make_target
from tests.conftest import delete_with_csrf, post_with_csrf
from tests.stories.factories import give_consent, make_story

ClientFor = Callable[[User | None], Client]
Advocacy = StoryConsent.Advocacy


@pytest.fixture
def campaign(db: None) -> Campaign:
    senator = make_target(zip_codes=["97201", "97202"], district="District 7")
    board = make_target(
        "Multnomah County Board", kind=Target.Kind.COUNTY_BOARD, district="", zip_codes=[]
    )
    return make_campaign(targets=[senator, board])


@pytest.fixture
def action(campaign: Campaign) -> LetterAction:
    return LetterAction.objects.create(
        campaign=campaign,
        subject="Fund peer respite",
        template="Dear decision maker, please fund peer respite houses.",
    )


@pytest.fixture
def story(member: User) -> Story:
    return make_story(member, title="The winter I found my people")


def url(campaign: Campaign) -> str:
    return reverse("advocacy:letter_write", args=[campaign.slug])


def letter_data(**overrides: str) -> dict[str, str]:
    data = {"own_words": "Peer respite kept me out of hospital.", "zip_code": "", "step": "send"}
    data.update(overrides)
    return data


# --- The page --------------------------------------------------------------------------


def test_it_shows_the_template_and_offers_only_the_writers_own_consented_stories(
    client_for: ClientFor,
    member: User,
    other_member: User,
    campaign: Campaign,
    action: LetterAction,
    story: Story,
) -> None:
    other_campaign = make_campaign()
    chosen_here = make_story(
        member, title="Chosen for this one", advocacy=Advocacy.CHOSEN, campaign_ids=[campaign.pk]
    )
    make_story(
        member,
        title="Chosen for another",
        advocacy=Advocacy.CHOSEN,
        campaign_ids=[other_campaign.pk],
    )
    make_story(member, title="Not for campaigns", advocacy=Advocacy.NONE)
    make_story(member, title="Still a draft", status=Story.Status.DRAFT)
    make_story(other_member, title="Someone else's story")
    response = client_for(member).get(url(campaign))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dear decision maker, please fund peer respite houses." in html
    assert "Fund peer respite" in html
    assert f'value="{story.public_id}"' in html
    assert f'value="{chosen_here.public_id}"' in html
    for title in ("Chosen for another", "Not for campaigns", "Still a draft", "Someone else"):
        assert title not in html


def test_a_writer_without_a_usable_story_is_told_how_to_add_one(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction
) -> None:
    html = client_for(member).get(url(campaign)).content.decode()
    assert 'name="story"' not in html
    assert "You can add one of your stories once it is published" in html


def test_visitors_are_asked_to_sign_in_and_nothing_is_saved(
    client_for: ClientFor, campaign: Campaign, action: LetterAction
) -> None:
    response = client_for(None).get(url(campaign))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    response = post_with_csrf(client_for(None), url(campaign), letter_data())
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Letter.objects.exists()


def test_a_campaign_without_a_letter_or_being_prepared_is_not_there(
    client_for: ClientFor, member: User, campaign: Campaign
) -> None:
    client = client_for(member)
    assert client.get(url(campaign)).status_code == 404
    draft = make_campaign(status=Campaign.Status.DRAFT)
    LetterAction.objects.create(campaign=draft, subject="s", template="t")
    assert client.get(url(draft)).status_code == 404
    assert post_with_csrf(client, url(draft), letter_data()).status_code == 404
    assert client.get("/act/no-such-campaign/letter/").status_code == 404
    assert not Letter.objects.exists()


def test_other_methods_are_refused(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction
) -> None:
    assert delete_with_csrf(client_for(member), url(campaign)).status_code == 405


# --- Preview and send ------------------------------------------------------------------


def test_the_preview_shows_what_goes_and_saves_nothing(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction, story: Story
) -> None:
    data = letter_data(step="preview", story=story.public_id, zip_code="97202")
    response = post_with_csrf(client_for(member), url(campaign), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Check your letter" in html
    assert "Peer respite kept me out of hospital." in html
    assert "(no name: you chose not to sign)" in html
    assert "The winter I found my people" in html
    assert "<em>River</em>" in html  # the story's byline as consented: the display name
    assert "Your letter is counted for District 7." in html
    assert 'name="step" value="send"' in html
    assert not Letter.objects.exists()


def test_sending_from_the_preview_sends_what_was_previewed(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction, story: Story
) -> None:
    client = client_for(member)
    data = letter_data(
        step="preview",
        story=story.public_id,
        zip_code="97202",
        share_name="on",
        signed_name="River Stone",
        own_words='Line one & "two"',
    )
    preview = post_with_csrf(client, url(campaign), data).content.decode()
    hidden = {
        name: unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)">', preview
        )
        if name != "csrfmiddlewaretoken"
    }
    assert post_with_csrf(client, url(campaign), {**hidden, "step": "send"}).status_code == 302
    letter = Letter.objects.get()
    assert letter.own_words == 'Line one & "two"'
    assert (letter.story_id, letter.zip_code) == (story.pk, "97202")
    assert (letter.share_name, letter.signed_name) == (True, "River Stone")


def test_changing_it_goes_back_to_the_form_with_what_was_written(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction
) -> None:
    response = post_with_csrf(client_for(member), url(campaign), letter_data(step="change"))
    assert response.status_code == 200
    assert "Peer respite kept me out of hospital.</textarea>" in response.content.decode()
    assert not Letter.objects.exists()


def test_sending_saves_the_letter_unsigned_by_default_and_counts_its_district(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction, story: Story
) -> None:
    client = client_for(member)
    data = letter_data(story=story.public_id, zip_code="97201-0042", signed_name="River Stone")
    response = post_with_csrf(client, url(campaign), data)
    assert response.status_code == 302
    assert response["Location"] == url(campaign)
    letter = Letter.objects.get()
    assert (letter.writer, letter.action, letter.story_id) == (member, action, story.pk)
    assert letter.status == Letter.Status.READY
    assert (letter.zip_code, letter.district) == ("97201", "District 7")
    # Typing a name without ticking "Sign with my name" keeps the letter unsigned.
    assert (letter.share_name, letter.signed_name) == (False, "")
    entry = AuditEntry.objects.get(verb="advocacy.letter.write")
    assert (entry.actor_id, entry.target_id, entry.subject_id) == (
        member.pk,
        str(letter.pk),
        member.pk,
    )
    page = client.get(url(campaign)).content.decode()
    assert "Your letter is ready to go" in page
    assert "Not signed: it goes without a name." in page


def test_the_writers_words_are_encrypted_at_rest(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction
) -> None:
    post_with_csrf(client_for(member), url(campaign), letter_data())
    with connection.cursor() as cursor:
        cursor.execute("SELECT own_words FROM advocacy_letter")
        (stored,) = cursor.fetchone()
    assert "Peer respite" not in stored


def test_a_writer_may_choose_to_sign_with_a_name(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction
) -> None:
    data = letter_data(share_name="on", signed_name="River Stone", zip_code="10001")
    assert post_with_csrf(client_for(member), url(campaign), data).status_code == 302
    letter = Letter.objects.get()
    assert (letter.share_name, letter.signed_name, letter.district) == (True, "River Stone", "")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"own_words": ""}, "Please write a few words of your own"),
        ({"own_words": "x" * 3001}, "Ensure this value has at most 3000 characters"),
        ({"zip_code": "972"}, "Please give a ZIP code of five digits, or leave it empty."),
        ({"share_name": "on", "signed_name": " "}, "Please type the name to sign with"),
        ({"share_name": "on", "signed_name": "x" * 81}, "at most 80 characters"),
        ({"story": "not-a-story"}, "Please choose one of your own stories shared for this"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(
    client_for: ClientFor,
    member: User,
    campaign: Campaign,
    action: LetterAction,
    data: dict[str, str],
    error: str,
) -> None:
    response = post_with_csrf(client_for(member), url(campaign), letter_data(**data))
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Letter.objects.exists()


def _refused(client: Client, campaign: Campaign, public_id: str) -> None:
    for step in ("preview", "send"):
        data = letter_data(story=public_id, step=step)
        response = post_with_csrf(client, url(campaign), data)
        assert response.status_code == 400
        assert "Please choose one of your own stories" in response.content.decode()
    assert not Letter.objects.exists()


def test_a_member_cannot_send_someone_elses_story(
    client_for: ClientFor,
    member: User,
    other_member: User,
    campaign: Campaign,
    action: LetterAction,
) -> None:
    theirs = make_story(other_member)
    _refused(client_for(member), campaign, theirs.public_id)


@pytest.mark.parametrize("consent", ["none", "another campaign", "withdrawn", "unpublished"])
def test_a_story_without_consent_for_this_campaign_is_refused(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction, consent: str
) -> None:
    if consent == "none":
        story = make_story(member, advocacy=Advocacy.NONE)
    elif consent == "another campaign":
        other = make_campaign()
        story = make_story(member, advocacy=Advocacy.CHOSEN, campaign_ids=[other.pk])
    elif consent == "withdrawn":
        story = make_story(member)
        give_consent(story, withdrawn=True)
    else:
        story = make_story(member, status=Story.Status.SUBMITTED)
    _refused(client_for(member), campaign, story.public_id)


def test_one_letter_waits_at_a_time(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction
) -> None:
    client = client_for(member)
    assert post_with_csrf(client, url(campaign), letter_data()).status_code == 302
    response = post_with_csrf(client, url(campaign), letter_data(own_words="Again"))
    assert response.status_code == 400
    assert "Your letter is already waiting to be delivered." in response.content.decode()
    assert Letter.objects.count() == 1


@pytest.mark.parametrize("closed", ["letters closed", "campaign paused"])
def test_nothing_is_taken_while_letters_are_closed(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction, closed: str
) -> None:
    if closed == "letters closed":
        LetterAction.objects.filter(pk=action.pk).update(is_open=False)
    else:
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.PAUSED)
    client = client_for(member)
    page = client.get(url(campaign))
    assert page.status_code == 200
    assert "This campaign is not taking letters at the moment." in page.content.decode()
    assert 'name="own_words"' not in page.content.decode()
    response = post_with_csrf(client, url(campaign), letter_data())
    assert response.status_code == 400
    assert not Letter.objects.exists()


# --- The writer's letters and withdrawing ----------------------------------------------


def withdraw_url(campaign: Campaign, letter: Letter) -> str:
    return reverse("advocacy:letter_withdraw", args=[campaign.slug, letter.pk])


def make_letter(action: LetterAction, writer: User, **fields: object) -> Letter:
    values: dict[str, object] = {"own_words": f"Words of {writer.display_name}"}
    values.update(fields)
    return Letter.objects.create(action=action, writer=writer, **values)


def test_the_page_lists_only_the_writers_own_letters(
    client_for: ClientFor,
    member: User,
    other_member: User,
    campaign: Campaign,
    action: LetterAction,
) -> None:
    make_letter(action, member)
    make_letter(action, other_member)
    html = client_for(member).get(url(campaign)).content.decode()
    assert "Words of River" in html
    assert "Words of Sky" not in html


def test_a_writer_withdraws_a_letter_not_yet_delivered(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction
) -> None:
    letter = make_letter(action, member)
    response = post_with_csrf(client_for(member), withdraw_url(campaign, letter))
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.status == Letter.Status.WITHDRAWN
    assert AuditEntry.objects.filter(verb="advocacy.letter.withdraw").count() == 1


def test_a_delivered_letter_cannot_be_withdrawn(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction
) -> None:
    letter = make_letter(action, member, status=Letter.Status.DELIVERED)
    response = post_with_csrf(client_for(member), withdraw_url(campaign, letter))
    assert response.status_code == 400
    assert "already gone" in response.content.decode()
    letter.refresh_from_db()
    assert letter.status == Letter.Status.DELIVERED


def test_nobody_else_can_withdraw_a_letter(
    client_for: ClientFor,
    member: User,
    other_member: User,
    campaign: Campaign,
    action: LetterAction,
) -> None:
    letter = make_letter(action, member)
    response = post_with_csrf(client_for(other_member), withdraw_url(campaign, letter))
    assert response.status_code == 404
    response = post_with_csrf(client_for(None), withdraw_url(campaign, letter))
    assert response["Location"].startswith(reverse("accounts:login"))
    # The letter is looked for in the campaign of the address, not elsewhere.
    elsewhere = make_campaign()
    LetterAction.objects.create(campaign=elsewhere, subject="s", template="t")
    assert post_with_csrf(client_for(member), withdraw_url(elsewhere, letter)).status_code == 404
    assert client_for(member).get(withdraw_url(campaign, letter)).status_code == 405
    letter.refresh_from_db()
    assert letter.status == Letter.Status.READY


def test_a_waiting_letter_whose_story_lost_its_consent_says_so(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction, story: Story
) -> None:
    make_letter(action, member, story=story)
    client = client_for(member)
    assert "can no longer go with this letter" not in client.get(url(campaign)).content.decode()
    give_consent(story, advocacy=Advocacy.NONE)
    html = client.get(url(campaign)).content.decode()
    assert "The winter I found my people" in html
    assert "Your story can no longer go with this letter" in html


def test_a_writer_is_told_when_a_change_of_consent_took_their_story_off(
    client_for: ClientFor, member: User, campaign: Campaign, action: LetterAction, story: Story
) -> None:
    letter = make_letter(action, member, story=story)
    give_consent(story, withdrawn=True)
    # What the stories app's signal sets off in advocacy when consent changes.
    story_changes.follow_story_change(story, member, "consent_withdrawn")
    letter.refresh_from_db()
    assert letter.story_id is None
    html = client_for(member).get(url(campaign)).content.decode()
    assert "The story you added to this letter was taken off it" in html
