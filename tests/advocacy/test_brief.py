"""Building, rendering, archiving and delivering evidence briefs (``advocacy.briefs``)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.advocacy import brief_pdf, briefs, evidence
from peerlight.advocacy.models import BriefStory, Campaign, EvidenceBrief, Target
from peerlight.audit.models import AuditEntry
from peerlight.stories.models import Story, StoryConsent
from tests.advocacy.brief_factories import make_people
from tests.advocacy.factories import make_campaign, make_target
from tests.stories.factories import give_consent, make_story

Consent = StoryConsent
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
PICK = ["smit-2023", "white-2020", "psychservices-2022"]


@pytest.fixture
def target(db: None) -> Target:
    return make_target()


@pytest.fixture
def campaign(target: Target) -> Campaign:
    return make_campaign(tags=["loneliness", "services"], targets=[target])


def story_ids(content: briefs.BriefContent) -> list[int]:
    return [story.story_id for story in content.stories]


# --- What goes in ------------------------------------------------------------------------


def test_stories_are_matched_by_tag_with_the_best_matches_first(
    campaign: Campaign, member: User
) -> None:
    one_tag = make_story(member, tags=["loneliness"])
    two_tags = make_story(member, tags=["services", "loneliness"])
    make_story(member, tags=["sleep"])
    assert story_ids(briefs.brief_content(campaign)) == [two_tags.pk, one_tag.pk]


def test_at_most_three_stories_go_in(campaign: Campaign) -> None:
    for author in make_people(4, "Author"):
        make_story(author)
    assert len(briefs.brief_content(campaign).stories) == 3


def test_only_stories_whose_consent_covers_the_campaign_go_in(
    campaign: Campaign, member: User
) -> None:
    other = make_campaign()
    chosen = make_story(member, advocacy=Consent.Advocacy.CHOSEN, campaign_ids=[campaign.pk])
    make_story(member, advocacy=Consent.Advocacy.CHOSEN, campaign_ids=[other.pk])
    make_story(member, advocacy=Consent.Advocacy.NONE)
    make_story(member, status=Story.Status.IN_REVIEW)
    withdrawn = make_story(member)
    give_consent(withdrawn, withdrawn=True)
    assert story_ids(briefs.brief_content(campaign)) == [chosen.pk]


def test_a_campaign_without_topics_quotes_no_story(member: User) -> None:
    make_story(member)
    assert briefs.brief_content(make_campaign(tags=[])).stories == ()


def test_bylines_excerpts_and_links_follow_the_consent(
    campaign: Campaign, member: User, other_member: User
) -> None:
    body = "I was **alone** for years. [A link](https://example.org) " + "word " * 100
    public = make_story(member, body=body)
    members_only = make_story(
        other_member,
        audience=Consent.Audience.MEMBERS,
        attribution=Consent.Attribution.OTHER_NAME,
        other_name="Ash",
    )
    anonymous = make_story(other_member, attribution=Consent.Attribution.ANONYMOUS)
    items = {item.story_id: item for item in briefs.brief_content(campaign).stories}
    assert items[public.pk].byline == "River"
    assert items[public.pk].url.endswith(reverse("stories:read", args=[public.public_id]))
    assert items[public.pk].excerpt.startswith("I was alone for years. A link word")
    assert items[public.pk].excerpt.endswith("…")
    assert len(items[public.pk].excerpt) <= briefs.EXCERPT_CHARS + 1
    assert (items[members_only.pk].byline, items[members_only.pk].url) == ("Ash", "")
    assert items[anonymous.pk].byline == "Anonymous"


def test_research_defaults_to_the_campaigns_domains_checked_first(campaign: Campaign) -> None:
    chosen = briefs.default_evidence_ids(campaign)
    library = evidence.library().by_id()
    assert 2 <= len(chosen) <= 4
    assert all({"connectedness", "empowerment"} & set(library[i].chime) for i in chosen)
    checked = [library[i].fully_checked for i in chosen]
    assert checked == sorted(checked, reverse=True)


def test_research_for_a_campaign_without_topics_is_two_checked_sources(db: None) -> None:
    chosen = briefs.default_evidence_ids(make_campaign(tags=[]))
    assert len(chosen) == 2
    assert all(evidence.library().by_id()[i].fully_checked for i in chosen)


def test_the_public_brief_cites_what_the_newest_version_chose(
    campaign: Campaign, coordinator: User
) -> None:
    assert briefs.chosen_evidence_ids(campaign) == briefs.default_evidence_ids(campaign)
    briefs.build_version(coordinator, campaign, PICK)
    assert [entry.id for entry in briefs.brief_content(campaign).entries] == PICK


# --- Rendering --------------------------------------------------------------------------


def test_the_document_cites_sources_with_their_caveats(campaign: Campaign, member: User) -> None:
    make_story(member, title="The winter I found my people")
    content = briefs.brief_content(campaign, evidence_ids=PICK)
    html = briefs.render_document(content)
    for entry_id in PICK:
        entry = evidence.library().by_id()[entry_id]
        citation = entry.citation.replace("'", "&#x27;")
        assert citation in html
        assert f'href="{entry.url}"' in html
        # The caveats come right after the findings of the same entry.
        findings_at = html.index(entry.findings[-1].replace("'", "&#x27;"))
        caveats_at = html.index(entry.caveats.replace("'", "&#x27;"))
        assert 0 < caveats_at - findings_at < 200
    assert html.count("Partly checked: confirm these figures") == 1  # psychservices-2022
    assert "fewer than 11" in html
    assert "The winter I found my people" in html
    assert "River" in html
    assert evidence.library_version() in html
    # The document stands alone: its stylesheet inside, nothing linked.
    assert "<style>" in html
    assert "<link" not in html


def test_the_pdf_is_one_page_for_a_full_brief(campaign: Campaign) -> None:
    long_body = "Nobody seemed to understand what the nights were like. " * 20
    for author in make_people(3, "Author"):
        make_story(author, title="A title that takes a whole line " * 2, body=long_body)
    content = briefs.brief_content(campaign, evidence_ids=briefs.default_evidence_ids(campaign))
    assert (len(content.entries), len(content.stories)) == (4, 3)
    html = briefs.render_document(content)
    assert briefs.render_pdf(html).startswith(b"%PDF-")
    from weasyprint import HTML  # type: ignore[import-untyped]

    pages = HTML(string=html, url_fetcher=brief_pdf.RefuseFetching()).render().pages
    assert len(pages) == 1


def test_the_pdf_stays_one_page_for_the_longest_ask_and_why(campaign: Campaign) -> None:
    campaign.ask = ("Fund peer respite in every county of the state by 2028. " * 80)[:4000]
    campaign.why = ("People in crisis do better with peers than in emergency rooms. " * 70)[:4000]
    campaign.save()
    long_body = "Nobody seemed to understand what the nights were like. " * 20
    for author in make_people(3, "Writer"):
        make_story(author, title="A title that takes a whole line " * 2, body=long_body)
    content = briefs.brief_content(campaign, evidence_ids=briefs.default_evidence_ids(campaign))
    assert (len(content.entries), len(content.stories)) == (4, 3)
    html = briefs.render_document(content)
    from weasyprint import HTML

    pages = HTML(string=html, url_fetcher=brief_pdf.RefuseFetching()).render().pages
    assert len(pages) == 1
    # The brief says less than the campaign page, never something else.
    assert "Fund peer respite in every county of the state by 2028." in html
    assert campaign.ask not in html


def test_rendering_fetches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    refuse = brief_pdf.RefuseFetching.fetch

    def spy(self: brief_pdf.RefuseFetching, url: str, headers: Any = None) -> Any:
        asked.append(url)
        return refuse(self, url, headers)

    monkeypatch.setattr(brief_pdf.RefuseFetching, "fetch", spy)
    html = (
        "<!doctype html><html><head><link rel='stylesheet' href='https://example.org/a.css'>"
        "</head><body><img src='file:///etc/passwd'><img src='https://example.org/x.png'>"
        "<p>Still a brief.</p></body></html>"
    )
    assert brief_pdf.render(html).startswith(b"%PDF-")
    assert sorted(asked) == [
        "file:///etc/passwd",
        "https://example.org/a.css",
        "https://example.org/x.png",
    ]


def test_the_fetcher_refuses_every_address() -> None:
    from weasyprint.urls import URLFetchingError  # type: ignore[import-untyped]

    for url in ("https://example.org/font.woff", "http://127.0.0.1/", "file:///etc/hosts"):
        with pytest.raises(URLFetchingError):
            brief_pdf.RefuseFetching().fetch(url)


def test_the_same_page_renders_its_pdf_once(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []

    def render(html: str) -> bytes:
        made.append(html)
        return b"%PDF-1.7"

    monkeypatch.setattr(briefs, "render_pdf", render)
    assert briefs.pdf_for("<p>a</p>") == briefs.pdf_for("<p>a</p>") == b"%PDF-1.7"
    briefs.pdf_for("<p>b</p>")
    assert made == ["<p>a</p>", "<p>b</p>"]


# --- Versions ---------------------------------------------------------------------------


def test_building_archives_the_exact_page_with_its_hash(
    campaign: Campaign, coordinator: User, member: User
) -> None:
    story = make_story(member)
    version = briefs.build_version(coordinator, campaign, PICK)
    version.refresh_from_db()
    assert version.version == 1
    assert version.content_sha256 == hashlib.sha256(version.html.encode()).hexdigest()
    assert version.evidence_ids == PICK
    assert version.story_ids == [story.pk]
    assert version.evidence_library_version == evidence.library_version()
    assert version.figures["figures"]["signatures"] is None
    assert version.delivered_at is None
    assert list(BriefStory.objects.values_list("brief_id", "story_id")) == [(version.pk, story.pk)]
    assert "Brief version 1, built on" in version.html
    entry = AuditEntry.objects.get(verb="advocacy.brief.build")
    assert (entry.actor_id, entry.target_id) == (coordinator.pk, str(version.pk))


def test_an_undelivered_version_is_rebuilt_in_place(
    campaign: Campaign, coordinator: User, member: User
) -> None:
    first = briefs.build_version(coordinator, campaign, PICK)
    story = make_story(member)
    again = briefs.build_version(coordinator, campaign, PICK[:2])
    assert (again.pk, again.version) == (first.pk, 1)
    assert EvidenceBrief.objects.count() == 1
    assert again.evidence_ids == PICK[:2]
    assert list(BriefStory.objects.values_list("story_id", flat=True)) == [story.pk]


def test_a_delivered_version_is_never_rebuilt(
    campaign: Campaign, coordinator: User, target: Target
) -> None:
    first = briefs.build_version(coordinator, campaign, PICK)
    briefs.deliver_version(coordinator, first, [target], briefs.HAND)
    archived = EvidenceBrief.objects.values("html", "content_sha256", "evidence_ids").get(
        pk=first.pk
    )
    second = briefs.build_version(coordinator, campaign, PICK[:2])
    assert second.version == 2
    assert (
        EvidenceBrief.objects.values("html", "content_sha256", "evidence_ids").get(pk=first.pk)
        == archived
    )
    assert [row.version for row in briefs.versions_of(campaign)] == [2, 1]


@pytest.mark.parametrize(
    ("pick", "problem"),
    [
        (["smit-2023"], "Please choose from 2 to 4 sources."),
        (["smit-2023", "smit-2023"], "Please choose from 2 to 4 sources."),
        ([e.id for e in evidence.library().entries[:5]], "Please choose from 2 to 4 sources."),
        (["smit-2023", "made-up-2024"], "not in the evidence library"),
    ],
)
def test_a_bad_pick_builds_nothing(
    campaign: Campaign, coordinator: User, pick: list[str], problem: str
) -> None:
    with pytest.raises(briefs.BriefError, match=problem):
        briefs.build_version(coordinator, campaign, pick)
    assert not EvidenceBrief.objects.exists()
    assert not AuditEntry.objects.filter(verb="advocacy.brief.build").exists()


# --- Delivery ---------------------------------------------------------------------------


def test_delivery_by_email_sends_the_pdf_after_commit(
    campaign: Campaign,
    coordinator: User,
    target: Target,
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TASKS = IMMEDIATE
    second = make_target("Commissioner Lee", email="lee@county.example")
    campaign.targets.add(second)
    version = briefs.build_version(coordinator, campaign, PICK)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        briefs.deliver_version(coordinator, version, [target, second], briefs.EMAIL)
    assert mail.outbox == [], "nothing goes before the commit"
    for callback in callbacks:
        callback()
    assert sorted(message.to[0] for message in mail.outbox) == [
        "lee@county.example",
        "rivera@senate.example",
    ]
    sent = mail.outbox[0]
    assert sent.subject == f"Evidence brief: {campaign.title}"
    (name, content, kind) = sent.attachments[0]
    assert (name, kind) == (f"{campaign.slug}-brief-v1.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")
    version.refresh_from_db()
    assert version.delivered_at is not None
    assert set(version.delivered_to.all()) == {target, second}
    assert AuditEntry.objects.get(verb="advocacy.brief.deliver").reason == "email"


def test_delivery_by_hand_sends_nothing(
    campaign: Campaign,
    coordinator: User,
    target: Target,
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TASKS = IMMEDIATE
    version = briefs.build_version(coordinator, campaign, PICK)
    with django_capture_on_commit_callbacks(execute=True):
        briefs.deliver_version(coordinator, version, [target], briefs.HAND)
    assert mail.outbox == []
    assert AuditEntry.objects.get(verb="advocacy.brief.deliver").reason == "hand"


def refusal(brief: EvidenceBrief, actor: User, targets: list[Target], method: str) -> str:
    with pytest.raises(briefs.BriefError) as refused:
        briefs.deliver_version(actor, brief, targets, method)
    return refused.value.message


def test_delivery_is_refused_where_it_cannot_be_right(
    campaign: Campaign, coordinator: User, target: Target
) -> None:
    version = briefs.build_version(coordinator, campaign, PICK)
    stranger = make_target("Someone else")
    no_email = make_target("Mayor Park", email="")
    campaign.targets.add(no_email)
    assert "Choose only this campaign's" in refusal(version, coordinator, [stranger], "hand")
    assert "Mayor Park has no e-mail" in refusal(version, coordinator, [no_email], "email")
    assert "at least one" in refusal(version, coordinator, [], "hand")
    assert "how the brief is delivered" in refusal(version, coordinator, [target], "fax")
    assert EvidenceBrief.objects.get(pk=version.pk).delivered_at is None
    briefs.deliver_version(coordinator, version, [target], briefs.HAND)
    assert "delivered already" in refusal(version, coordinator, [target], "hand")


def test_a_version_whose_story_changed_consent_must_be_built_again(
    campaign: Campaign, coordinator: User, target: Target, member: User
) -> None:
    story = make_story(member)
    version = briefs.build_version(coordinator, campaign, PICK)
    give_consent(story, attribution=Consent.Attribution.ANONYMOUS)
    assert "changed their consent" in refusal(version, coordinator, [target], "hand")
    give_consent(story, withdrawn=True)
    assert "can no longer be used" in refusal(version, coordinator, [target], "hand")
    rebuilt = briefs.build_version(coordinator, campaign, PICK)
    assert rebuilt.story_ids == []
    briefs.deliver_version(coordinator, rebuilt, [target], briefs.HAND)
