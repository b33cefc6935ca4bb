"""Campaigns aimed at decision makers, and what the organisation hears back.

``Target`` is the organisation's own directory of decision makers
(legislators, county boards, health plans, funders). A ``Campaign`` asks
some of them for one thing by a deadline; members act on it through the
actions in ``petition_models`` and ``outreach_models``, and the campaign
carries its evidence briefs (``brief_models``). ``AnswerLink`` lets a target
answer the people who acted without seeing who they are; ``Commitment``
tracks what the targets then did.

Member proposals and votes, through which members set the campaigns, are in
``proposal_models``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TITLE_MAX = 160
TEXT_MAX = 4_000
UPDATE_MAX = 2_000
ANSWER_MAX = 4_000


class Target(models.Model):
    """A decision maker the organisation addresses."""

    class Kind(models.TextChoices):
        LEGISLATOR = "legislator", _("Legislator")
        COUNTY_BOARD = "county_board", _("County board")
        HEALTH_PLAN = "health_plan", _("Health plan")
        FUNDER = "funder", _("Funder")
        AGENCY = "agency", _("Public agency")
        OTHER = "other", _("Other")

    class Route(models.TextChoices):
        EMAIL = "email", _("E-mail")
        POST = "post", _("Post")
        PHONE = "phone", _("Phone")
        WEB_FORM = "web_form", _("Web form")
        IN_PERSON = "in_person", _("In person")

    name = models.CharField(_("name"), max_length=TITLE_MAX)
    office = models.CharField(_("office"), max_length=TITLE_MAX, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    district = models.CharField(_("district"), max_length=80, blank=True, default="")
    # Five-digit US ZIP codes in the district, for "do you live there?" checks.
    district_zip_codes = models.JSONField(_("ZIP codes of the district"), default=list, blank=True)
    contact_route = models.CharField(
        _("best way to reach them"), max_length=12, choices=Route.choices, default=Route.EMAIL
    )
    email = models.EmailField(_("e-mail"), blank=True, default="")
    phone = models.CharField(_("phone"), max_length=40, blank=True, default="")
    postal_address = models.TextField(_("postal address"), max_length=500, blank=True, default="")
    web_form_url = models.URLField(_("web form"), blank=True, default="")
    notes = models.TextField(_("notes for staff"), max_length=TEXT_MAX, blank=True, default="")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}, {self.office}" if self.office else self.name


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Being prepared")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        WON = "won", _("Won")
        LOST = "lost", _("Not won")
        CLOSED = "closed", _("Closed")

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    ask = models.TextField(_("the ask"), max_length=TEXT_MAX)
    why = models.TextField(_("why it matters"), max_length=TEXT_MAX)
    targets = models.ManyToManyField(Target, related_name="campaigns", blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # Topic codes (the peers vocabulary), to match consented stories by tag.
    tags = models.JSONField(_("topics"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class CampaignUpdate(models.Model):
    """A progress update posted on a campaign's page."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="updates")
    body = models.TextField(max_length=UPDATE_MAX)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"update on {self.campaign_id}"


class AnswerLink(models.Model):
    """A private link through which one target answers a campaign's supporters.

    Only the digest of the token is stored; the link is shown once, when made.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="answer_links")
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="answer_links")
    token_digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"answer link for {self.target_id} on {self.campaign_id}"


class TargetAnswer(models.Model):
    """What a target answered, shown publicly on the campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="answers")
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="answers")
    link = models.ForeignKey(AnswerLink, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(max_length=ANSWER_MAX)
    is_visible = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"answer from {self.target_id} on {self.campaign_id}"


class Commitment(models.Model):
    """Something a target did about the ask: a commitment, a vote or a budget line."""

    class Kind(models.TextChoices):
        COMMITMENT = "commitment", _("Commitment")
        VOTE = "vote", _("Vote")
        BUDGET_LINE = "budget_line", _("Budget line")

    class Stance(models.TextChoices):
        FOR = "for", _("For the ask")
        AGAINST = "against", _("Against the ask")
        MIXED = "mixed", _("Partly")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="commitments")
    target = models.ForeignKey(
        Target, on_delete=models.SET_NULL, null=True, blank=True, related_name="commitments"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    stance = models.CharField(max_length=8, choices=Stance.choices, default=Stance.FOR)
    description = models.TextField(max_length=UPDATE_MAX)
    # For a budget line: the amount in whole currency units.
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    occurred_on = models.DateField()
    source_url = models.URLField(blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When the members who acted on the campaign were told.
    members_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.campaign_id}"


class ActionNotice(models.Model):
    """News for a member about a campaign they acted on (answer, commitment, vote)."""

    class Kind(models.TextChoices):
        ANSWER = "answer", _("A decision maker answered")
        COMMITMENT = "commitment", _("Something changed")
        UPDATE = "update", _("Campaign news")
        PROPOSAL = "proposal", _("A proposal you backed moved on")
        STORY = "story", _("A story you used changed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="action_notices"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "seen_at"])]

    def __str__(self) -> str:
        return f"{self.kind} notice for user {self.user_id}"


from peerlight.advocacy.brief_models import BriefStory, EvidenceBrief  # noqa: E402
from peerlight.advocacy.outreach_models import (  # noqa: E402
    CallAction,
    CallRecord,
    Letter,
    LetterAction,
    LetterDelivery,
    TestimonyOffer,
    TestimonyPacket,
)
from peerlight.advocacy.petition_models import PaperSignatures, Petition, Signature  # noqa: E402
from peerlight.advocacy.proposal_models import (  # noqa: E402
    Proposal,
    ProposalSupport,
    ProposalVote,
)

__all__ = [
    "ActionNotice",
    "AnswerLink",
    "BriefStory",
    "CallAction",
    "CallRecord",
    "Campaign",
    "CampaignUpdate",
    "Commitment",
    "EvidenceBrief",
    "Letter",
    "LetterAction",
    "LetterDelivery",
    "PaperSignatures",
    "Petition",
    "Proposal",
    "ProposalSupport",
    "ProposalVote",
    "Signature",
    "Target",
    "TargetAnswer",
    "TestimonyOffer",
    "TestimonyPacket",
]
