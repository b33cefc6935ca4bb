"""Demo advocacy: campaigns of Multnomah County made through the actions, seeded once."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from peerlight.accounts import demo as accounts_demo
from peerlight.accounts.models import User
from peerlight.advocacy import access, demo, petitions, proposals
from peerlight.advocacy.models import (
    ActionNotice,
    CallRecord,
    Campaign,
    CampaignUpdate,
    Commitment,
    EvidenceBrief,
    Letter,
    PaperSignatures,
    Proposal,
    ProposalSupport,
    Signature,
    Target,
)
from peerlight.audit.models import AuditEntry
from peerlight.stories import access as stories_access
from peerlight.stories import actions as story_actions
from peerlight.stories import demo as stories_demo
from peerlight.stories.models import Story, StoryConsent

pytestmark = pytest.mark.django_db

MODELS = (
    Target,
    Campaign,
    CampaignUpdate,
    Signature,
    PaperSignatures,
    Letter,
    CallRecord,
    EvidenceBrief,
    Commitment,
    Proposal,
    ProposalSupport,
    ActionNotice,
    StoryConsent,
    AuditEntry,
)


@pytest.fixture
def demo_people() -> None:
    accounts_demo.seed(StringIO())


@pytest.fixture
def demo_stories(demo_people: None) -> None:
    stories_demo.seed(StringIO())


def seeded() -> str:
    out = StringIO()
    demo.seed(out)
    return out.getvalue()


def counts() -> dict[str, Any]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seeding_twice_creates_nothing_the_second_time(demo_stories: None) -> None:
    assert seeded() == "Advocacy: 7 created, 0 already there.\n"
    first = counts()
    briefs = list(EvidenceBrief.objects.order_by("pk").values("pk", "content_sha256"))
    assert seeded() == "Advocacy: 0 created, 7 already there.\n"
    assert counts() == first
    assert list(EvidenceBrief.objects.order_by("pk").values("pk", "content_sha256")) == briefs


def test_the_targets_are_in_multnomah_county(demo_stories: None) -> None:
    seeded()
    targets = list(Target.objects.all())
    assert 3 <= len(targets) <= 4
    codes = {code for target in targets for code in target.district_zip_codes}
    assert codes
    assert all(petitions.is_known_zip(code) and "97201" <= code <= "97266" for code in codes)
    assert all(target.email.endswith(".example") for target in targets)


def test_two_active_campaigns_have_petitions_with_counts_above_eleven(
    demo_stories: None,
) -> None:
    seeded()
    campaigns = list(Campaign.objects.filter(status=Campaign.Status.ACTIVE))
    assert {campaign.slug for campaign in campaigns} == {demo.RESPITE.slug, demo.CRISIS.slug}
    checks = set()
    for campaign in campaigns:
        petition = campaign.petition
        online = Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
        assert petition.signature_count == online.count() >= 5
        assert access.public_count(petition) > 11
        assert PaperSignatures.objects.filter(petition=petition).exists()
        assert campaign.updates.exists()
        assert EvidenceBrief.objects.filter(campaign=campaign).exists()
        checks.add(petition.check_district)
        # Only the signers who chose it are named on the petition.
        shown = set(access.public_names(petition))
        chosen = {s.name for s in online if s.show_name}
        assert shown == chosen
        assert shown < {s.name for s in online}
    assert checks == {True, False}


def test_the_respite_campaign_has_letters_a_delivered_brief_and_a_commitment(
    demo_stories: None,
) -> None:
    seeded()
    campaign = Campaign.objects.get(slug=demo.RESPITE.slug)
    letters = Letter.objects.filter(action__campaign=campaign, status=Letter.Status.READY)
    assert letters.count() == 3
    assert set(letters.exclude(story=None).values_list("story__public_id", flat=True)) == {
        "demo-story-2",
        "demo-story-3",
    }
    delivered = EvidenceBrief.objects.get(campaign=campaign, delivered_at__isnull=False)
    assert delivered.story_ids
    assert list(delivered.delivered_to.values_list("name", flat=True)) == ["Dana Whitfield"]
    assert Commitment.objects.filter(campaign=campaign).count() == 1
    # The members who acted were told of it, on their news page.
    quietfern = User.objects.get(display_name="quietfern")
    assert ActionNotice.objects.filter(
        user=quietfern, campaign=campaign, kind=ActionNotice.Kind.COMMITMENT
    ).exists()


def test_the_crisis_campaign_has_a_call_script_and_calls(demo_stories: None) -> None:
    seeded()
    campaign = Campaign.objects.get(slug=demo.CRISIS.slug)
    assert campaign.call_action.script
    assert CallRecord.objects.filter(action__campaign=campaign).count() == len(demo.CRISIS.calls)


def test_an_author_narrowed_her_consent_to_the_respite_campaign(demo_stories: None) -> None:
    seeded()
    story = Story.objects.get(public_id="demo-story-2")
    respite = Campaign.objects.get(slug=demo.RESPITE.slug)
    crisis = Campaign.objects.get(slug=demo.CRISIS.slug)
    consent = stories_access.consent_in_force(story)
    assert consent is not None
    assert consent.number == 2
    assert consent.advocacy == StoryConsent.Advocacy.CHOSEN
    assert consent.campaign_ids == [respite.pk]
    assert stories_access.story_for_campaign(story.pk, respite.pk) is not None
    assert stories_access.story_for_campaign(story.pk, crisis.pk) is None


def test_a_visitor_sees_the_campaigns_with_their_counts(demo_stories: None) -> None:
    seeded()
    visitor = Client()
    listing = visitor.get(reverse("advocacy:campaign_list"))
    assert listing.status_code == 200
    for spec in demo.CAMPAIGNS:
        assert escape(spec.title) in listing.text
        page = visitor.get(reverse("advocacy:campaign", args=[spec.slug]))
        assert page.status_code == 200
        online = Signature.objects.filter(petition__campaign__slug=spec.slug).count()
        assert f"{online + spec.paper[0]} signatures" in page.text
        assert escape(spec.first_update) in page.text


@pytest.mark.parametrize(
    ("slug", "title"),
    [
        (demo.RESPITE.slug, "A week at the respite house"),
        (demo.CRISIS.slug, "When the crisis team sent a peer"),
    ],
)
def test_the_demo_campaigns_brief_shows_a_demo_story(
    demo_stories: None, slug: str, title: str
) -> None:
    seeded()
    page = Client().get(reverse("advocacy:brief", args=[slug]))
    assert page.status_code == 200
    assert "In their own words" in page.text
    assert title in page.text


def test_a_withdrawal_takes_the_story_out_and_flags_the_delivered_brief(
    demo_stories: None,
) -> None:
    seeded()
    story = Story.objects.get(public_id="demo-story-2")
    story_actions.withdraw_consent(story.author, story, language="en")
    delivered = EvidenceBrief.objects.get(
        campaign__slug=demo.RESPITE.slug, delivered_at__isnull=False
    )
    assert story.pk in delivered.story_ids
    assert delivered.flagged_at is not None
    page = Client().get(reverse("advocacy:brief", args=[demo.RESPITE.slug]))
    assert page.status_code == 200
    assert "A week at the respite house" not in page.text


def test_the_member_proposal_is_open_with_a_few_backers(demo_stories: None) -> None:
    seeded()
    proposal = Proposal.objects.get(title=demo.PROPOSAL.title)
    assert proposal.status == Proposal.Status.OPEN
    assert proposal.proposer is not None
    assert proposal.proposer.display_name == demo.PROPOSAL.proposer
    assert 1 <= proposal.support_count < proposals.support_threshold()
    assert ProposalSupport.objects.filter(proposal=proposal).count() == proposal.support_count


def test_without_the_demo_stories_the_letters_go_without_stories(demo_people: None) -> None:
    assert seeded() == "Advocacy: 7 created, 0 already there.\n"
    assert Letter.objects.count() == 3
    assert not Letter.objects.exclude(story=None).exists()


def test_without_the_demo_coordinator_nothing_is_made(db: None) -> None:
    assert seeded() == "Advocacy: 0 created, skipped (no demo coordinator).\n"
    assert not Target.objects.exists()
    assert not Campaign.objects.exists()


def test_every_demo_brief_fits_one_page(demo_stories: None) -> None:
    from weasyprint import HTML  # type: ignore[import-untyped]

    from peerlight.advocacy import brief_pdf, briefs

    for campaign in Campaign.objects.all():
        html = briefs.render_document(briefs.brief_content(campaign))
        pages = HTML(string=html, url_fetcher=brief_pdf.RefuseFetching()).render().pages
        assert len(pages) == 1, campaign.slug
