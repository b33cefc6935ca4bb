"""Rows of the authorisation matrix for reading stories (see ``tests/matrix.py``)."""

from __future__ import annotations

from typing import Any

from peerlight.accounts.models import User
from peerlight.stories.models import Story, StoryConsent
from tests.matrix import NOT_ALLOWED, OK, PUBLIC, Expect
from tests.stories.factories import make_story


def _public_story(people: dict[str, User]) -> dict[str, Any]:
    """A published story the member shared with anyone (made once)."""
    story = Story.objects.filter(
        author=people["member"],
        status=Story.Status.PUBLISHED,
        consents__audience=StoryConsent.Audience.PUBLIC,
    ).first() or make_story(people["member"])
    return {"public_id": story.public_id}


ENTRIES: dict[str, Expect] = {
    # Reading is open to everyone (members-only stories are a 404 for visitors:
    # tests/stories/test_reader_views.py); saying "it helped" and replying are
    # forms that post.
    "stories:list": PUBLIC,
    "stories:feed": PUBLIC,
    "stories:filters": PUBLIC,
    "stories:read": Expect(anonymous=OK, member=OK, kwargs=_public_story),
    "stories:helped": Expect(anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=_public_story),
    "stories:reply": Expect(anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=_public_story),
}
