"""Lived-experience stories, their versions, the author's consent, and readers' answers.

A story is a row that points at its versions (``StoryVersion``): the author
edits by writing a new version, so a moderator sees what changed and what was
published is never rewritten. Title and body are encrypted at rest: until an
author chooses otherwise, a draft is among the most private things anyone
writes here.

Consent is a ledger (``StoryConsent``): each change is a new row with its
number, the exact words the author agreed to and their SHA-256; the latest
row is the consent in force. A withdrawal is a row too. Nothing reads a
story for readers, campaigns or briefs without going through that row
(``stories.access``), so a change takes effect everywhere at once.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerlight.lib.crypto import EncryptedTextField

TITLE_MAX = 140
BODY_MAX = 20_000
NOTE_MAX = 1_000
REPLY_MAX = 1_000
OTHER_NAME_MAX = 60


def new_public_id() -> str:
    """An unguessable id for share links (members-only stories stay behind sign-in)."""
    return secrets.token_urlsafe(9)


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Story(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Sent for review")
        IN_REVIEW = "in_review", _("In review")
        CHANGES_REQUESTED = "changes_requested", _("Changes asked for")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stories"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # The newest version the author wrote, and the one readers see (if any).
    latest_version = models.ForeignKey(
        "StoryVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_version = models.ForeignKey(
        "StoryVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Held back because the safety check saw current risk: never published
    # until a coordinator has looked, whatever its status says.
    held_for_safety = models.BooleanField(default=False)
    # What the moderator asked the author to change (shown to the author only).
    moderator_note = EncryptedTextField(blank=True, default="")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name_plural = "stories"

    def __str__(self) -> str:
        return f"story {self.public_id} ({self.status})"


class StoryVersion(models.Model):
    """One version of a story as its author wrote it; never edited."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = EncryptedTextField(max_length=TITLE_MAX)
    # A small Markdown subset (``stories.markdown``), rendered through a sanitiser.
    body = EncryptedTextField(max_length=BODY_MAX)
    # The guided prompt the author wrote to, if any (a code of ``data/prompts.json``).
    prompt = models.CharField(max_length=20, blank=True, default="")
    # Codes the author chose: content notes (``data/content_notes``) and topic
    # tags (the peers vocabulary's experiences and topics).
    content_notes = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # SHA-256 of title and body as written, to show which text was reviewed.
    text_sha256 = models.CharField(max_length=64, editable=False)
    # What the safety check made of this version: "none", "method", "concern", "imminent".
    safety_level = models.CharField(max_length=10, default="none")
    safety_reasons = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["story", "number"]
        constraints = [
            models.UniqueConstraint(fields=["story", "number"], name="unique_story_version"),
        ]

    def __str__(self) -> str:
        return f"story {self.story_id} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.text_sha256 = sha256_of(f"{self.title}\n\n{self.body}")
        super().save(*args, **kwargs)


class StoryConsent(models.Model):
    """One version of what the author agreed to for a story; never edited.

    The latest row per story is in force. ``document`` is the exact wording
    the author saw and agreed to, rendered from the choices in the author's
    language, and ``document_sha256`` its hash. A withdrawal is a row with
    ``withdrawn`` set (audience, attribution and advocacy then mean nothing).
    """

    class Audience(models.TextChoices):
        MEMBERS = "members", _("Members of this community only")
        PUBLIC = "public", _("Anyone, including people without an account")

    class Attribution(models.TextChoices):
        DISPLAY_NAME = "display_name", _("My display name")
        OTHER_NAME = "other_name", _("Another name I choose")
        ANONYMOUS = "anonymous", _("No name (anonymous)")

    class Advocacy(models.TextChoices):
        NONE = "none", _("Not in campaigns")
        ANY = "any", _("In any of this community's campaigns")
        CHOSEN = "chosen", _("Only in the campaigns I choose")

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="consents")
    number = models.PositiveIntegerField()
    audience = models.CharField(max_length=10, choices=Audience.choices)
    attribution = models.CharField(max_length=15, choices=Attribution.choices)
    other_name = models.CharField(max_length=OTHER_NAME_MAX, blank=True, default="")
    advocacy = models.CharField(max_length=10, choices=Advocacy.choices, default=Advocacy.NONE)
    # Ids of advocacy campaigns, for ``Advocacy.CHOSEN`` (stories do not import advocacy).
    campaign_ids = models.JSONField(default=list, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    withdrawn = models.BooleanField(default=False)
    document = models.TextField()
    document_sha256 = models.CharField(max_length=64, editable=False)
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["story", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["story", "number"], name="unique_story_consent"),
        ]

    def __str__(self) -> str:
        return f"consent v{self.number} for story {self.story_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.document_sha256 = sha256_of(self.document)
        super().save(*args, **kwargs)


class HelpedMark(models.Model):
    """A reader's private "this helped me": the author sees a count, never who."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="helped_marks")
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["story", "reader"], name="unique_helped_mark"),
        ]

    def __str__(self) -> str:
        return f"helped mark on story {self.story_id}"


class Reply(models.Model):
    """An "I've been there too" reply; shown only once a moderator approved it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Shown")
        DECLINED = "declined", _("Not shown")

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="story_replies"
    )
    body = EncryptedTextField(max_length=REPLY_MAX)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    safety_level = models.CharField(max_length=10, default="none")
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "replies"

    def __str__(self) -> str:
        return f"reply {self.pk} on story {self.story_id}"


class ReadingFilter(models.Model):
    """The topics and content notes a reader chose not to see at all."""

    reader = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="story_filter"
    )
    hidden_tags = models.JSONField(default=list, blank=True)
    hidden_notes = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"reading filter of user {self.reader_id}"
