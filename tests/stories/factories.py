"""Stories made straight in the database, for tests of other parts (not through actions)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.stories.models import Story, StoryConsent, StoryVersion


def make_story(
    author: User,
    *,
    title: str = "What helped me through the winter",
    body: str = "Finding people who had been there too.\n\nIt got *better*, slowly.",
    tags: list[str] | None = None,
    content_notes: list[str] | None = None,
    status: str = Story.Status.PUBLISHED,
    audience: str = StoryConsent.Audience.PUBLIC,
    attribution: str = StoryConsent.Attribution.DISPLAY_NAME,
    other_name: str = "",
    advocacy: str = StoryConsent.Advocacy.ANY,
    campaign_ids: list[int] | None = None,
    ends_on: datetime.date | None = None,
    consent: bool = True,
) -> Story:
    """A story with one version and, with ``consent``, one consent row in force.

    A published story has that version as its published one.
    """
    story = Story.objects.create(author=author, status=status)
    version = StoryVersion.objects.create(
        story=story,
        number=1,
        title=title,
        body=body,
        tags=tags if tags is not None else ["loneliness"],
        content_notes=content_notes or [],
    )
    story.latest_version = version
    if status == Story.Status.PUBLISHED:
        story.published_version = version
        story.published_at = timezone.now()
    story.save()
    if consent:
        give_consent(
            story,
            audience=audience,
            attribution=attribution,
            other_name=other_name,
            advocacy=advocacy,
            campaign_ids=campaign_ids,
            ends_on=ends_on,
        )
    return story


def give_consent(
    story: Story,
    *,
    audience: str = StoryConsent.Audience.PUBLIC,
    attribution: str = StoryConsent.Attribution.DISPLAY_NAME,
    other_name: str = "",
    advocacy: str = StoryConsent.Advocacy.ANY,
    campaign_ids: list[int] | None = None,
    ends_on: datetime.date | None = None,
    withdrawn: bool = False,
) -> StoryConsent:
    number = StoryConsent.objects.filter(story=story).count() + 1
    return StoryConsent.objects.create(
        story=story,
        number=number,
        audience=audience,
        attribution=attribution,
        other_name=other_name,
        advocacy=advocacy,
        campaign_ids=campaign_ids or [],
        ends_on=ends_on,
        withdrawn=withdrawn,
        document=f"consent {number}: {audience}, {attribution}, {advocacy}",
    )
