"""Member priorities: members propose campaigns, back them, and vote.

A proposal that gathers ``PEERLIGHT_PROPOSAL_SUPPORT_THRESHOLD`` supporters
goes to a member vote for ``PEERLIGHT_PROPOSAL_VOTE_DAYS`` days; one that
carries becomes a campaign (``Proposal.campaign``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TITLE_MAX = 160
TEXT_MAX = 3_000


class Proposal(models.Model):
    class Status(models.TextChoices):
        PENDING_REVIEW = "pending_review", _("Being checked")
        OPEN = "open", _("Gathering support")
        VOTING = "voting", _("Members are voting")
        CARRIED = "carried", _("Carried")
        NOT_CARRIED = "not_carried", _("Not carried")
        DECLINED = "declined", _("Not taken forward")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaign_proposals",
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    ask = models.TextField(_("what we should ask for"), max_length=TEXT_MAX)
    why = models.TextField(_("why it matters"), max_length=TEXT_MAX)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    support_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    voting_opens_at = models.DateTimeField(null=True, blank=True)
    voting_closes_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    staff_note = models.TextField(max_length=TEXT_MAX, blank=True, default="")
    campaign = models.OneToOneField(
        "advocacy.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposal",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class ProposalSupport(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "member"], name="one_support_per_member"),
        ]

    def __str__(self) -> str:
        return f"support for {self.proposal_id}"


class ProposalVote(models.Model):
    class Choice(models.TextChoices):
        YES = "yes", _("Yes, make it a campaign")
        NO = "no", _("No")
        ABSTAIN = "abstain", _("I abstain")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    choice = models.CharField(max_length=8, choices=Choice.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "member"], name="one_vote_per_member"),
        ]

    def __str__(self) -> str:
        return f"vote on {self.proposal_id}"
