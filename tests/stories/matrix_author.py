"""Rows of the authorisation matrix for the author's pages (see ``tests/matrix.py``).

A story's pages are its author's alone: the member wrote the story used here,
and every other persona, staff included, gets a 404 as if it were not there.
"""

from __future__ import annotations

from typing import Any

from peerlight.accounts.models import User
from peerlight.stories.models import Story
from tests.matrix import LOGIN, MEMBERS, NOT_ALLOWED, NOT_FOUND, OK, Expect
from tests.stories.factories import make_story


def _members_story(people: dict[str, User]) -> dict[str, Any]:
    """A draft the member wrote (made once)."""
    story = Story.objects.filter(author=people["member"]).first() or make_story(
        people["member"], status=Story.Status.DRAFT
    )
    return {"public_id": story.public_id}


AUTHOR_ONLY = Expect(
    anonymous=LOGIN,
    member=OK,
    peer_supporter=NOT_FOUND,
    coordinator=NOT_FOUND,
    researcher=NOT_FOUND,
    admin_user=NOT_FOUND,
    kwargs=_members_story,
)
AUTHOR_POST_ONLY = Expect(anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=_members_story)

ENTRIES: dict[str, Expect] = {
    "stories:write": MEMBERS,
    "stories:mine": MEMBERS,
    "stories:edit": AUTHOR_ONLY,
    "stories:consent": AUTHOR_ONLY,
    "stories:submit": AUTHOR_POST_ONLY,
    "stories:withdraw": AUTHOR_POST_ONLY,
    "stories:consent_withdraw": AUTHOR_POST_ONLY,
}
