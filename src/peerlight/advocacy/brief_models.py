"""Evidence briefs: one page per campaign, each delivered version archived with its hash."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class EvidenceBrief(models.Model):
    """One version of a campaign's evidence brief, as it was rendered.

    ``html`` is the page exactly as built, ``content_sha256`` its hash, and
    ``story_ids``/``evidence_ids``/``figures`` what went into it. A draft
    version is rebuilt freely; once ``delivered_at`` is set the row is an
    archive and is never edited, except for ``flagged_at`` when a story in
    it has since lost its consent.
    """

    campaign = models.ForeignKey(
        "advocacy.Campaign", on_delete=models.CASCADE, related_name="briefs"
    )
    version = models.PositiveIntegerField()
    html = models.TextField()
    content_sha256 = models.CharField(max_length=64)
    evidence_library_version = models.CharField(max_length=40)
    evidence_ids = models.JSONField(default=list, blank=True)
    figures = models.JSONField(default=dict, blank=True)
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
    delivered_to = models.ManyToManyField("advocacy.Target", related_name="+", blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)
    flag_reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["campaign", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "version"], name="unique_brief_version"),
        ]

    def __str__(self) -> str:
        return f"brief v{self.version} of campaign {self.campaign_id}"


class BriefStory(models.Model):
    """A story in a delivered brief, so a later change of consent finds the brief."""

    brief = models.ForeignKey(EvidenceBrief, on_delete=models.CASCADE, related_name="+")
    story = models.ForeignKey("stories.Story", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["brief", "story"], name="unique_brief_story"),
        ]

    def __str__(self) -> str:
        return f"story {self.story_id} in brief {self.brief_id}"
