"""Readers' writes: topics left out, "this helped me", "I've been there too" replies."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.lib.ratelimit import RateLimited
from peerlight.safety.escalation_models import Escalation
from peerlight.stories import access, reading
from peerlight.stories.access import Readable
from peerlight.stories.models import HelpedMark, ReadingFilter, Reply, Story
from peerlight.stories.reading import Hidden, ReadingError
from tests.stories.factories import make_story

SAFE_REPLY = "Me too. Talking to others helped me a lot."
IMMINENT_REPLY = "I have the pills here and I am going to take them all tonight, goodbye everyone"
CONCERN_REPLY = "I feel so hopeless lately, nothing matters"


def readable(story: Story, viewer: User) -> Readable:
    found = access.readable_story(viewer, story.public_id)
    assert found is not None
    return found


# --- Topics left out -------------------------------------------------------------------


def test_a_members_choice_is_kept_with_the_account(member: User) -> None:
    session = SessionStore()
    reading.save_hidden(member, session, Hidden(frozenset({"grief"}), frozenset({"suicide"})))
    row = ReadingFilter.objects.get(reader=member)
    assert row.hidden_tags == ["grief"]
    assert row.hidden_notes == ["suicide"]
    assert reading.SESSION_KEY not in session
    assert reading.hidden_for(member, SessionStore()) == Hidden(
        frozenset({"grief"}), frozenset({"suicide"})
    )
    assert AuditEntry.objects.filter(verb="stories.filter.change", actor_id=member.pk).exists()


def test_saving_again_replaces_the_choice(member: User) -> None:
    session = SessionStore()
    reading.save_hidden(member, session, Hidden(frozenset({"grief"}), frozenset()))
    reading.save_hidden(member, session, Hidden(frozenset(), frozenset({"abuse"})))
    assert ReadingFilter.objects.count() == 1
    assert reading.hidden_for(member, session) == Hidden(frozenset(), frozenset({"abuse"}))


def test_a_visitors_choice_is_kept_in_the_session(member: User) -> None:
    session = SessionStore()
    reading.save_hidden(None, session, Hidden(frozenset({"loss"}), frozenset({"self_harm"})))
    assert ReadingFilter.objects.count() == 0
    assert reading.hidden_for(None, session) == Hidden(
        frozenset({"loss"}), frozenset({"self_harm"})
    )
    # The account's choice is its own: a visitor's session does not change it.
    assert reading.hidden_for(member, session) == Hidden()


@pytest.mark.parametrize("stored", ["grief", ["grief"], {"tags": "grief"}, None])
def test_a_mangled_session_value_hides_nothing(stored: object) -> None:
    session = SessionStore()
    session[reading.SESSION_KEY] = stored
    assert reading.hidden_for(None, session) == Hidden()


def test_stories_with_a_hidden_tag_or_note_are_left_out(member: User) -> None:
    grief = make_story(member, tags=["grief"])
    noted = make_story(member, tags=["loneliness"], content_notes=["suicide"])
    plain = make_story(member, tags=["loneliness"])
    stories = access.readable_stories(member)
    kept = reading.leave_out(stories, Hidden(frozenset({"grief"}), frozenset({"suicide"})))
    assert [item.story.pk for item in kept] == [plain.pk]
    assert {item.story.pk for item in reading.leave_out(stories, Hidden())} == {
        grief.pk,
        noted.pk,
        plain.pk,
    }
    assert [item.story.pk for item in reading.with_tag(stories, "grief")] == [grief.pk]


# --- "This helped me" ------------------------------------------------------------------


def test_marking_is_idempotent_and_the_author_sees_a_count(
    member: User, other_member: User, peer_supporter: User
) -> None:
    story = make_story(member)
    assert reading.mark_helped(other_member, readable(story, other_member), helped=True)
    assert not reading.mark_helped(other_member, readable(story, other_member), helped=True)
    assert reading.mark_helped(peer_supporter, readable(story, peer_supporter), helped=True)
    assert reading.helped_count(story) == 2
    assert reading.has_marked(other_member, story)
    assert HelpedMark.objects.filter(reader=other_member).count() == 1


def test_taking_a_mark_back_is_idempotent(member: User, other_member: User) -> None:
    story = make_story(member)
    reading.mark_helped(other_member, readable(story, other_member), helped=True)
    assert reading.mark_helped(other_member, readable(story, other_member), helped=False)
    assert not reading.mark_helped(other_member, readable(story, other_member), helped=False)
    assert reading.helped_count(story) == 0
    assert not reading.has_marked(other_member, story)
    assert list(
        AuditEntry.objects.filter(actor_id=other_member.pk).values_list("verb", flat=True)
    ) == ["stories.helped.mark", "stories.helped.unmark"]


def test_the_author_cannot_mark_their_own_story(member: User) -> None:
    story = make_story(member)
    with pytest.raises(ReadingError, match="your own story"):
        reading.mark_helped(member, readable(story, member), helped=True)
    assert reading.helped_count(story) == 0


# --- Replies ---------------------------------------------------------------------------


def test_a_reply_waits_for_a_coordinator(member: User, other_member: User) -> None:
    story = make_story(member)
    reply = reading.write_reply(
        other_member, readable(story, other_member), f"  {SAFE_REPLY}  ", language="en"
    )
    reply.refresh_from_db()
    assert reply.status == Reply.Status.PENDING
    assert reply.body == SAFE_REPLY
    assert reply.safety_level == "none"
    assert not reading.is_held(reply)
    assert reading.shown_replies(story) == []
    assert not Escalation.objects.exists()
    assert AuditEntry.objects.filter(verb="stories.reply.write", actor_id=other_member.pk)


def test_only_approved_replies_are_shown(member: User, other_member: User) -> None:
    story = make_story(member)
    shown = Reply.objects.create(
        story=story, author=other_member, body="Shown.", status=Reply.Status.APPROVED
    )
    Reply.objects.create(story=story, author=other_member, body="Declined.", status="declined")
    Reply.objects.create(story=story, author=other_member, body="Waiting.")
    assert reading.shown_replies(story) == [shown]


@pytest.mark.parametrize(
    ("text", "level"), [(IMMINENT_REPLY, "imminent"), (CONCERN_REPLY, "concern")]
)
def test_a_reply_showing_current_risk_is_held_and_a_coordinator_told(
    member: User, other_member: User, text: str, level: str
) -> None:
    story = make_story(member)
    reply = reading.write_reply(other_member, readable(story, other_member), text, language="en")
    reply.refresh_from_db()
    assert reply.safety_level == level
    assert reading.is_held(reply)
    case = Escalation.objects.get()
    assert (case.source, case.source_id, case.person_id) == (
        "stories.reply",
        reply.pk,
        other_member.pk,
    )
    assert case.level == level


@pytest.mark.parametrize("text", ["", "   \n "])
def test_an_empty_reply_is_refused(member: User, other_member: User, text: str) -> None:
    story = make_story(member)
    with pytest.raises(ReadingError, match="few words"):
        reading.write_reply(other_member, readable(story, other_member), text, language="en")
    assert not Reply.objects.exists()


def test_an_over_long_reply_is_refused(member: User, other_member: User) -> None:
    story = make_story(member)
    with pytest.raises(ReadingError, match="1,000"):
        reading.write_reply(other_member, readable(story, other_member), "a" * 1001, language="en")
    assert not Reply.objects.exists()


def test_replies_are_rate_limited(member: User, other_member: User) -> None:
    story = make_story(member)
    item = readable(story, other_member)
    for _ in range(reading.REPLY_POLICY.limit):
        reading.write_reply(other_member, item, SAFE_REPLY, language="en")
    with pytest.raises(RateLimited):
        reading.write_reply(other_member, item, SAFE_REPLY, language="en")
    assert Reply.objects.count() == reading.REPLY_POLICY.limit
