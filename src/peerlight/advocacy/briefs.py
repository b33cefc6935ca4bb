"""Evidence briefs: build, render, archive and deliver the one-page brief of a campaign.

A brief has the ask and why it matters, the programme's figures
(``figures``, small cells suppressed), two to four cited research entries
(``evidence``) and one to three stories whose consent in force covers the
campaign, matched by its tags (``stories.access.stories_for_campaign``).

The public page and its PDF always render from the current state, so a
story whose consent was withdrawn is gone from them at once. Coordinators
build versions (``build_version``): an ``EvidenceBrief`` row with the exact
HTML, its SHA-256 and what went into it. An undelivered version is rebuilt
in place; once delivered (``deliver_version``: e-mailed with the PDF after
commit, or handed over) it is an archive and never edited again. The PDF is
WeasyPrint's rendering of the same HTML with its print stylesheet; nothing
is fetched while rendering.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import unescape
from typing import NoReturn

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.advocacy import evidence
from peerlight.advocacy.figures import ProgrammeFigures, programme_figures
from peerlight.advocacy.models import BriefStory, Campaign, EvidenceBrief, Target
from peerlight.audit.actions import record_change
from peerlight.stories import markdown
from peerlight.stories.access import Readable, stories_for_campaign, story_for_campaign
from peerlight.stories.models import StoryConsent

__all__ = [
    "DELIVERY_METHODS",
    "MAX_ENTRIES",
    "MAX_STORIES",
    "MIN_ENTRIES",
    "BriefContent",
    "BriefError",
    "BriefStoryItem",
    "brief_content",
    "build_version",
    "chosen_evidence_ids",
    "default_evidence_ids",
    "deliver_version",
    "matched_stories",
    "pdf_for",
    "render_document",
    "render_pdf",
    "send_brief",
    "version_of",
    "versions_of",
]

MIN_ENTRIES, MAX_ENTRIES = 2, 4
MAX_STORIES = 3
EXCERPT_CHARS = 260
DOCUMENT_TEMPLATE = "advocacy/briefs/document.html"
PDF_CACHE_SECONDS = 10 * 60
EMAIL, HAND = "email", "hand"
DELIVERY_METHODS = (EMAIL, HAND)


class BriefError(Exception):
    """A brief that cannot be built or delivered; ``message`` says why, for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _refuse(message: str) -> NoReturn:
    raise BriefError(message)


# --- What goes in ------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefStoryItem:
    """A story as a brief quotes it: a short excerpt under the byline its author consented to."""

    story_id: int
    title: str
    byline: str
    excerpt: str
    # The full story's address when its consent lets anyone read it, else "".
    url: str


@dataclass(frozen=True)
class BriefContent:
    """Everything one rendering of a brief shows."""

    campaign: Campaign
    site_name: str
    figures: ProgrammeFigures
    entries: tuple[evidence.Entry, ...]
    stories: tuple[BriefStoryItem, ...]
    library_version: str
    version: int | None = None
    built_on: datetime.date | None = None


