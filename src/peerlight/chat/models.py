"""Durable conversations: one-to-one or group, with numbered, encrypted messages.

The chat app knows nothing of why a conversation exists (a support request, a
circle meeting): the app that starts one may give it a ``context_url`` to send
people back to when it ends.

Every message has a per-conversation sequence number (``seq``), allocated
from ``Conversation.last_seq`` inside the sending transaction, and the
client's own id (``client_id``): the pair (conversation, client_id) is
unique, so a retried send never makes a second message.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerlight.lib.crypto import EncryptedTextField


class Conversation(models.Model):
    class Kind(models.TextChoices):
        DIRECT = "direct", _("One-to-one")
        GROUP = "group", _("Group")

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DIRECT)
    title = models.CharField(max_length=120, blank=True)
    context_url = models.CharField(max_length=200, blank=True)
    last_seq = models.PositiveBigIntegerField(default=0)
    is_paused = models.BooleanField(default=False)
    # The message a facilitator pinned to the top of a group chat (``chat.group``).
    pinned_seq = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"Conversation {self.pk}"

    @property
    def is_ended(self) -> bool:
        return self.ended_at is not None


class Participant(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        SUPPORTER = "supporter", _("Peer supporter")
        FACILITATOR = "facilitator", _("Facilitator")
        PARTICIPANT = "participant", _("Participant")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_participations"
    )
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.PARTICIPANT)
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    last_read_seq = models.PositiveBigIntegerField(default=0)
    is_muted = models.BooleanField(default=False)
    is_removed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="chat_participant_once"),
        ]

    def __str__(self) -> str:
        return f"Participant {self.pk} in conversation {self.conversation_id}"

    @property
    def is_present(self) -> bool:
        """Still in the conversation: neither left nor removed."""
        return self.left_at is None and not self.is_removed


class Message(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Message")
        SYSTEM = "system", _("Notice")
        # A card built by an app from structured data (``chat.cards``); its
        # body is JSON {title, lines, url}, not words a person typed.
        CARD = "card", _("Card")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveBigIntegerField()
    client_id = models.CharField(max_length=64)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    body = EncryptedTextField()
    # What the contact-detail mask removed ("phone", "email", "handle", "link").
    masked = models.JSONField(default=list, blank=True)
    # What the safety hook saw: a level and the reasons, never the text itself.
    risk_level = models.CharField(max_length=10, default="none")
    risk_reasons = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="chat_message_seq"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"], name="chat_message_client_id"
            ),
        ]

    def __str__(self) -> str:
        # Never the body: this string can reach logs.
        return f"Message {self.conversation_id}#{self.seq}"
