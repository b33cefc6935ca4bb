"""Support requests, the offers made to peers, and the wrap-up of each chat.

A request moves: waiting → offered → connected → ended, or leaves early as
cancelled (the member left the queue). Offers are made one at a time to the
best free peer; each expires after ``PEERLIGHT_OFFER_SECONDS`` and the next
candidate gets one. The talk itself is a ``chat`` conversation.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerlight.chat.models import Conversation
from peerlight.lib.crypto import EncryptedTextField


class SupportRequest(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for a peer")
        OFFERED = "offered", _("A peer is being asked")
        CONNECTED = "connected", _("Talking with a peer")
        ENDED = "ended", _("Ended")
        CANCELLED = "cancelled", _("Left the queue")

    OPEN_STATUSES = (Status.WAITING, Status.OFFERED)

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_requests"
    )
    # Codes from peers/data/vocabulary.json.
    topics = models.JSONField(default=list, blank=True)
    priorities = models.JSONField(default=list, blank=True)  # experiences, most important first
    language = models.CharField(max_length=8)
    preferences = models.JSONField(default=dict, blank=True)  # {"gender": "woman"}
    wants_same_peer = models.BooleanField(default=False)
    words = EncryptedTextField(blank=True, default="")
    message_for_later = EncryptedTextField(blank=True, default="")
    # What the safety hook rated the words: "none", "concern" or "imminent".
    urgency = models.CharField(max_length=10, default="none")
    urgency_reasons = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    peer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="support_chats",
    )
    conversation = models.OneToOneField(
        Conversation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="support_request",
    )
    # The matcher's reasons for the peer who took the chat, shown to both.
    match_reasons = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="support_queue")]

    def __str__(self) -> str:
        return f"Support request {self.pk}"


class Offer(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Not answered in time")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="offers")
    peer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_offers"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    score = models.FloatField(default=0.0)
    reasons = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(status="pending"),
                name="support_one_pending_offer",
            ),
        ]

    def __str__(self) -> str:
        return f"Offer {self.pk}"


class ChatRating(models.Model):
    """The member's word on a chat: did they feel heard (1 to 5), and anything to add."""

    request = models.OneToOneField(SupportRequest, on_delete=models.CASCADE, related_name="rating")
    felt_heard = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    words = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Rating of support request {self.request_id}"


class PeerNote(models.Model):
    """The peer's short, strengths-based note; the member may read it if they choose."""

    request = models.OneToOneField(SupportRequest, on_delete=models.CASCADE, related_name="note")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    talked_about = EncryptedTextField(blank=True, default="")
    strengths = EncryptedTextField(blank=True, default="")
    resources = EncryptedTextField(blank=True, default="")
    next_step = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Peer note on support request {self.request_id}"