def _excerpt(body: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a story as plain text (its Markdown rendered, then unmarked), cut at a word."""
    text = " ".join(unescape(strip_tags(markdown.render(body))).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.-")
    return f"{cut}…"


def _absolute(path: str) -> str:
    return f"{settings.PEERLIGHT_BASE_URL}{path}"


def _story_url(item: Readable) -> str:
    if item.consent.audience != StoryConsent.Audience.PUBLIC:
        return ""
    try:
        return _absolute(reverse("stories:read", args=[item.story.public_id]))
    except NoReverseMatch:
        return ""


def _story_item(item: Readable) -> BriefStoryItem:
    return BriefStoryItem(
        story_id=int(item.story.pk),
        title=item.version.title,
        byline=item.byline,
        excerpt=_excerpt(item.version.body),
        url=_story_url(item),
    )


def matched_stories(campaign: Campaign) -> list[Readable]:
    """Up to three stories whose consent covers ``campaign``, sharing its tags (none without)."""
    if not campaign.tags:
        return []
    return stories_for_campaign(campaign.pk, tags=campaign.tags, limit=MAX_STORIES)


def default_evidence_ids(campaign: Campaign) -> list[str]:
    """Entries whose CHIME domains meet the campaign's (checked first), two to four.

    When fewer than two match, the library's fully checked entries make up
    the two.
    """
    domains = evidence.domains_for_topics(campaign.tags or [])
    chosen = [e.id for e in evidence.entries_for(chime_domains=domains, limit=MAX_ENTRIES)]
    if len(chosen) < MIN_ENTRIES:
        ordered = sorted(evidence.library().entries, key=lambda entry: not entry.fully_checked)
        chosen += [entry.id for entry in ordered if entry.id not in chosen]
        chosen = chosen[:MIN_ENTRIES]
    return chosen


def _valid_pick(ids: Sequence[str]) -> bool:
    known = evidence.library().by_id()
    return MIN_ENTRIES <= len(set(ids)) <= MAX_ENTRIES and all(i in known for i in ids)


def chosen_evidence_ids(campaign: Campaign) -> list[str]:
    """What the coordinators chose in the newest version, else ``default_evidence_ids``."""
    newest = campaign.briefs.order_by("-version").values_list("evidence_ids", flat=True).first()
    if isinstance(newest, list) and _valid_pick(newest):
        return [str(entry_id) for entry_id in newest]
    return default_evidence_ids(campaign)


def brief_content(
    campaign: Campaign,
    *,
    evidence_ids: Sequence[str] | None = None,
    version: int | None = None,
    built_on: datetime.date | None = None,
    today: datetime.date | None = None,
) -> BriefContent:
    """The brief of ``campaign`` as it stands now."""
    ids = list(evidence_ids) if evidence_ids is not None else chosen_evidence_ids(campaign)
    return BriefContent(
        campaign=campaign,
        site_name=settings.PEERLIGHT_SITE_NAME,
        figures=programme_figures(campaign, today),
        entries=tuple(evidence.entries_for(ids=ids, limit=MAX_ENTRIES)),
        stories=tuple(_story_item(item) for item in matched_stories(campaign)),
        library_version=evidence.library_version(),
        version=version,
        built_on=built_on,
    )


# --- Rendering ---------------------------------------------------------------------------


def render_document(content: BriefContent) -> str:
    """The brief as a standalone HTML document with its print stylesheet (archive and PDF)."""
    return render_to_string(DOCUMENT_TEMPLATE, {"brief": content})


def render_pdf(html: str) -> bytes:
    """The PDF of a brief's HTML document (``brief_pdf``: WeasyPrint, fetching nothing)."""
    from peerlight.advocacy import brief_pdf

    return brief_pdf.render(html)


def pdf_for(html: str) -> bytes:
    """``render_pdf``, kept a little while by the HTML's hash: the same page renders once."""
    key = f"advocacy:brief-pdf:{hashlib.sha256(html.encode('utf-8')).hexdigest()}"
    pdf = cache.get(key)
    if not isinstance(pdf, bytes):
        pdf = render_pdf(html)
        cache.set(key, pdf, PDF_CACHE_SECONDS)
    return pdf


# --- Versions ----------------------------------------------------------------------------


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_pick(evidence_ids: Sequence[str]) -> list[str]:
    ids = list(dict.fromkeys(evidence_ids))
    known = evidence.library().by_id()
    if any(entry_id not in known for entry_id in ids):
        _refuse(_("One of the chosen sources is not in the evidence library."))
    if not MIN_ENTRIES <= len(ids) <= MAX_ENTRIES:
        _refuse(
            _("Please choose from %(low)d to %(high)d sources.")
            % {"low": MIN_ENTRIES, "high": MAX_ENTRIES}
        )
    return ids


def build_version(actor: User, campaign: Campaign, evidence_ids: Sequence[str]) -> EvidenceBrief:
    """Build the brief as it stands now into a version, archived exactly as rendered.

    The newest version is rebuilt in place while it is undelivered; after
    delivery the next number is used, so a delivered version never changes.
    """
    ids = _check_pick(evidence_ids)
    with transaction.atomic():
        # Locking the campaign row serialises builds of one campaign.
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        newest = EvidenceBrief.objects.filter(campaign=campaign).order_by("-version").first()
        draft = newest if newest is not None and newest.delivered_at is None else None
        number = draft.version if draft is not None else (newest.version + 1 if newest else 1)
        now = timezone.now()
        content = brief_content(
            campaign, evidence_ids=ids, version=number, built_on=timezone.localdate(now)
        )
        html = render_document(content)
        brief = draft or EvidenceBrief(campaign=campaign, version=number)
        brief.html = html
        brief.content_sha256 = _sha256(html)
        brief.evidence_library_version = content.library_version
        brief.evidence_ids = [entry.id for entry in content.entries]
        brief.figures = content.figures.as_json()
        brief.story_ids = [story.story_id for story in content.stories]
        brief.built_by = actor
        brief.built_at = now
        brief.save()
        BriefStory.objects.filter(brief=brief).delete()
        BriefStory.objects.bulk_create(
            BriefStory(brief=brief, story_id=story_id) for story_id in brief.story_ids
        )
        record_change(actor, "advocacy.brief.build", brief)
    return brief


def versions_of(campaign: Campaign) -> list[EvidenceBrief]:
    """The campaign's versions, newest first, with whom each went to."""
    return list(
        EvidenceBrief.objects.filter(campaign=campaign)
        .order_by("-version")
        .prefetch_related("delivered_to")
        .defer("html")
    )


def version_of(campaign: Campaign, number: int) -> EvidenceBrief | None:
    return EvidenceBrief.objects.filter(campaign=campaign, version=number).first()


def _check_stories_still_consented(brief: EvidenceBrief) -> None:
    ids = [int(story_id) for story_id in brief.story_ids]
    if any(story_for_campaign(story_id, brief.campaign_id) is None for story_id in ids):
        _refuse(_("A story in this version can no longer be used. Please build it again."))
    if StoryConsent.objects.filter(story_id__in=ids, created_at__gt=brief.built_at).exists():
        _refuse(
            _(
                "A writer changed their consent since this version was built. "
                "Please build it again."
            )
        )


def deliver_version(
    actor: User, brief: EvidenceBrief, targets: Iterable[Target], method: str
) -> EvidenceBrief:
    """Mark ``brief`` delivered to ``targets``; by e-mail, the PDF goes after commit.

    Refused for a version already delivered, for targets not on the
    campaign, for e-mail to a target without an address, and when a story
    in it changed its consent since it was built.
    """
    chosen = list(targets)
    if method not in DELIVERY_METHODS:
        _refuse(_("Please choose how the brief is delivered."))
    if not chosen:
        _refuse(_("Please choose at least one decision maker."))
    with transaction.atomic():
        locked = (
            EvidenceBrief.objects.select_for_update().select_related("campaign").get(pk=brief.pk)
        )
        if locked.delivered_at is not None:
            _refuse(_("This version was delivered already. Build a new version to deliver again."))
        on_campaign = set(locked.campaign.targets.values_list("pk", flat=True))
        if any(target.pk not in on_campaign for target in chosen):
            _refuse(_("Choose only this campaign's decision makers."))
        if method == EMAIL:
            missing = [target.name for target in chosen if not target.email]
            if missing:
                _refuse(
                    _("%(name)s has no e-mail address: deliver by hand, or add one first.")
                    % {"name": missing[0]}
                )
        _check_stories_still_consented(locked)
        locked.delivered_at = timezone.now()
        locked.save(update_fields=["delivered_at"])
        locked.delivered_to.set(chosen)
        record_change(actor, "advocacy.brief.deliver", locked, reason=method)
        if method == EMAIL:
            transaction.on_commit(functools.partial(send_brief.enqueue, int(locked.pk)))
    return locked


def _brief_email(brief: EvidenceBrief) -> tuple[str, str]:
    site = settings.PEERLIGHT_SITE_NAME
    subject = _("Evidence brief: %(title)s") % {"title": brief.campaign.title}
    body = _(
        "Please find attached the evidence brief of our campaign “%(title)s”.\n\n"
        "What we ask:\n%(ask)s\n\n"
        "The brief gives our programme's figures, the research we rely on with its "
        "caveats, and the words of people with lived experience who agreed to share them.\n\n"
        "%(site)s"
    ) % {"title": brief.campaign.title, "ask": brief.campaign.ask, "site": site}
    return subject, body


@task
def send_brief(brief_id: int) -> int:
    """E-mail a delivered brief's PDF to each of its targets with an address; return how many.

    One message per target, so no target sees another's address.
    """
    brief = (
        EvidenceBrief.objects.select_related("campaign")
        .filter(pk=brief_id, delivered_at__isnull=False)
        .first()
    )
    if brief is None:
        return 0
    pdf = render_pdf(brief.html)
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _brief_email(brief)
    filename = f"{brief.campaign.slug}-brief-v{brief.version}.pdf"
    sent = 0
    for target in brief.delivered_to.exclude(email="").order_by("pk"):
        message = EmailMessage(subject, body, to=[target.email])
        message.attach(filename, pdf, "application/pdf")
        message.send()
        sent += 1
    return sent
