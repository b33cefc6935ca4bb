"""The Atom feed of public stories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.stories.models import Story, StoryConsent
from tests.conftest import post_with_csrf
from tests.stories.factories import give_consent, make_story

type ClientFor = Callable[[User | None], Client]

FEED = reverse("stories:feed")
ATOM = "{http://www.w3.org/2005/Atom}"


def entries(client: Client) -> list[ElementTree.Element]:
    response = client.get(FEED)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    # The feed is this site's own answer in a test, not untrusted input.
    root = ElementTree.fromstring(response.content)  # noqa: S314
    assert root.tag == f"{ATOM}feed"
    return root.findall(f"{ATOM}entry")


def text(entry: ElementTree.Element, name: str) -> str:
    found = entry.find(name)
    assert found is not None, name
    return found.text or ""


def test_a_public_story_is_in_the_feed_with_its_byline_and_text(
    client_for: ClientFor, member: User
) -> None:
    story = make_story(
        member,
        title="Spring came back",
        body="It got *better*.\n\n<script>alert(1)</script>",
        content_notes=["grief"],
        tags=["loss"],
        attribution=StoryConsent.Attribution.OTHER_NAME,
        other_name="Willow",
    )
    (entry,) = entries(client_for(None))
    assert text(entry, f"{ATOM}title") == "Spring came back"
    assert text(entry, f"{ATOM}author/{ATOM}name") == "Willow"
    link = entry.find(f"{ATOM}link")
    assert link is not None
    assert (
        link.get("href") == f"http://testserver{reverse('stories:read', args=[story.public_id])}"
    )
    assert text(entry, f"{ATOM}summary") == "Content notes: Grief and loss"
    content = entry.find(f"{ATOM}content")
    assert content is not None
    assert content.get("type") == "html"
    html = content.text or ""
    assert html.index("Content notes:") < html.index("<em>better</em>")
    assert "<script>" not in html
    categories = [c.get("term") for c in entry.findall(f"{ATOM}category")]
    assert categories == ["Loss"]


def test_an_anonymous_byline_never_names_the_author(client_for: ClientFor, member: User) -> None:
    make_story(member, attribution=StoryConsent.Attribution.ANONYMOUS)
    response = client_for(None).get(FEED)
    (entry,) = entries(client_for(None))
    assert text(entry, f"{ATOM}author/{ATOM}name") == "Anonymous"
    assert b"River" not in response.content


def test_members_only_stories_are_never_in_the_feed(
    client_for: ClientFor, member: User, other_member: User
) -> None:
    make_story(member, title="Only for us", audience=StoryConsent.Audience.MEMBERS)
    # Not for a visitor, and not for a signed-in member asking for the feed either.
    for client in (client_for(None), client_for(other_member)):
        assert entries(client) == []
        assert b"Only for us" not in client.get(FEED).content


def test_stories_not_published_are_not_in_the_feed(client_for: ClientFor, member: User) -> None:
    for status in (Story.Status.SUBMITTED, Story.Status.CHANGES_REQUESTED, Story.Status.DRAFT):
        make_story(member, status=status)
    held = make_story(member)
    Story.objects.filter(pk=held.pk).update(held_for_safety=True)
    assert entries(client_for(None)) == []


@pytest.mark.parametrize("change", ["withdrawn", "ended", "members only"])
def test_a_change_of_consent_takes_the_story_out_at_once(
    client_for: ClientFor, member: User, change: str
) -> None:
    story = make_story(member, title="Spring came back")
    assert len(entries(client_for(None))) == 1
    if change == "withdrawn":
        give_consent(story, withdrawn=True)
    elif change == "ended":
        give_consent(story, ends_on=timezone.localdate() - dt.timedelta(days=1))
    else:
        give_consent(story, audience=StoryConsent.Audience.MEMBERS)
    assert entries(client_for(None)) == []


def test_consent_ending_today_still_holds(client_for: ClientFor, member: User) -> None:
    make_story(member, ends_on=timezone.localdate())
    assert len(entries(client_for(None))) == 1


def test_the_newest_stories_come_first(client_for: ClientFor, member: User) -> None:
    now = timezone.now()
    old = make_story(member, title="Older")
    new = make_story(member, title="Newer")
    Story.objects.filter(pk=old.pk).update(published_at=now - dt.timedelta(days=2))
    Story.objects.filter(pk=new.pk).update(published_at=now - dt.timedelta(days=1))
    titles = [text(entry, f"{ATOM}title") for entry in entries(client_for(None))]
    assert titles == ["Newer", "Older"]


def test_the_feed_is_read_only(client_for: ClientFor) -> None:
    assert post_with_csrf(client_for(None), FEED).status_code == 405
