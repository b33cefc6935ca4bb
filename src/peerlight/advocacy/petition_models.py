"""Petitions: a public counter, signatures online and on paper.

``Petition.signature_count`` is the counter the page shows: confirmed online
signatures, kept in step by the action that confirms one (an ``F()`` update
in the same transaction as the row), so the count never drifts from the rows
under load. Paper signatures are counted separately and added on display.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerlight.lib.crypto import EncryptedTextField

STATEMENT_MAX = 2_000
NAME_MAX = 120
COMMENT_MAX = 500


class Petition(models.Model):
    campaign = models.OneToOneField(
        "advocacy.Campaign", on_delete=models.CASCADE, related_name="petition"
    )
    statement = models.TextField(_("what signers say"), max_length=STATEMENT_MAX)
    # The first goal; the page raises it in steps once it is reached.
    goal = models.PositiveIntegerField(_("first goal"), default=100)
    # Confirmed online signatures (see the module's docstring).
    signature_count = models.PositiveIntegerField(default=0)
    # Ask signers for a ZIP code and say whether it lies in a target's district.
    check_district = models.BooleanField(_("check the signer's district"), default=False)
    # With the check on: refuse signers whose ZIP code lies outside every
    # target's district (a petition to one legislator from their constituents).
    district_only = models.BooleanField(_("only people in a district may sign"), default=False)
    # A visitor's signature counts once confirmed from an e-mail (by a button
    # that posts); off, it counts at once and the e-mail address is optional.
    # Signed-in members' signatures always count at once.
    requires_confirmation = models.BooleanField(_("visitors confirm by e-mail"), default=True)
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"petition of campaign {self.campaign_id}"


class Signature(models.Model):
    """One online signature: name and e-mail encrypted; a name shows only if the signer chose."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="signatures")
    # A member who signed while signed in; None for a visitor.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="signatures",
    )
    name = EncryptedTextField(max_length=NAME_MAX)
    email = EncryptedTextField(blank=True, default="")
    # Keyed digest of the normalised e-mail (or of the member id), one signature each.
    signer_digest = models.CharField(max_length=64)
    zip_code = models.CharField(max_length=5, blank=True, default="")
    # None: not checked; True/False: the ZIP lies in / outside a target's district.
    in_district = models.BooleanField(null=True, blank=True)
    show_name = models.BooleanField(_("show my name on the petition"), default=False)
    comment = EncryptedTextField(blank=True, default="")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # Digest of the confirmation token sent by e-mail (the token itself is not kept).
    confirm_digest = models.CharField(max_length=64, blank=True, default="", db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "signer_digest"], name="one_signature_per_signer"
            ),
        ]

    def __str__(self) -> str:
        return f"signature {self.pk} on petition {self.petition_id}"


class PaperSignatures(models.Model):
    """A batch of signatures collected on paper, entered by a coordinator."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="paper_batches")
    count = models.PositiveIntegerField()
    # Optional ZIP code -> how many of the batch gave it, for counts by district.
    zip_counts = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=200, blank=True, default="")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "paper signatures"

    def __str__(self) -> str:
        return f"{self.count} paper signatures on petition {self.petition_id}"
