"""The review area: the queue, a story's review page and its moves, replies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.safety.escalation_models import Escalation
from peerlight.stories.models import Reply, Story, StoryVersion
from tests.conftest import post_with_csrf
from tests.matrix import PERSONAS
from tests.stories import matrix_moderation
from tests.stories.factories import make_story
from tests.test_authorization_matrix import check

type ClientFor = Callable[[User | None], Client]

QUEUE = reverse("stories:review_queue")
Status = Story.Status


def review_url(story: Story) -> str:
    return reverse("stories:review", args=[story.public_id])


def decide_url(story: Story) -> str:
    return reverse("stories:review_decide", args=[story.public_id])


def reply_url(reply: Reply) -> str:
    return reverse("stories:reply_review", args=[reply.pk])


def reply_decide_url(reply: Reply) -> str:
    return reverse("stories:reply_decide", args=[reply.pk])


def add_version(story: Story, body: str, **fields: Any) -> StoryVersion:
    number = StoryVersion.objects.filter(story=story).count() + 1
    version = StoryVersion.objects.create(
        story=story, number=number, title=fields.pop("title", "A title"), body=body, **fields
    )
    story.latest_version = version
    story.save()
    return version


def reads(verb: str) -> int:
    return AuditEntry.objects.filter(action="read", verb=verb).count()


@pytest.fixture
def submitted(member: User) -> Story:
    return make_story(
        member,
        title="Finding my feet",
        body="The first weeks were hard.",
        status=Status.SUBMITTED,
    )


@pytest.fixture
def held(member: User) -> Story:
    story = make_story(
        member, title="A title nobody sees", body="Words nobody sees.", status=Status.SUBMITTED
    )
    Story.objects.filter(pk=story.pk).update(held_for_safety=True)
    story.refresh_from_db()
    return story


@pytest.fixture
def reply(member: User, other_member: User) -> Reply:
    story = make_story(member)
    return Reply.objects.create(story=story, author=other_member, body="Me too, last spring.")


# --- The rows of the authorisation matrix ----------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_matrix_rows_for_the_review_area_hold(
    persona: str, request: pytest.FixtureRequest, client_for: ClientFor
) -> None:
    people = {
        name: request.getfixturevalue(name)
        for name in ("member", "peer_supporter", "coordinator", "researcher", "admin_user")
    }
    client = client_for(people.get(persona))
    for name, rule in matrix_moderation.ENTRIES.items():
        check(
            client, reverse(name, kwargs=rule.kwargs(people)), rule.for_persona(persona), persona
        )


# --- The queue -------------------------------------------------------------------------


def test_the_queue_lists_stories_and_replies_waiting(
    client_for: ClientFor, member: User, coordinator: User, submitted: Story, reply: Reply
) -> None:
    make_story(member, title="Back with River", status=Status.CHANGES_REQUESTED)
    make_story(member, title="Still a draft", status=Status.DRAFT)
    response = client_for(coordinator).get(QUEUE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Finding my feet" in html
    assert review_url(submitted) in html
    assert "Back with River" in html
    assert "Still a draft" not in html
    assert "Me too, last spring." in html
    assert reply_decide_url(reply) in html


def test_a_held_story_shows_only_a_banner_in_the_queue(
    client_for: ClientFor, coordinator: User, held: Story
) -> None:
    html = client_for(coordinator).get(QUEUE).content.decode()
    assert "Held: safety check — see the escalation." in html
    assert "A title nobody sees" not in html
    assert review_url(held) in html


def test_a_held_reply_shows_only_a_banner_in_the_queue(
    client_for: ClientFor, coordinator: User, reply: Reply
) -> None:
    Reply.objects.filter(pk=reply.pk).update(safety_level="imminent")
    html = client_for(coordinator).get(QUEUE).content.decode()
    assert "Held: safety check — see the escalation." in html
    assert "Me too, last spring." not in html
    assert reply_url(reply) in html


@pytest.mark.parametrize("persona", ["member", "peer_supporter", "researcher", "admin_user"])
def test_only_coordinators_find_the_queue(
    client_for: ClientFor, request: pytest.FixtureRequest, persona: str, submitted: Story
) -> None:
    response = client_for(request.getfixturevalue(persona)).get(QUEUE)
    assert response.status_code == 404
    assert "Finding my feet" not in response.content.decode()
    anonymous = client_for(None).get(QUEUE)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))


def test_a_coordinator_without_two_factor_is_sent_to_it(coordinator: User) -> None:
    client = Client()
    client.force_login(coordinator)
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert "two-factor" in response["Location"]


def test_the_queue_is_read_only(client_for: ClientFor, coordinator: User) -> None:
    assert post_with_csrf(client_for(coordinator), QUEUE).status_code == 405


# --- A story's review page -------------------------------------------------------------


def test_the_review_page_shows_the_text_and_records_the_read(
    client_for: ClientFor, coordinator: User, submitted: Story
) -> None:
    response = client_for(coordinator).get(review_url(submitted))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Finding my feet" in html
    assert "The first weeks were hard." in html
    assert "This is the first version" in html
    assert 'value="start_review"' in html
    entry = AuditEntry.objects.get(verb="stories.story.review_read")
    assert (entry.actor_id, entry.target_id, entry.subject_id) == (
        coordinator.pk,
        str(submitted.pk),
        submitted.author_id,
    )


def test_the_review_page_shows_what_changed_with_words_for_screen_readers(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    story = make_story(member, title="Winter", body="It got better, slowly.", tags=["loneliness"])
    add_version(story, "It got easier, slowly.", title="Winter", tags=["loneliness", "recovery"])
    Story.objects.filter(pk=story.pk).update(status=Status.SUBMITTED)
    html = client_for(coordinator).get(review_url(story)).content.decode()
    assert "Compared with version 1. Words added: 1. Words removed: 1." in html
    assert (
        '<del><span class="visually-hidden">Removed: </span>better,'
        '<span class="visually-hidden"> (end of removal)</span></del>'
    ) in html
    assert '<ins><span class="visually-hidden">Added: </span>easier,' in html
    assert "Topics: added Staying on track with recovery" in html


def test_another_version_can_be_chosen_to_compare_with(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    story = make_story(member, body="One.", status=Status.SUBMITTED)
    add_version(story, "Two.")
    add_version(story, "Three.")
    client = client_for(coordinator)
    default = client.get(review_url(story)).content.decode()
    assert "Compared with version 2" in default
    assert '<option value="2" selected>2</option>' in default
    chosen = client.get(review_url(story), {"compare": "1"}).content.decode()
    assert "Compared with version 1" in chosen
    refused = client.get(review_url(story), {"compare": "7"}).content.decode()
    assert "Please choose a version from the list." in refused
    assert "Compared with version 2" in refused


def test_a_held_story_opens_only_when_asked_and_that_is_recorded(
    client_for: ClientFor, coordinator: User, held: Story
) -> None:
    case = Escalation.objects.create(
        person=held.author, source="stories.story", source_id=held.pk, level="imminent"
    )
    client = client_for(coordinator)
    html = client.get(review_url(held)).content.decode()
    assert "Held: safety check — see the escalation." in html
    assert reverse("safety:escalations:detail", args=[case.pk]) in html
    assert "Words nobody sees." not in html
    assert "A title nobody sees" not in html
    assert reads("stories.story.review_read") == 0
    opened = client.get(review_url(held), {"open": "1"}).content.decode()
    assert "Words nobody sees." in opened
    assert reads("stories.story.review_read") == 1


@pytest.mark.parametrize("status", [Status.DRAFT, Status.WITHDRAWN])
def test_drafts_and_withdrawn_stories_are_not_there(
    client_for: ClientFor, coordinator: User, member: User, status: str
) -> None:
    story = make_story(member, status=status)
    assert client_for(coordinator).get(review_url(story)).status_code == 404
    assert reads("stories.story.review_read") == 0


@pytest.mark.parametrize("persona", ["member", "peer_supporter"])
def test_others_do_not_find_a_review_page(
    client_for: ClientFor, request: pytest.FixtureRequest, persona: str, submitted: Story
) -> None:
    response = client_for(request.getfixturevalue(persona)).get(review_url(submitted))
    assert response.status_code == 404
    assert "The first weeks were hard." not in response.content.decode()


def test_the_review_page_is_read_only(
    client_for: ClientFor, coordinator: User, submitted: Story
) -> None:
    assert post_with_csrf(client_for(coordinator), review_url(submitted)).status_code == 405


# --- Moves -----------------------------------------------------------------------------


def test_a_coordinator_takes_a_story_from_review_to_published(
    client_for: ClientFor, coordinator: User, member: User, submitted: Story
) -> None:
    client = client_for(coordinator)
    response = post_with_csrf(client, decide_url(submitted), {"move": "start_review"})
    assert response.status_code == 302
    assert response["Location"] == review_url(submitted)
    submitted.refresh_from_db()
    assert submitted.status == Status.IN_REVIEW
    response = post_with_csrf(client, decide_url(submitted), {"move": "publish", "version": "1"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.PUBLISHED
    assert "The story is published." in client.get(review_url(submitted)).content.decode()
    story_page = client_for(None).get(reverse("stories:read", args=[submitted.public_id]))
    assert story_page.status_code == 200


def test_asking_for_changes_keeps_the_note(
    client_for: ClientFor, coordinator: User, submitted: Story
) -> None:
    response = post_with_csrf(
        client_for(coordinator),
        decide_url(submitted),
        {"move": "request_changes", "version": "1", "note": "Please leave out the street."},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.CHANGES_REQUESTED
    assert submitted.moderator_note == "Please leave out the street."


def test_taking_down_a_published_story(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    story = make_story(member)
    response = post_with_csrf(
        client_for(coordinator),
        decide_url(story),
        {"move": "unpublish", "note": "It names a member."},
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.status == Status.CHANGES_REQUESTED
    assert client_for(None).get(reverse("stories:read", args=[story.public_id])).status_code == 404


def test_releasing_a_hold(client_for: ClientFor, coordinator: User, held: Story) -> None:
    response = post_with_csrf(client_for(coordinator), decide_url(held), {"move": "release_hold"})
    assert response.status_code == 302
    held.refresh_from_db()
    assert not held.held_for_safety
    assert AuditEntry.objects.filter(verb="stories.story.release_hold").count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Please choose what to do with the story."),
        ({"move": "delete"}, "Please choose what to do with the story."),
        ({"move": "request_changes", "version": "1"}, "Please write a note to the author"),
        ({"move": "request_changes", "note": "Change it."}, "This page is out of date"),
        ({"move": "request_changes", "version": "1", "note": "x" * 1001}, "1,000 characters"),
        ({"move": "publish", "version": "1"}, "Only a story in review can be published."),
        ({"move": "request_changes", "version": "2", "note": "Hm."}, "changed the story"),
    ],
)
def test_a_bad_move_is_explained_and_changes_nothing(
    client_for: ClientFor,
    coordinator: User,
    submitted: Story,
    data: dict[str, str],
    message: str,
) -> None:
    response = post_with_csrf(client_for(coordinator), decide_url(submitted), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert submitted.moderator_note == ""
    assert not AuditEntry.objects.filter(action="change", target_type="stories.story").exists()


def test_publishing_a_held_story_is_explained(
    client_for: ClientFor, coordinator: User, held: Story
) -> None:
    Story.objects.filter(pk=held.pk).update(status=Status.IN_REVIEW)
    response = post_with_csrf(
        client_for(coordinator), decide_url(held), {"move": "publish", "version": "1"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "held by the safety check" in html
    assert "Words nobody sees." not in html  # the refusal does not open the story
    held.refresh_from_db()
    assert held.status == Status.IN_REVIEW


@pytest.mark.parametrize("persona", ["member", "peer_supporter"])
def test_others_cannot_make_moves(
    client_for: ClientFor, request: pytest.FixtureRequest, persona: str, submitted: Story
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert post_with_csrf(client, decide_url(submitted), {"move": "start_review"}).status_code == (
        404
    )
    anonymous = post_with_csrf(client_for(None), decide_url(submitted), {"move": "start_review"})
    assert anonymous.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_moves_are_posted(client_for: ClientFor, coordinator: User, submitted: Story) -> None:
    assert client_for(coordinator).get(decide_url(submitted)).status_code == 405


# --- Replies ---------------------------------------------------------------------------


def test_a_reply_is_read_in_full_and_the_read_recorded(
    client_for: ClientFor, coordinator: User, reply: Reply
) -> None:
    response = client_for(coordinator).get(reply_url(reply))
    assert response.status_code == 200
    assert "Me too, last spring." in response.content.decode()
    assert reads("stories.reply.review_read") == 1


def test_approving_and_declining_a_reply(
    client_for: ClientFor, coordinator: User, reply: Reply
) -> None:
    client = client_for(coordinator)
    response = post_with_csrf(client, reply_decide_url(reply), {"decision": "approve"})
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    reply.refresh_from_db()
    assert reply.status == Reply.Status.APPROVED
    post_with_csrf(client, reply_decide_url(reply), {"decision": "decline"})
    reply.refresh_from_db()
    assert reply.status == Reply.Status.DECLINED


def test_a_held_reply_needs_the_coordinator_to_say_it_is_safe(
    client_for: ClientFor, coordinator: User, reply: Reply
) -> None:
    Reply.objects.filter(pk=reply.pk).update(safety_level="concern")
    client = client_for(coordinator)
    page = client.get(reply_url(reply)).content.decode()
    assert "I have read this reply and it is safe to show" in page
    response = post_with_csrf(client, reply_decide_url(reply), {"decision": "approve"})
    assert response.status_code == 400
    assert "confirm it is safe" in response.content.decode()
    reply.refresh_from_db()
    assert reply.status == Reply.Status.PENDING
    post_with_csrf(
        client, reply_decide_url(reply), {"decision": "approve", "safety_checked": "on"}
    )
    reply.refresh_from_db()
    assert reply.status == Reply.Status.APPROVED


@pytest.mark.parametrize("data", [{}, {"decision": "maybe"}])
def test_a_bad_reply_decision_is_explained(
    client_for: ClientFor, coordinator: User, reply: Reply, data: dict[str, str]
) -> None:
    response = post_with_csrf(client_for(coordinator), reply_decide_url(reply), data)
    assert response.status_code == 400
    assert "Please choose to show the reply or not." in response.content.decode()
    reply.refresh_from_db()
    assert reply.status == Reply.Status.PENDING


@pytest.mark.parametrize("persona", ["member", "other_member", "peer_supporter"])
def test_others_cannot_see_or_decide_replies(
    client_for: ClientFor, request: pytest.FixtureRequest, persona: str, reply: Reply
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reply_url(reply)).status_code == 404
    assert post_with_csrf(
        client, reply_decide_url(reply), {"decision": "approve"}
    ).status_code == (404)
    reply.refresh_from_db()
    assert reply.status == Reply.Status.PENDING
    assert reads("stories.reply.review_read") == 0


def test_reply_pages_refuse_the_wrong_method(
    client_for: ClientFor, coordinator: User, reply: Reply
) -> None:
    client = client_for(coordinator)
    assert post_with_csrf(client, reply_url(reply)).status_code == 405
    assert client.get(reply_decide_url(reply)).status_code == 405
    assert (
        client_for(coordinator).get(reverse("stories:reply_review", args=[999999])).status_code
        == 404
    )
