"""Letters, calls and testimony: the actions where members speak to decision makers.

By default a target receives counts by district and anonymised stories, never
names and addresses; a writer's name goes with a letter only when the writer
chose it (``Letter.share_name``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerlight.lib.crypto import EncryptedTextField

SUBJECT_MAX = 200
TEMPLATE_MAX = 6_000
OWN_WORDS_MAX = 3_000
SCRIPT_MAX = 4_000
NOTE_MAX = 500


class LetterAction(models.Model):
    class Delivery(models.TextChoices):
        EMAIL = "email", _("E-mailed to the targets")
        PACKET = "packet", _("Printed as a packet and delivered by hand or post")

    campaign = models.OneToOneField(
        "advocacy.Campaign", on_delete=models.CASCADE, related_name="letter_action"
    )
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX)
    template = models.TextField(_("letter template"), max_length=TEMPLATE_MAX)
    delivery = models.CharField(
        _("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.PACKET
    )
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"letter action of campaign {self.campaign_id}"


class Letter(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        READY = "ready", _("Ready to deliver")
        DELIVERED = "delivered", _("Delivered")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    action = models.ForeignKey(LetterAction, on_delete=models.CASCADE, related_name="letters")
    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="letters"
    )
    own_words = EncryptedTextField(blank=True, default="")
    # One of the writer's own stories with advocacy consent for this campaign.
    story = models.ForeignKey(
        "stories.Story", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The writer's explicit choice to sign with a name (and which one).
    share_name = models.BooleanField(default=False)
    signed_name = EncryptedTextField(blank=True, default="")
    zip_code = models.CharField(max_length=5, blank=True, default="")
    district = models.CharField(max_length=80, blank=True, default="")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.READY, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"letter {self.pk} on {self.action_id}"


class LetterDelivery(models.Model):
    """One delivery of letters to one target: what was sent, archived with its hash."""

    action = models.ForeignKey(LetterAction, on_delete=models.CASCADE, related_name="deliveries")
    target = models.ForeignKey("advocacy.Target", on_delete=models.CASCADE, related_name="+")
    letters = models.ManyToManyField(Letter, related_name="deliveries")
    counts_by_district = models.JSONField(default=dict, blank=True)
    method = models.CharField(max_length=10)
    content = models.TextField()
    content_sha256 = models.CharField(max_length=64)
    story_ids = models.JSONField(default=list, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    delivered_at = models.DateTimeField(default=timezone.now)
    # When the e-mail went: a retried task finds it set and sends nothing.
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set when a story in it later lost its consent: coordinators follow up.
    flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-delivered_at"]

    def __str__(self) -> str:
        return f"delivery {self.pk} to {self.target_id}"


class CallAction(models.Model):
    campaign = models.OneToOneField(
        "advocacy.Campaign", on_delete=models.CASCADE, related_name="call_action"
    )
    script = models.TextField(_("call script"), max_length=SCRIPT_MAX)
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"call action of campaign {self.campaign_id}"


class CallRecord(models.Model):
    """One call a supporter says they made: the tally counts these rows."""

    action = models.ForeignKey(CallAction, on_delete=models.CASCADE, related_name="calls")
    target = models.ForeignKey("advocacy.Target", on_delete=models.CASCADE, related_name="+")
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["action", "target"])]

    def __str__(self) -> str:
        return f"call to {self.target_id}"


class TestimonyOffer(models.Model):
    """A member offers one of their consented stories for a hearing."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        INCLUDED = "included", _("In the testimony packet")
        NOT_USED = "not_used", _("Not used this time")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    campaign = models.ForeignKey(
        "advocacy.Campaign", on_delete=models.CASCADE, related_name="testimony_offers"
    )
    story = models.ForeignKey("stories.Story", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="testimony_offers"
    )
    note = EncryptedTextField(blank=True, default="")
    willing_to_speak = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OFFERED, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "story"], name="one_offer_per_story"),
        ]

    def __str__(self) -> str:
        return f"testimony offer {self.pk}"


class TestimonyPacket(models.Model):
    """The testimony a coordinator put together for a hearing, archived with its hash."""

    campaign = models.ForeignKey(
        "advocacy.Campaign", on_delete=models.CASCADE, related_name="testimony_packets"
    )
    hearing = models.CharField(_("hearing"), max_length=SUBJECT_MAX)
    hearing_on = models.DateField(_("date of the hearing"), null=True, blank=True)
    offers = models.ManyToManyField(TestimonyOffer, related_name="packets")
    content = models.TextField()
    content_sha256 = models.CharField(max_length=64)
    story_ids = models.JSONField(default=list, blank=True)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    built_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-built_at"]

    def __str__(self) -> str:
        return f"testimony packet {self.pk}"
