"""The author's pages: write, "Your stories", one story, sending it, consent, withdrawing."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.safety.models import Escalation
from peerlight.stories import actions
from peerlight.stories.author_views import SUBMIT_POLICY
from peerlight.stories.models import HelpedMark, Story, StoryConsent, StoryVersion
from tests.advocacy.factories import make_campaign
from tests.conftest import delete_with_csrf, post_with_csrf
from tests.stories.factories import give_consent, make_story

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], Client]
Status = Story.Status
WRITE = reverse("stories:write")
MINE = reverse("stories:mine")
STORY = {
    "title": "What helped me through the winter",
    "body": "Finding people who had been there too.\n\nIt got *better*, slowly.",
    "prompt": "hope",
    "content_notes": ["grief"],
    "experiences": ["depression"],
    "topics": ["loneliness"],
}
CONSENT = {"audience": "public", "attribution": "anonymous", "advocacy": "none"}


def url(name: str, story: Story) -> str:
    return reverse(f"stories:{name}", args=[story.public_id])


def draft(author: User, **fields: object) -> Story:
    """A draft written through the actions, with consent unless told otherwise."""
    consent = fields.pop("consent", True)
    values = {**STORY, **fields}
    story = actions.start_story(
        author,
        actions.Draft(
            title=str(values["title"]),
            body=str(values["body"]),
            tags=("loneliness",),
        ),
    )
    if consent:
        give_consent(story, audience="public", attribution="anonymous", advocacy="none")
    return story


def html_of(response: object) -> str:
    content: bytes = response.content  # type: ignore[attr-defined]
    return content.decode()


# --- Writing -------------------------------------------------------------------------------


def test_the_write_page_offers_prompts_notes_and_topics(
    client_for: ClientFor, member: User
) -> None:
    response = client_for(member).get(WRITE)
    assert response.status_code == 200
    html = html_of(response)
    assert "<h1>Share your story</h1>" in html
    assert "What gave you hope when things were hard?" in html
    assert "Was there a small thing that kept you going?" in html
    assert 'value="self_harm"' in html  # a content note
    assert 'name="experiences" value="depression"' in html
    assert 'name="topics" value="loneliness"' in html
    assert 'name="preview"' in html


def test_the_write_page_speaks_spanish(client_for: ClientFor, member: User) -> None:
    client = client_for(member)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    html = html_of(client.get(WRITE))
    assert "¿Qué te dio esperanza cuando las cosas eran difíciles?" in html
    assert "Autolesiones" in html


def test_saving_a_new_story_keeps_it_as_a_draft_and_asks_for_consent(
    client_for: ClientFor, member: User
) -> None:
    response = post_with_csrf(client_for(member), WRITE, STORY)
    story = Story.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("consent", story)
    assert (story.author, story.status) == (member, Status.DRAFT)
    version = StoryVersion.objects.get()
    assert (version.title, version.prompt, version.content_notes) == (
        STORY["title"],
        "hope",
        ["grief"],
    )
    assert version.tags == ["depression", "loneliness"]


def test_preview_shows_the_rendered_story_and_saves_nothing(
    client_for: ClientFor, member: User
) -> None:
    body = "It got *better*.\n\n<script>alert(1)</script>"
    response = post_with_csrf(client_for(member), WRITE, {**STORY, "body": body, "preview": "1"})
    assert response.status_code == 200
    html = html_of(response)
    assert "<p>It got <em>better</em>.</p>" in html
    assert "<script>alert(1)" not in html
    assert "It is not saved yet." in html
    assert not Story.objects.exists()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"title": ""}, "Please give your story a title."),
        ({"title": "x" * 141}, "Please keep the title to 140 characters."),
        ({"body": ""}, "Please write your story before saving it."),
        ({"body": "x" * 20_001}, "Please keep your story to 20000 characters."),
        ({"prompt": "courage"}, "Please choose from the list."),
        ({"content_notes": ["spiders"]}, "Please choose from the list."),
        ({"topics": ["astrology"]}, "Please choose from the list."),
        (
            {
                "experiences": ["depression", "anxiety", "bipolar", "trauma", "grief"],
                "topics": ["loneliness", "sleep", "family", "recovery"],
            },
            "Please choose up to 8 topics in all.",
        ),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(
    client_for: ClientFor, member: User, change: dict[str, object], error: str
) -> None:
    response = post_with_csrf(client_for(member), WRITE, {**STORY, **change})
    assert response.status_code == 400
    assert error in html_of(response)
    assert "Something needs changing" in html_of(response)
    assert not Story.objects.exists()


def test_visitors_are_asked_to_sign_in_and_nothing_is_saved(client_for: ClientFor) -> None:
    response = client_for(None).get(WRITE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert post_with_csrf(client_for(None), WRITE, STORY).status_code == 302
    assert not Story.objects.exists()


def test_write_refuses_other_methods(client_for: ClientFor, member: User) -> None:
    assert delete_with_csrf(client_for(member), WRITE).status_code == 405


# --- Your stories --------------------------------------------------------------------------


def test_your_stories_lists_the_authors_own_with_where_each_stands(
    client_for: ClientFor, member: User, other_member: User
) -> None:
    waiting = draft(member, title="A draft of mine", consent=False)
    published = make_story(member, title="My published story", audience="members")
    HelpedMark.objects.create(story=published, reader=other_member)
    make_story(other_member, title="Someone else's story")
    response = client_for(member).get(MINE)
    assert response.status_code == 200
    html = html_of(response)
    assert f'href="{url("edit", waiting)}">A draft of mine</a>' in html
    assert "You have not chosen who may read it yet" in html
    assert "My published story" in html
    assert "For members to read" in html
    assert "1 reader said this story helped them." in html
    assert "Someone else" not in html
    assert "Sky" not in html  # who marked it as helpful is never shown


def test_your_stories_costs_the_same_queries_however_many_stories(
    client_for: ClientFor, member: User
) -> None:
    client = client_for(member)
    make_story(member)
    client.get(MINE)  # the session and the first page load settle

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(MINE).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for number in range(4):
        draft(member, title=f"Draft {number}")
    assert queries() == few


def test_your_stories_is_for_signed_in_people_and_get_only(
    client_for: ClientFor, member: User
) -> None:
    assert client_for(None).get(MINE)["Location"].startswith(reverse("accounts:login"))
    assert post_with_csrf(client_for(member), MINE).status_code == 405


# --- One story -----------------------------------------------------------------------------


def test_the_story_page_shows_the_words_consent_and_the_next_step(
    client_for: ClientFor, member: User
) -> None:
    story = draft(member)
    response = client_for(member).get(url("edit", story))
    assert response.status_code == 200
    html = html_of(response)
    assert f"<h1>{STORY['title']}</h1>" in html
    assert "<strong>Draft</strong>" in html
    assert "No name (anonymous)" in html
    assert f'action="{url("submit", story)}"' in html
    assert "Finding people who had been there too." in html  # in the form, to edit


def test_without_consent_the_page_asks_for_it_before_sending(
    client_for: ClientFor, member: User
) -> None:
    story = draft(member, consent=False)
    html = html_of(client_for(member).get(url("edit", story)))
    assert "First choose who may read your story" in html
    assert f'action="{url("submit", story)}"' not in html


def test_other_peoples_stories_and_missing_ones_are_not_found(
    client_for: ClientFor, member: User, other_member: User, coordinator: User
) -> None:
    story = draft(member)
    for name in ("edit", "consent"):
        assert client_for(other_member).get(url(name, story)).status_code == 404
        assert client_for(coordinator).get(url(name, story)).status_code == 404
    assert client_for(member).get("/stories/mine/no-such-story/").status_code == 404
    for name in ("edit", "submit", "withdraw", "consent", "consent_withdraw"):
        data = {**STORY, **CONSENT, "confirm": "on"}
        assert post_with_csrf(client_for(other_member), url(name, story), data).status_code == 404
    story.refresh_from_db()
    assert (story.status, story.versions.count(), story.consents.count()) == (Status.DRAFT, 1, 1)


def test_visitors_are_sent_to_sign_in_from_every_story_page(
    client_for: ClientFor, member: User
) -> None:
    story = draft(member)
    for name in ("edit", "consent"):
        assert (
            client_for(None)
            .get(url(name, story))["Location"]
            .startswith(reverse("accounts:login"))
        )
    for name in ("edit", "submit", "withdraw", "consent", "consent_withdraw"):
        response = post_with_csrf(client_for(None), url(name, story), {**STORY, "confirm": "on"})
        assert response["Location"].startswith(reverse("accounts:login"))
    story.refresh_from_db()
    assert (story.status, story.versions.count(), story.consents.count()) == (Status.DRAFT, 1, 1)


def test_saving_changes_writes_a_new_version(client_for: ClientFor, member: User) -> None:
    story = draft(member)
    changed = {**STORY, "body": "Spring came, and with it a circle."}
    response = post_with_csrf(client_for(member), url("edit", story), changed)
    assert response.status_code == 302
    assert response["Location"] == url("edit", story)
    assert list(story.versions.values_list("number", flat=True)) == [1, 2]
    page = client_for(member).get(url("edit", story))
    assert "Spring came, and with it a circle." in html_of(page)


def test_saving_without_changes_says_so(client_for: ClientFor, member: User) -> None:
    story = draft(member)
    same = {"title": STORY["title"], "body": STORY["body"], "topics": ["loneliness"]}
    response = post_with_csrf(client_for(member), url("edit", story), same, follow=True)
    assert "Nothing had changed, so there was nothing to save." in html_of(response)
    assert story.versions.count() == 1


def test_bad_changes_are_explained_and_nothing_is_saved(
    client_for: ClientFor, member: User
) -> None:
    story = draft(member)
    response = post_with_csrf(client_for(member), url("edit", story), {**STORY, "title": ""})
    assert response.status_code == 400
    assert "Please give your story a title." in html_of(response)
    assert story.versions.count() == 1


def test_preview_of_changes_saves_nothing(client_for: ClientFor, member: User) -> None:
    story = draft(member)
    data = {**STORY, "body": "**New** words", "preview": "1"}
    response = post_with_csrf(client_for(member), url("edit", story), data)
    assert response.status_code == 200
    assert "<strong>New</strong> words" in html_of(response)
    assert story.versions.count() == 1


def test_a_published_story_shows_its_words_and_cannot_be_changed(
    client_for: ClientFor, member: User
) -> None:
    story = make_story(member, body="It got *better*.")
    html = html_of(client_for(member).get(url("edit", story)))
    assert "<p>It got <em>better</em>.</p>" in html
    assert 'name="title"' not in html
    response = post_with_csrf(client_for(member), url("edit", story), STORY)
    assert response.status_code == 400
    assert "This story is published, so its words stay as they are." in html_of(response)
    assert story.versions.count() == 1


def test_the_story_page_refuses_other_methods(client_for: ClientFor, member: User) -> None:
    story = draft(member)
    assert delete_with_csrf(client_for(member), url("edit", story)).status_code == 405


# --- Sending for review ---------------------------------------------------------------------


def test_sending_a_calm_story_queues_it_for_the_moderators(
    client_for: ClientFor, member: User
) -> None:
    story = draft(member)
    response = post_with_csrf(client_for(member), url("submit", story), follow=True)
    assert response.redirect_chain == [(url("edit", story), 302)]
    html = html_of(response)
    assert "Thank you for sharing your story. A moderator will read it" in html
    assert "<strong>Sent for review</strong>" in html
    story.refresh_from_db()
    assert story.status == Status.SUBMITTED


def test_method_detail_is_explained_kindly_with_the_paragraph(
    client_for: ClientFor, member: User
) -> None:
    story = draft(
        member,
        body="My first year at college was lonely.\n\n"
        "When I was nineteen I swallowed 40 paracetamol tablets and lay down on my bed.",
    )
    response = post_with_csrf(client_for(member), url("submit", story), follow=True)
    html = html_of(response)
    assert "Please look at one part of your story again" in html
    assert "Safe-messaging guidance asks stories to leave out the how" in html
    assert "Please look at: paragraph 2." in html
    story.refresh_from_db()
    assert story.status == Status.DRAFT
    # The passage is not quoted anywhere on the page but in the author's own form.
    assert html.count("40 paracetamol") == 1


def test_current_risk_shows_the_safety_card_and_tells_a_coordinator(
    client_for: ClientFor, member: User
) -> None:
    story = draft(
        member,
        body="I don't see the point anymore. I have the pills ready and tonight I will end it.",
    )
    response = post_with_csrf(client_for(member), url("submit", story), follow=True)
    html = html_of(response)
    assert "You matter" in html  # the safety card
    assert "988" in html  # its crisis contacts
    assert "it will not be published until a coordinator has read it" in html
    story.refresh_from_db()
    assert (story.status, story.held_for_safety) == (Status.SUBMITTED, True)
    assert Escalation.objects.filter(source="stories.story", source_id=story.pk).exists()


def test_sending_without_consent_is_explained(client_for: ClientFor, member: User) -> None:
    story = draft(member, consent=False)
    response = post_with_csrf(client_for(member), url("submit", story), follow=True)
    assert "Please choose who may read your story before you send it." in html_of(response)
    story.refresh_from_db()
    assert story.status == Status.DRAFT


def test_sending_is_limited_per_person(client_for: ClientFor, member: User) -> None:
    client = client_for(member)
    story = draft(member)
    for _attempt in range(SUBMIT_POLICY.limit):
        post_with_csrf(client, url("submit", story))
        Story.objects.filter(pk=story.pk).update(status=Status.DRAFT)
    response = post_with_csrf(client, url("submit", story), follow=True)
    assert "There have been a lot of attempts in a short time." in html_of(response)
    story.refresh_from_db()
    assert story.status == Status.DRAFT


def test_sending_is_post_only(client_for: ClientFor, member: User) -> None:
    story = draft(member)
    assert client_for(member).get(url("submit", story)).status_code == 405
    story.refresh_from_db()
    assert story.status == Status.DRAFT


# --- Withdrawing a story --------------------------------------------------------------------


def test_withdrawing_needs_the_box_ticked(client_for: ClientFor, member: User) -> None:
    story = make_story(member)
    response = post_with_csrf(client_for(member), url("withdraw", story))
    assert response.status_code == 400
    assert "Please tick the box to say you want to withdraw this story." in html_of(response)
    story.refresh_from_db()
    assert story.status == Status.PUBLISHED


def test_withdrawing_a_story_takes_it_off_the_site(
    client_for: ClientFor, member: User, other_member: User
) -> None:
    story = make_story(member)
    response = post_with_csrf(client_for(member), url("withdraw", story), {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == MINE
    story.refresh_from_db()
    assert story.status == Status.WITHDRAWN
    assert AuditEntry.objects.filter(verb="stories.story.withdraw", actor_id=member.pk).exists()
    html = html_of(client_for(member).get(url("edit", story)))
    assert "<strong>Withdrawn</strong>" in html
    assert f'action="{url("withdraw", story)}"' not in html


def test_withdrawing_is_post_only(client_for: ClientFor, member: User) -> None:
    story = make_story(member)
    assert client_for(member).get(url("withdraw", story)).status_code == 405
    story.refresh_from_db()
    assert story.status == Status.PUBLISHED


# --- Consent --------------------------------------------------------------------------------


def shown_hash(html: str) -> str:
    found = re.search(r'name="words_sha256" value="([0-9a-f]{64})"', html)
    assert found is not None
    return found.group(1)


def test_the_consent_page_starts_from_calm_defaults(client_for: ClientFor, member: User) -> None:
    story = draft(member, consent=False)
    response = client_for(member).get(url("consent", story))
    assert response.status_code == 200
    html = html_of(response)
    assert 'value="members" required id="id_audience_0" checked' in html
    assert 'value="anonymous" required id="id_attribution_2" checked' in html
    assert 'value="none" required id="id_advocacy_0" checked' in html
    assert "Nothing yet: your choices will be kept here" in html


def test_choices_show_the_exact_words_then_agreeing_saves_them(
    client_for: ClientFor, member: User
) -> None:
    campaign = make_campaign(title="Fund peer respite")
    story = draft(member, consent=False)
    client = client_for(member)
    choices = {
        "audience": "public",
        "attribution": "other_name",
        "other_name": "Winter Bird",
        "advocacy": "chosen",
        "campaigns": [str(campaign.pk)],
    }
    review = post_with_csrf(client, url("consent", story), {**choices, "review": "1"})
    assert review.status_code == 200
    html = html_of(review)
    assert "The words you agree to" in html
    assert "How it is signed: with the name “Winter Bird”" in html
    assert "“Fund peer respite”" in html
    assert not StoryConsent.objects.exists()
    agreed = {**choices, "agree": "1", "words_sha256": shown_hash(html)}
    response = post_with_csrf(client, url("consent", story), agreed)
    assert response.status_code == 302
    assert response["Location"] == url("edit", story)
    consent = StoryConsent.objects.get()
    assert consent.document_sha256 == shown_hash(html)
    assert (consent.other_name, consent.campaign_ids) == ("Winter Bird", [campaign.pk])


def test_agreeing_to_words_not_shown_shows_the_new_words_first(
    client_for: ClientFor, member: User
) -> None:
    story = draft(member, consent=False)
    client = client_for(member)
    html = html_of(post_with_csrf(client, url("consent", story), {**CONSENT, "review": "1"}))
    changed = {**CONSENT, "audience": "members", "agree": "1", "words_sha256": shown_hash(html)}
    response = post_with_csrf(client, url("consent", story), changed)
    assert response.status_code == 200
    assert "Your choices changed, so the words changed too." in html_of(response)
    assert not StoryConsent.objects.exists()


def test_consent_words_follow_the_page_language(client_for: ClientFor, member: User) -> None:
    story = draft(member, consent=False)
    client = client_for(member)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    html = html_of(post_with_csrf(client, url("consent", story), CONSENT))
    assert "Mi consentimiento para mi historia (versión 1)" in html
    post_with_csrf(
        client, url("consent", story), {**CONSENT, "agree": "1", "words_sha256": shown_hash(html)}
    )
    consent = StoryConsent.objects.get()
    assert consent.language == "es"
    assert consent.document.startswith("Mi consentimiento")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"audience": ""}, "Please choose who may read your story."),
        ({"audience": "everyone"}, "Please choose from the list."),
        ({"attribution": "other_name", "other_name": " "}, "Please write the name to sign"),
        ({"attribution": "other_name", "other_name": "x" * 61}, "Please keep the name to 60"),
        ({"advocacy": "chosen"}, "Please choose at least one campaign"),
        ({"advocacy": "chosen", "campaigns": ["999999"]}, "Please choose from the list."),
        ({"ends_on": "2020-01-01"}, "Please choose an end date after today"),
        ({"ends_on": "next spring"}, "Please write the date as year-month-day"),
    ],
)
def test_bad_consent_choices_are_explained_and_nothing_is_saved(
    client_for: ClientFor, member: User, change: dict[str, object], error: str
) -> None:
    story = draft(member, consent=False)
    data = {**CONSENT, **change, "agree": "1", "words_sha256": "0" * 64}
    response = post_with_csrf(client_for(member), url("consent", story), data)
    assert response.status_code == 400
    assert error in html_of(response)
    assert not StoryConsent.objects.exists()


def test_the_history_shows_every_version_with_its_fingerprint(
    client_for: ClientFor, member: User
) -> None:
    story = draft(member)
    actions.change_consent(
        member, story, actions.ConsentChoices("members", "display_name"), language="en"
    )
    html = html_of(client_for(member).get(url("consent", story)))
    for row in StoryConsent.objects.filter(story=story):
        assert row.document_sha256[:12] in html
        assert row.document_sha256[12:20] not in html
    assert "with my display name, “River”." in html


def test_withdrawing_consent_from_the_page(client_for: ClientFor, member: User) -> None:
    story = make_story(member)
    response = post_with_csrf(client_for(member), url("consent_withdraw", story), follow=True)
    assert response.redirect_chain == [(url("consent", story), 302)]
    assert "You withdrew your consent." in html_of(response)
    latest = StoryConsent.objects.filter(story=story).order_by("-number").first()
    assert latest is not None
    assert latest.withdrawn
    again = post_with_csrf(client_for(member), url("consent_withdraw", story), follow=True)
    assert "There is no consent to withdraw." in html_of(again)
    assert story.consents.count() == 2


def test_consent_pages_refuse_other_methods(client_for: ClientFor, member: User) -> None:
    story = make_story(member)
    assert delete_with_csrf(client_for(member), url("consent", story)).status_code == 405
    assert client_for(member).get(url("consent_withdraw", story)).status_code == 405
    assert story.consents.count() == 1


def test_a_withdrawn_story_keeps_its_consent_as_it_was(
    client_for: ClientFor, member: User
) -> None:
    story = make_story(member, status=Status.WITHDRAWN)
    html = html_of(client_for(member).get(url("consent", story)))
    assert "This story is withdrawn" in html
    assert 'name="audience"' not in html
    data = {**CONSENT, "audience": "members", "agree": "1", "words_sha256": "0" * 64}
    response = post_with_csrf(client_for(member), url("consent", story), data)
    assert response.status_code == 400
    assert "This story is withdrawn" in html_of(response)
    assert story.consents.count() == 1
