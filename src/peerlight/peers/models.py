"""Peer profiles: who a peer supporter is, in the words that matter for matching.

A profile exists only for someone who holds the peer-supporter role (granted by
a coordinator); ``is_active`` goes false when the role is revoked, so the
profile stays for the record but is never matched.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EXPERIENCE_WORDS_MAX = 300
BIO_MAX = 600
MAX_CHATS_RANGE = range(1, 6)


class Availability(models.TextChoices):
    AVAILABLE = "available", _("Available")
    BUSY = "busy", _("Busy")
    AWAY = "away", _("Away")


class PeerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="peer_profile"
    )
    # Codes from peers/data/vocabulary.json; the forms accept nothing else.
    experiences = models.JSONField(_("lived experience"), default=list, blank=True)
    experience_words = models.CharField(
        _("lived experience in your own words"), max_length=EXPERIENCE_WORDS_MAX, blank=True
    )
    languages = models.JSONField(_("languages"), default=list)
    topics = models.JSONField(_("topics you are comfortable with"), default=list, blank=True)
    gender = models.CharField(_("gender"), max_length=20, blank=True)
    bio = models.TextField(_("short bio"), max_length=BIO_MAX, blank=True)
    availability = models.CharField(
        _("availability"), max_length=10, choices=Availability.choices, default=Availability.AWAY
    )
    max_chats = models.PositiveSmallIntegerField(
        _("most chats at once"),
        default=2,
        validators=[MinValueValidator(MAX_CHATS_RANGE[0]), MaxValueValidator(MAX_CHATS_RANGE[-1])],
    )
    is_active = models.BooleanField(default=True)
    last_chat_ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["is_active", "availability"], name="peer_online")]

    def __str__(self) -> str:
        return f"Peer profile {self.pk}"
