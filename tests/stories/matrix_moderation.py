"""Rows of the authorisation matrix for the stories' review area (see ``tests/matrix.py``)."""

from __future__ import annotations

from typing import Any

from peerlight.accounts.models import User
from peerlight.stories.models import Reply, Story
from tests.matrix import LOGIN, NOT_ALLOWED, NOT_FOUND, OK, Expect
from tests.stories.factories import make_story


def _submitted_story(people: dict[str, User]) -> dict[str, Any]:
    """A story the member sent for review (made once)."""
    story = Story.objects.filter(
        author=people["member"], status=Story.Status.SUBMITTED
    ).first() or make_story(people["member"], status=Story.Status.SUBMITTED)
    return {"public_id": story.public_id}


def _reply(people: dict[str, User]) -> dict[str, Any]:
    """A reply waiting for review, on a story of the member's (made once)."""
    reply = Reply.objects.first()
    if reply is None:
        story = make_story(people["member"])
        reply = Reply.objects.create(story=story, author=people["member"], body="Me too.")
    return {"reply_id": reply.pk}


# Coordinators who passed two-factor only; everyone else (peer supporters too)
# is told the pages are not there.
REVIEWERS = Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK)

ENTRIES: dict[str, Expect] = {
    "stories:review_queue": REVIEWERS,
    "stories:review": Expect(
        anonymous=LOGIN, member=NOT_FOUND, coordinator=OK, kwargs=_submitted_story
    ),
    "stories:review_decide": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=_submitted_story
    ),
    "stories:reply_review": Expect(
        anonymous=LOGIN, member=NOT_FOUND, coordinator=OK, kwargs=_reply
    ),
    "stories:reply_decide": Expect(anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=_reply),
}
