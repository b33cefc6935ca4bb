"""What stories hold about a person, for "Download my data" and account deletion.

An author gets back every story with every version they wrote and every
consent they gave, word for word; a reader gets their replies, the "this
helped me" marks they gave and their reading filter. Deleting an account
deletes the person's stories, so their use ends everywhere: each one is first
announced as withdrawn (``story_use_changed``, reason "story_withdrawn"), in
the same transaction, so advocacy flags what it delivered. Stories and
replies the person reviewed as a moderator stay, without their name.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from peerlight.accounts.models import User


def _stories(user: User) -> list[dict[str, Any]]:
    from peerlight.stories.models import Story

    stories = (
        Story.objects.filter(author=user)
        .prefetch_related("versions", "consents")
        .order_by("created_at", "pk")
    )
    return [
        {
            "id": story.public_id,
            "status": story.status,
            "created_at": story.created_at,
            "published_at": story.published_at,
            "withdrawn_at": story.withdrawn_at,
            "held_for_safety": story.held_for_safety,
            "moderator_note": story.moderator_note,
            "published_version": story.published_version.number
            if story.published_version
            else None,
            "helped_count": story.helped_marks.count(),
            "versions": [
                {
                    "number": version.number,
                    "title": version.title,
                    "body": version.body,
                    "prompt": version.prompt,
                    "content_notes": version.content_notes,
                    "tags": version.tags,
                    "text_sha256": version.text_sha256,
                    "safety_level": version.safety_level,
                    "created_at": version.created_at,
                }
                for version in sorted(story.versions.all(), key=lambda row: row.number)
            ],
            "consents": [
                {
                    "number": consent.number,
                    "audience": consent.audience,
                    "attribution": consent.attribution,
                    "other_name": consent.other_name,
                    "advocacy": consent.advocacy,
                    "campaign_ids": consent.campaign_ids,
                    "ends_on": consent.ends_on,
                    "withdrawn": consent.withdrawn,
                    "document": consent.document,
                    "document_sha256": consent.document_sha256,
                    "language": consent.language,
                    "created_at": consent.created_at,
                }
                for consent in sorted(story.consents.all(), key=lambda row: row.number)
            ],
        }
        for story in stories
    ]


def _replies(user: User) -> list[dict[str, Any]]:
    from peerlight.stories.models import Reply

    rows = Reply.objects.filter(author=user).select_related("story").order_by("created_at")
    # The story is named by its link id only: its words are its author's.
    return [
        {
            "story": row.story.public_id,
            "body": row.body,
            "status": row.status,
            "created_at": row.created_at,
        }
        for row in rows
    ]


def _helped_marks(user: User) -> list[dict[str, Any]]:
    from peerlight.stories.models import HelpedMark

    rows = HelpedMark.objects.filter(reader=user).select_related("story").order_by("created_at")
    return [{"story": row.story.public_id, "created_at": row.created_at} for row in rows]


def _reading_filter(user: User) -> dict[str, Any] | None:
    from peerlight.stories.models import ReadingFilter

    row = ReadingFilter.objects.filter(reader=user).first()
    if row is None:
        return None
    return {
        "hidden_topics": row.hidden_tags,
        "hidden_content_notes": row.hidden_notes,
        "updated_at": row.updated_at,
    }


def _erase_stories(user: User) -> None:
    from peerlight.stories.models import Story
    from peerlight.stories.signals import story_use_changed

    for story in Story.objects.filter(author=user).order_by("pk"):
        story_use_changed.send(sender=Story, story=story, actor=user, reason="story_withdrawn")
    Story.objects.filter(author=user).delete()
    Story.objects.filter(reviewer=user).update(reviewer=None)


def _erase_replies(user: User) -> None:
    from peerlight.stories.models import Reply

    Reply.objects.filter(author=user).delete()
    Reply.objects.filter(moderated_by=user).update(moderated_by=None)


def register() -> None:
    from peerlight.accounts import privacy
    from peerlight.stories.models import HelpedMark, ReadingFilter, Reply, Story

    privacy.register(
        Story,
        export=_stories,
        erase=privacy.ErasurePolicy.custom(
            _erase_stories,
            reason=_(
                "Your stories are deleted with every version and consent, and leave every "
                "page and campaign; the coordinators are told about copies already given to "
                "decision makers. Stories you reviewed as a moderator stay, without your name."
            ),
        ),
        description=_("The stories you wrote, every version, and what you agreed to"),
    )
    privacy.register(
        Reply,
        export=_replies,
        erase=privacy.ErasurePolicy.custom(
            _erase_replies,
            reason=_(
                "Your replies to stories are deleted; replies you reviewed as a moderator "
                "stay, without your name."
            ),
        ),
        description=_("Your replies to stories"),
    )
    privacy.register(
        HelpedMark,
        export=_helped_marks,
        erase=privacy.ErasurePolicy.delete(),
        description=_("The stories you said helped you"),
    )
    privacy.register(
        ReadingFilter,
        export=_reading_filter,
        erase=privacy.ErasurePolicy.delete(),
        description=_("The topics you chose not to see in stories"),
    )
