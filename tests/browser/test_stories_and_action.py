"""From a story to a campaign and back, in three browsers: an author, a coordinator, a member.

The author writes a story to a guided prompt with a topic the campaign
shares, agrees that any campaign may use it, and sends it; the coordinator
opens the review queue, reviews it and publishes it. Another member signs
the campaign's petition (the counter moves) and sends a letter with their
own story, which then waits for delivery. The evidence brief shows the
author's story under the name they chose; the coordinator builds a version
and delivers it. Then the author withdraws consent: the story is gone from
the brief and from the reading pages, and the delivered version is flagged
for the coordinators. Every page is checked by the harness (accessibility,
weight, hosts, CSP).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from peerlight.accounts.models import User
from peerlight.advocacy.models import Campaign, EvidenceBrief, Letter, Signature
from peerlight.stories.models import Story
from tests.advocacy.brief_factories import letter_action_of
from tests.advocacy.factories import make_campaign, make_petition, make_target
from tests.browser.harness import BrowserPages
from tests.stories.factories import make_story

pytestmark = pytest.mark.browser

TITLE = "The bench outside the library"
BODY = (
    "For a year I barely spoke to anyone. I went to the library every day just to be near "
    "people.\n\n"
    "One afternoon a woman on the bench outside asked if I was new in town. She ran a peer "
    "group on Thursdays, and she said I could come and only listen.\n\n"
    "I listened for a month. Then I talked. Now I keep the kettle on for whoever comes next."
)
OTHER_TITLE = "Finding my people again"


def follow(pages: BrowserPages, target: Locator) -> None:
    """Click ``target`` (a link, or a form's button) and wait until the harness
    has checked the page it opens."""
    target.click()
    pages.watch(target.page).wait_until_checked()


def a_campaign_with_a_petition_and_a_letter(coordinator: User) -> Campaign:
    target = make_target("Commissioner Dana Whitfield", office="Multnomah County")
    campaign = make_campaign(
        title="Fund a second peer respite house",
        tags=["loneliness", "recovery"],
        targets=[target],
        created_by=coordinator,
    )
    make_petition(campaign, goal=100)
    letter_action_of(campaign)
    return campaign


def write_and_send_a_story(pages: BrowserPages, author: Page, writer: User) -> Story:
    """As the author: the story with a prompt and a topic, consent for any campaign, sent."""
    author.goto("/stories/write/")
    author.get_by_label("Title").fill(TITLE)
    author.get_by_label("Who or what helped you feel less alone?").check()
    author.get_by_label("Your story").fill(BODY)
    author.get_by_label("Loneliness", exact=True).check()
    follow(pages, author.get_by_role("button", name="Save"))
    expect(author.get_by_role("heading", name="Who may read your story", level=1)).to_be_visible()

    author.get_by_label("Anyone, including people without an account").check()
    author.get_by_label("My display name").check()
    author.get_by_label("In any of this community's campaigns").check()
    follow(pages, author.get_by_role("button", name="Show the words I agree to"))
    expect(author.get_by_role("heading", name="The words you agree to")).to_be_visible()
    follow(pages, author.get_by_role("button", name="I agree to these words"))
    expect(author.get_by_text("Your choices are saved and apply everywhere")).to_be_visible()

    follow(pages, author.get_by_role("button", name="Send for review"))
    expect(author.get_by_text("Thank you for sharing your story.")).to_be_visible()
    story = Story.objects.get(author=writer)
    assert story.status == Story.Status.SUBMITTED
    assert story.latest_version is not None
    assert story.latest_version.prompt == "connection"
    assert story.latest_version.tags == ["loneliness"]
    return story


def review_and_publish(pages: BrowserPages, moderator: Page, story: Story) -> None:
    moderator.goto("/stories/review/")
    waiting = moderator.get_by_role("region", name="Sent for review (1)")
    follow(pages, waiting.get_by_role("link", name=TITLE))
    expect(moderator.get_by_role("heading", name=f"Review: {TITLE}")).to_be_visible()
    follow(pages, moderator.get_by_role("button", name="Start the review"))
    expect(moderator.get_by_text("The review has started.")).to_be_visible()
    follow(pages, moderator.get_by_role("button", name="Publish version 1"))
    expect(moderator.get_by_text("The story is published.")).to_be_visible()
    story.refresh_from_db()
    assert story.status == Story.Status.PUBLISHED


def sign_the_petition(pages: BrowserPages, member: Page, campaign: Campaign) -> None:
    member.goto(f"/act/{campaign.slug}/")
    petition = member.get_by_role("region", name="Sign the petition")
    expect(petition).to_contain_text("0 signatures of a goal of 100")
    follow(pages, petition.get_by_role("button", name="Sign the petition"))
    expect(member.get_by_role("heading", name="Thank you for signing")).to_be_visible()
    expect(member.get_by_text("Thank you: your signature is counted.")).to_be_visible()
    expect(member.get_by_text("1 signature", exact=True)).to_be_visible()
    assert Signature.objects.filter(petition__campaign=campaign).count() == 1
    follow(pages, member.get_by_role("link", name="Back to the campaign"))
    expect(member.get_by_role("region", name="Sign the petition")).to_contain_text(
        "1 signature of a goal of 100"
    )


def send_a_letter_with_a_story(pages: BrowserPages, member: Page) -> None:
    follow(pages, member.get_by_role("link", name=re.compile(r"^Write a letter")))
    member.get_by_label("Your own words").fill("A calm place to stay would have saved me a year.")
    member.get_by_label("Add one of your stories (optional)").select_option(label=OTHER_TITLE)
    follow(pages, member.get_by_role("button", name="Preview my letter"))
    expect(member.get_by_role("heading", name="Check your letter")).to_be_visible()
    expect(member.get_by_role("heading", name=OTHER_TITLE)).to_be_visible()
    follow(pages, member.get_by_role("button", name="Send my letter"))
    expect(member.get_by_text("Your letter is ready to go")).to_be_visible()
    mine = member.get_by_role("region", name="Your letters")
    expect(mine).to_contain_text("Ready to deliver")
    expect(mine).to_contain_text(f"With your story “{OTHER_TITLE}”.")


def brief_story(page: Page, title: str) -> Locator:
    return page.get_by_role("region", name="In their own words").locator("figure", has_text=title)


def build_and_deliver_a_version(pages: BrowserPages, coordinator: Page, slug: str) -> None:
    coordinator.goto(f"/act/{slug}/brief/")
    follow(pages, coordinator.get_by_role("link", name="Versions and delivery"))
    follow(pages, coordinator.get_by_role("button", name="Build the version"))
    expect(coordinator.get_by_text("Version 1 is built.")).to_be_visible()
    coordinator.get_by_label("Commissioner Dana Whitfield, Multnomah County").check()
    coordinator.get_by_label("I will hand it over or post it (download the PDF)").check()
    follow(pages, coordinator.get_by_role("button", name="Deliver"))
    expect(coordinator.get_by_text("Delivered: download the PDF below")).to_be_visible()


def test_a_story_becomes_evidence_for_a_campaign_until_its_author_withdraws_consent(
    browser_pages: BrowserPages, member: User, other_member: User, coordinator: User
) -> None:
    campaign = a_campaign_with_a_petition_and_a_letter(coordinator)
    own = make_story(other_member, title=OTHER_TITLE, tags=["loneliness"])

    author = browser_pages.new_page(user=member)
    story = write_and_send_a_story(browser_pages, author, member)
    moderator = browser_pages.new_page(user=coordinator)
    review_and_publish(browser_pages, moderator, story)

    reader = browser_pages.new_page(user=other_member)
    sign_the_petition(browser_pages, reader, campaign)
    send_a_letter_with_a_story(browser_pages, reader)
    letter = Letter.objects.get(writer=other_member)
    assert letter.status == Letter.Status.READY
    assert letter.story_id == own.pk

    # The brief quotes the story under the name its author chose.
    reader.goto(f"/act/{campaign.slug}/")
    follow(browser_pages, reader.get_by_role("link", name="Read the evidence brief"))
    expect(brief_story(reader, TITLE)).to_contain_text(f"River, “{TITLE}”")
    expect(brief_story(reader, TITLE)).to_contain_text("One afternoon a woman on the bench")
    expect(brief_story(reader, OTHER_TITLE)).to_contain_text("Sky")
    build_and_deliver_a_version(browser_pages, moderator, campaign.slug)
    delivered = EvidenceBrief.objects.get(campaign=campaign)
    assert story.pk in delivered.story_ids
    assert delivered.delivered_at is not None
    assert delivered.flagged_at is None

    # The author withdraws consent on the story's consent page.
    author.goto(f"/stories/mine/{story.public_id}/consent/")
    follow(browser_pages, author.get_by_role("button", name="Withdraw my consent"))
    expect(author.get_by_text("You withdrew your consent.")).to_be_visible()

    reader.reload()
    expect(brief_story(reader, OTHER_TITLE)).to_be_visible()
    expect(reader.get_by_text(TITLE)).to_have_count(0)
    gone = reader.goto(f"/stories/{story.public_id}/")
    assert gone is not None
    assert gone.status == 404
    reader.goto("/stories/")
    expect(reader.get_by_role("link", name=OTHER_TITLE)).to_be_visible()
    expect(reader.get_by_text(TITLE)).to_have_count(0)

    # What was already delivered cannot be called back: the coordinators follow it up.
    moderator.goto(f"/act/{campaign.slug}/brief/manage/")
    follow_up = moderator.get_by_role("region", name="To follow up")
    expect(follow_up).to_contain_text("Evidence brief version 1")
    expect(follow_up).to_contain_text("the writer withdrew their consent")
    delivered.refresh_from_db()
    assert delivered.flagged_at is not None
