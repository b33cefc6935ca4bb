"""The stories list, a story's page, the topics left out, "this helped me" and replies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.safety.escalation_models import Escalation
from peerlight.stories import reading
from peerlight.stories.models import HelpedMark, ReadingFilter, Reply, Story, StoryConsent
from tests.conftest import delete_with_csrf, post_with_csrf
from tests.matrix import PERSONAS
from tests.stories import matrix_reader
from tests.stories.factories import give_consent, make_story
from tests.test_authorization_matrix import check

type ClientFor = Callable[[User | None], Client]

LIST = reverse("stories:list")
FILTERS = reverse("stories:filters")
MEMBERS = StoryConsent.Audience.MEMBERS


def read_url(story: Story) -> str:
    return reverse("stories:read", args=[story.public_id])


def helped_url(story: Story) -> str:
    return reverse("stories:helped", args=[story.public_id])


def reply_url(story: Story) -> str:
    return reverse("stories:reply", args=[story.public_id])


@pytest.fixture
def story(member: User) -> Story:
    return make_story(
        member,
        title="What helped me through the winter",
        body="Finding people who had been there too.\n\nIt got *better*, slowly.",
        tags=["loneliness", "recovery"],
        content_notes=["suicide"],
    )


# --- The rows of the authorisation matrix ----------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_matrix_rows_for_reading_hold(
    persona: str, request: pytest.FixtureRequest, client_for: ClientFor
) -> None:
    people = {
        name: request.getfixturevalue(name)
        for name in ("member", "peer_supporter", "coordinator", "researcher", "admin_user")
    }
    client = client_for(people.get(persona))
    for name, rule in matrix_reader.ENTRIES.items():
        check(
            client, reverse(name, kwargs=rule.kwargs(people)), rule.for_persona(persona), persona
        )


# --- The list --------------------------------------------------------------------------


def test_anyone_reads_the_public_stories(client_for: ClientFor, story: Story) -> None:
    response = client_for(None).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "What helped me through the winter" in html
    assert "By River" in html
    assert read_url(story) in html
    assert "Content notes:" in html
    assert "Suicide" in html
    assert f"{LIST}?tag=loneliness" in html
    assert "Finding people" not in html  # the list shows titles, not the text


def test_members_only_stories_are_listed_for_members_alone(
    client_for: ClientFor, member: User, other_member: User
) -> None:
    make_story(member, title="Only for us", audience=MEMBERS)
    assert "Only for us" not in client_for(None).get(LIST).content.decode()
    html = client_for(other_member).get(LIST).content.decode()
    assert "Only for us" in html
    assert "Members only" in html


def test_stories_not_published_or_held_are_not_listed(client_for: ClientFor, member: User) -> None:
    for status in (Story.Status.DRAFT, Story.Status.SUBMITTED, Story.Status.WITHDRAWN):
        make_story(member, title=f"Story {status}", status=status)
    held = make_story(member, title="Held story")
    Story.objects.filter(pk=held.pk).update(held_for_safety=True)
    html = client_for(member).get(LIST).content.decode()
    assert "Story " not in html
    assert "Held story" not in html
    assert "There are no stories to show yet." in html


def test_a_tag_in_the_query_string_narrows_the_list(
    client_for: ClientFor, member: User, story: Story
) -> None:
    make_story(member, title="About grief", tags=["grief"])
    response = client_for(None).get(LIST, {"tag": "grief"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "About grief" in html
    assert "What helped me through the winter" not in html
    assert "Stories about Grief" in html


def test_an_unknown_tag_is_explained_and_everything_is_shown(
    client_for: ClientFor, story: Story
) -> None:
    response = client_for(None).get(LIST, {"tag": "<script>"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "That topic is not one we know" in html
    assert "What helped me through the winter" in html
    assert "<script>" not in html


def test_the_list_is_paginated(client_for: ClientFor, member: User) -> None:
    now = timezone.now()
    for number in range(12):
        made = make_story(member, title=f"Numbered story {number:02d}")
        Story.objects.filter(pk=made.pk).update(published_at=now - dt.timedelta(hours=number))
    first = client_for(None).get(LIST).content.decode()
    assert "Numbered story 00" in first
    assert "Numbered story 09" in first
    assert "Numbered story 10" not in first
    assert "Page 1 of 2" in first
    assert 'href="?page=2" rel="next"' in first
    second = client_for(None).get(LIST, {"page": "2"}).content.decode()
    assert "Numbered story 10" in second
    assert "Numbered story 11" in second
    assert "Numbered story 09" not in second
    # A page past the end shows the last page; a page that is not a number is explained.
    assert "Numbered story 11" in client_for(None).get(LIST, {"page": "9"}).content.decode()
    assert client_for(None).get(LIST, {"page": "two"}).status_code == 400


def test_the_list_costs_the_same_queries_however_many_stories(
    client_for: ClientFor, member: User, other_member: User
) -> None:
    client = client_for(other_member)
    make_story(member)
    client.get(LIST)  # the session and the page shell's own reads settle
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for _ in range(8):
        make_story(member, content_notes=["grief"], tags=["loss", "recovery"])
    with CaptureQueriesContext(connection) as nine:
        html = client.get(LIST).content.decode()
    assert html.count('class="directory-card"') == 9
    assert len(nine.captured_queries) == len(one.captured_queries)
    # The reader's filter, the stories, their consents: the rest is the page shell.
    story_queries = [q for q in nine.captured_queries if '"stories_' in q["sql"]]
    assert len(story_queries) == 3


def test_coordinators_find_the_review_queue_from_the_list(
    client_for: ClientFor, coordinator: User, peer_supporter: User
) -> None:
    queue = reverse("stories:review_queue")
    assert queue in client_for(coordinator).get(LIST).content.decode()
    assert queue not in client_for(peer_supporter).get(LIST).content.decode()


def test_the_list_is_read_only(client_for: ClientFor, member: User) -> None:
    assert post_with_csrf(client_for(member), LIST).status_code == 405


# --- Topics left out -------------------------------------------------------------------


def test_a_member_leaves_topics_out_of_the_list_entirely(
    client_for: ClientFor, member: User, other_member: User, story: Story
) -> None:
    make_story(member, title="About grief", tags=["grief"])
    make_story(member, title="A calm one", tags=["sleep"])
    client = client_for(other_member)
    response = post_with_csrf(
        client, FILTERS, {"hidden_tags": ["grief"], "hidden_notes": ["suicide"]}
    )
    assert response.status_code == 302
    assert response["Location"] == LIST
    row = ReadingFilter.objects.get(reader=other_member)
    assert (row.hidden_tags, row.hidden_notes) == (["grief"], ["suicide"])
    html = client.get(LIST).content.decode()
    assert "A calm one" in html
    assert "About grief" not in html
    assert "What helped me through the winter" not in html
    assert "You chose to leave out stories with 2 topics or content notes." in html
    # Asking for the topic does not bring it back.
    assert "About grief" not in client.get(LIST, {"tag": "grief"}).content.decode()
    # The form shows what is ticked.
    form = client.get(FILTERS).content.decode()
    assert 'value="grief" id="id_hidden_tags_' in form
    assert "checked" in form


def test_a_visitor_leaves_topics_out_for_the_visit(
    client_for: ClientFor, member: User, story: Story
) -> None:
    make_story(member, title="A calm one", tags=["sleep"])
    visitor = client_for(None)
    assert visitor.get(FILTERS).status_code == 200
    response = post_with_csrf(visitor, FILTERS, {"hidden_notes": ["suicide"]})
    assert response.status_code == 302
    assert ReadingFilter.objects.count() == 0
    html = visitor.get(LIST).content.decode()
    assert "A calm one" in html
    assert "What helped me through the winter" not in html
    # Another visitor's list is untouched.
    assert "What helped me through the winter" in client_for(None).get(LIST).content.decode()


@pytest.mark.parametrize(
    "data", [{"hidden_tags": ["no-such-topic"]}, {"hidden_notes": ["grief", "nothing"]}]
)
def test_unknown_topics_are_explained_and_nothing_is_saved(
    client_for: ClientFor, other_member: User, data: dict[str, list[str]]
) -> None:
    response = post_with_csrf(client_for(other_member), FILTERS, data)
    assert response.status_code == 400
    assert "from the list" in response.content.decode()
    assert not ReadingFilter.objects.exists()


def test_the_filters_page_refuses_other_methods(client_for: ClientFor, member: User) -> None:
    assert delete_with_csrf(client_for(member), FILTERS).status_code == 405


# --- A story's page --------------------------------------------------------------------


def test_a_story_shows_its_notes_before_the_text(client_for: ClientFor, story: Story) -> None:
    response = client_for(None).get(read_url(story))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Content notes:") < html.index("Finding people who had been there too.")
    assert "<em>better</em>" in html  # the story's Markdown, rendered
    assert "By River" in html
    assert "Loneliness" in html


@pytest.mark.parametrize(
    ("attribution", "other_name", "byline"),
    [
        (StoryConsent.Attribution.DISPLAY_NAME, "", "By River"),
        (StoryConsent.Attribution.OTHER_NAME, "Willow", "By Willow"),
        (StoryConsent.Attribution.ANONYMOUS, "", "By Anonymous"),
    ],
)
def test_the_byline_follows_the_consent(
    client_for: ClientFor, member: User, attribution: str, other_name: str, byline: str
) -> None:
    story = make_story(member, attribution=attribution, other_name=other_name)
    for url in (read_url(story), LIST):
        html = client_for(None).get(url).content.decode()
        assert byline in html
        if byline != "By River":
            assert "River" not in html


def test_the_story_text_is_sanitised(client_for: ClientFor, member: User) -> None:
    story = make_story(
        member,
        body='Hello <script>alert(1)</script> [x](javascript:alert(1)) <b onclick="x">b</b>',
    )
    html = client_for(None).get(read_url(story)).content.decode()
    assert "<script>alert(1)" not in html
    assert 'href="javascript' not in html
    assert "<b onclick" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as typed, harmless


def test_a_public_story_offers_share_links(client_for: ClientFor, story: Story) -> None:
    html = client_for(None).get(read_url(story)).content.decode()
    address = f"http://testserver{read_url(story)}"
    assert f'value="{address}" readonly' in html
    assert "mailto:?subject=What%20helped%20me%20through%20the%20winter" in html
    assert "data-share-story" in html
    assert " hidden>" in html


def test_a_members_only_story_is_for_members_and_offers_no_public_link(
    client_for: ClientFor, member: User, other_member: User
) -> None:
    story = make_story(member, title="Only for us", audience=MEMBERS)
    assert client_for(None).get(read_url(story)).status_code == 404
    response = client_for(other_member).get(read_url(story))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Only for us" in html
    assert "mailto:" not in html
    assert "data-share-story" not in html
    assert "members of this community only, so there is no public link" in html


def test_a_story_not_published_is_not_there(client_for: ClientFor, member: User) -> None:
    draft = make_story(member, status=Story.Status.SUBMITTED)
    assert client_for(member).get(read_url(draft)).status_code == 404
    assert client_for(None).get("/stories/nothing-here-at-all/").status_code == 404


def test_a_story_with_a_topic_left_out_waits_behind_its_notes(
    client_for: ClientFor, other_member: User, story: Story
) -> None:
    client = client_for(other_member)
    post_with_csrf(client, FILTERS, {"hidden_notes": ["suicide"]})
    html = client.get(read_url(story)).content.decode()
    assert "Content notes:" in html
    assert "Finding people who had been there too." not in html
    assert "Show this story anyway" in html
    shown = client.get(read_url(story), {"show": "1"}).content.decode()
    assert "Finding people who had been there too." in shown


def test_the_story_page_is_read_only(client_for: ClientFor, story: Story) -> None:
    assert post_with_csrf(client_for(None), read_url(story)).status_code == 405


# --- Consent changes take the story away at once ---------------------------------------


@pytest.mark.parametrize("change", ["withdrawn", "ended", "members only"])
def test_a_change_of_consent_takes_the_story_off_the_list_page_and_feed(
    client_for: ClientFor, story: Story, change: str
) -> None:
    visitor = client_for(None)
    feed = reverse("stories:feed")
    assert "What helped me" in visitor.get(LIST).content.decode()
    assert "What helped me" in visitor.get(feed).content.decode()
    if change == "withdrawn":
        give_consent(story, withdrawn=True)
    elif change == "ended":
        give_consent(story, ends_on=timezone.localdate() - dt.timedelta(days=1))
    else:
        give_consent(story, audience=MEMBERS)
    assert "What helped me" not in visitor.get(LIST).content.decode()
    assert visitor.get(read_url(story)).status_code == 404
    assert "What helped me" not in visitor.get(feed).content.decode()


def test_a_withdrawn_story_leaves_members_pages_too(
    client_for: ClientFor, other_member: User, story: Story
) -> None:
    client = client_for(other_member)
    give_consent(story, withdrawn=True)
    assert "What helped me" not in client.get(LIST).content.decode()
    assert client.get(read_url(story)).status_code == 404
    assert post_with_csrf(client, helped_url(story), {"helped": "yes"}).status_code == 404
    assert post_with_csrf(client, reply_url(story), {"body": "Me too."}).status_code == 404
    assert not HelpedMark.objects.exists()
    assert not Reply.objects.exists()


# --- "This helped me" ------------------------------------------------------------------


def test_a_member_says_it_helped_and_takes_it_back(
    client_for: ClientFor, other_member: User, story: Story
) -> None:
    client = client_for(other_member)
    response = post_with_csrf(client, helped_url(story), {"helped": "yes"})
    assert response.status_code == 302
    assert response["Location"] == read_url(story) + "#helped"
    assert reading.helped_count(story) == 1
    post_with_csrf(client, helped_url(story), {"helped": "yes"})
    assert reading.helped_count(story) == 1
    assert "You said this story helped you." in client.get(read_url(story)).content.decode()
    post_with_csrf(client, helped_url(story), {"helped": "no"})
    assert reading.helped_count(story) == 0


def test_the_author_sees_a_count_and_never_who(
    client_for: ClientFor, member: User, other_member: User, story: Story
) -> None:
    post_with_csrf(client_for(other_member), helped_url(story), {"helped": "yes"})
    html = client_for(member).get(read_url(story)).content.decode()
    assert "1 reader said this story helped them." in html
    assert "Sky" not in html
    assert 'value="yes"' not in html  # no button on one's own story


def test_the_author_cannot_mark_their_own_story(
    client_for: ClientFor, member: User, story: Story
) -> None:
    response = post_with_csrf(client_for(member), helped_url(story), {"helped": "yes"})
    assert response.status_code == 403
    assert "your own story" in response.content.decode()
    assert not HelpedMark.objects.exists()


@pytest.mark.parametrize("data", [{}, {"helped": "maybe"}])
def test_a_bad_helped_form_is_explained_and_changes_nothing(
    client_for: ClientFor, other_member: User, story: Story, data: dict[str, str]
) -> None:
    response = post_with_csrf(client_for(other_member), helped_url(story), data)
    assert response.status_code == 400
    assert "Please say whether the story helped you." in response.content.decode()
    assert not HelpedMark.objects.exists()


def test_visitors_cannot_mark_and_get_is_refused(
    client_for: ClientFor, other_member: User, story: Story
) -> None:
    response = post_with_csrf(client_for(None), helped_url(story), {"helped": "yes"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not HelpedMark.objects.exists()
    assert client_for(other_member).get(helped_url(story)).status_code == 405


def test_members_only_stories_cannot_be_marked_from_outside(
    client_for: ClientFor, member: User
) -> None:
    story = make_story(member, audience=MEMBERS)
    response = post_with_csrf(client_for(None), helped_url(story), {"helped": "yes"})
    assert response.status_code == 302  # to sign in: nothing said about the story
    assert not HelpedMark.objects.exists()


# --- Replies ---------------------------------------------------------------------------


def test_a_reply_waits_and_then_shows_with_the_repliers_name(
    client_for: ClientFor, other_member: User, coordinator: User, story: Story
) -> None:
    client = client_for(other_member)
    response = post_with_csrf(
        client, reply_url(story), {"body": "Me too. Talking to others helped me a lot."}
    )
    assert response.status_code == 302
    assert response["Location"] == read_url(story) + "#replies"
    reply = Reply.objects.get()
    assert reply.status == Reply.Status.PENDING
    assert "Talking to others" not in client_for(None).get(read_url(story)).content.decode()
    Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.APPROVED)
    html = client_for(None).get(read_url(story)).content.decode()
    assert "Talking to others helped me a lot." in html
    assert "Sky" in html


def test_a_risky_reply_gets_the_safety_card_and_is_not_shown(
    client_for: ClientFor, other_member: User, story: Story
) -> None:
    response = post_with_csrf(
        client_for(other_member),
        reply_url(story),
        {"body": "I have the pills here and I am going to take them all tonight, goodbye"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "You matter" in html  # the safety card
    assert "not shown for now" in html
    reply = Reply.objects.get()
    assert reading.is_held(reply)
    assert Escalation.objects.filter(source="stories.reply", source_id=reply.pk).exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Please write a few words first."), ("x" * 1001, "1,000 characters or fewer")],
)
def test_a_bad_reply_is_explained_and_nothing_is_kept(
    client_for: ClientFor, other_member: User, story: Story, body: str, message: str
) -> None:
    response = post_with_csrf(client_for(other_member), reply_url(story), {"body": body})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Reply.objects.exists()


def test_too_many_replies_are_slowed_down(
    client_for: ClientFor, other_member: User, story: Story
) -> None:
    client = client_for(other_member)
    for _ in range(reading.REPLY_POLICY.limit):
        post_with_csrf(client, reply_url(story), {"body": "Me too."})
    response = post_with_csrf(client, reply_url(story), {"body": "Me too."})
    assert response.status_code == 429
    assert "Please wait about" in response.content.decode()
    assert Reply.objects.count() == reading.REPLY_POLICY.limit


def test_visitors_cannot_reply_and_get_is_refused(
    client_for: ClientFor, other_member: User, story: Story
) -> None:
    response = post_with_csrf(client_for(None), reply_url(story), {"body": "Me too."})
    assert response.status_code == 302
    assert not Reply.objects.exists()
    assert client_for(other_member).get(reply_url(story)).status_code == 405
