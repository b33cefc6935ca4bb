"""Reads of stories with consent built in: the only way a story reaches a reader or a campaign.

Every read checks the consent in force (the latest ``StoryConsent`` row of the
story, not withdrawn and not past its end date) at the moment of reading, so
a change of consent takes effect on every page, campaign and future brief at
once, with no copy to chase. Stories that are not yours and stories that do
not exist look the same (``None``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from peerlight.accounts.models import ConsentEvent, ConsentPurpose, Role, User
from peerlight.stories.models import Story, StoryConsent, StoryVersion


def is_coordinator(user: User | AnonymousUser) -> bool:
    return isinstance(user, User) and user.is_active and user.has_role(Role.COORDINATOR)


def consent_in_force(story: Story, today: datetime.date | None = None) -> StoryConsent | None:
    """The consent row that holds for ``story`` now, or None (never given, withdrawn, ended)."""
    latest = StoryConsent.objects.filter(story=story).order_by("-number").first()
    return latest if latest is not None and holds(latest, today) else None


def holds(consent: StoryConsent, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    return not consent.withdrawn and (consent.ends_on is None or consent.ends_on >= today)


def latest_consent(story: Story) -> StoryConsent | None:
    """The newest consent row, in force or not (the author's own view)."""
    return StoryConsent.objects.filter(story=story).order_by("-number").first()


def _with_consent(stories: QuerySet[Story]) -> QuerySet[Story]:
    latest = StoryConsent.objects.filter(story=OuterRef("pk")).order_by("-number")
    return stories.annotate(consent_id=Subquery(latest.values("pk")[:1]))


def _published() -> QuerySet[Story]:
    return Story.objects.filter(
        status=Story.Status.PUBLISHED,
        held_for_safety=False,
        published_version__isnull=False,
    )


@dataclass(frozen=True)
class Readable:
    """A published story as a reader may see it, with its byline under the consent in force."""

    story: Story
    version: StoryVersion
    consent: StoryConsent
    byline: str


def byline(story: Story, consent: StoryConsent) -> str:
    if consent.attribution == StoryConsent.Attribution.DISPLAY_NAME:
        return story.author.display_name
    if consent.attribution == StoryConsent.Attribution.OTHER_NAME and consent.other_name:
        return consent.other_name
    return _("Anonymous")


def _readables(stories: Iterable[Story], consents: dict[int, StoryConsent]) -> list[Readable]:
    found = []
    for story in stories:
        consent = consents.get(story.pk)
        version = story.published_version
        if consent is None or version is None:
            continue
        found.append(Readable(story, version, consent, byline(story, consent)))
    return found


def _consents_in_force(stories: list[Story]) -> dict[int, StoryConsent]:
    ids = [getattr(story, "consent_id", None) for story in stories]
    rows = StoryConsent.objects.in_bulk([pk for pk in ids if pk is not None])
    today = timezone.localdate()
    return {row.story_id: row for row in rows.values() if holds(row, today)}


def readable_stories(viewer: User | AnonymousUser) -> list[Readable]:
    """Published stories ``viewer`` may read, newest first: public ones for everyone,
    members-only ones for signed-in members."""
    stories = list(_with_consent(_published()).select_related("author", "published_version"))
    consents = _consents_in_force(stories)
    signed_in = isinstance(viewer, User) and viewer.is_active
    allowed = {
        pk: consent
        for pk, consent in consents.items()
        if signed_in or consent.audience == StoryConsent.Audience.PUBLIC
    }
    return _readables(stories, allowed)


def readable_story(viewer: User | AnonymousUser, public_id: str) -> Readable | None:
    """One story for ``viewer``, or None when it is not there or not theirs to read."""
    story = (
        _published()
        .select_related("author", "published_version")
        .filter(public_id=public_id)
        .first()
    )
    if story is None:
        return None
    consent = consent_in_force(story)
    if consent is None:
        return None
    signed_in = isinstance(viewer, User) and viewer.is_active
    if consent.audience != StoryConsent.Audience.PUBLIC and not signed_in:
        return None
    version = story.published_version
    assert version is not None  # _published() filters on it
    return Readable(story, version, consent, byline(story, consent))


def advocacy_withdrawn(author_ids: Iterable[int]) -> set[int]:
    """The authors among ``author_ids`` who withdrew "use of my stories in advocacy".

    That consent (``ConsentPurpose.STORY_ADVOCACY``, on the privacy centre's
    consents page) is account-wide: withdrawn, it takes every story of the
    person out of campaigns whatever each story's own consent says. Never
    answered, each story's own consent decides.
    """
    ids = set(author_ids)
    if not ids:
        return set()
    latest = ConsentEvent.objects.filter(
        user=OuterRef("user"), purpose=ConsentPurpose.STORY_ADVOCACY
    ).order_by("-created_at", "-id")
    rows = (
        ConsentEvent.objects.filter(user_id__in=ids, purpose=ConsentPurpose.STORY_ADVOCACY)
        .annotate(newest=Subquery(latest.values("pk")[:1]))
        .filter(pk=F("newest"), action=ConsentEvent.Action.WITHDRAW)
        .values_list("user_id", flat=True)
    )
    return set(rows)


def covers_campaign(consent: StoryConsent, campaign_id: int) -> bool:
    """May a story under ``consent`` be used in campaign ``campaign_id``?"""
    if consent.advocacy == StoryConsent.Advocacy.ANY:
        return True
    return consent.advocacy == StoryConsent.Advocacy.CHOSEN and campaign_id in (
        consent.campaign_ids or []
    )


def stories_for_campaign(
    campaign_id: int, *, tags: Iterable[str] = (), limit: int | None = None
) -> list[Readable]:
    """Published stories whose consent in force allows campaign ``campaign_id``.

    With ``tags``, only stories sharing at least one tag, those sharing most
    first; otherwise newest first.
    """
    wanted = set(tags)
    stories = list(_with_consent(_published()).select_related("author", "published_version"))
    consents = {
        pk: consent
        for pk, consent in _consents_in_force(stories).items()
        if covers_campaign(consent, campaign_id)
    }
    author_of = {story.pk: story.author_id for story in stories}
    withdrawn = advocacy_withdrawn(author_of[pk] for pk in consents)
    consents = {pk: consent for pk, consent in consents.items() if author_of[pk] not in withdrawn}
    found = _readables(stories, consents)
    if wanted:
        found = [item for item in found if wanted & set(item.version.tags)]
        found.sort(key=lambda item: -len(wanted & set(item.version.tags)))
    return found[:limit] if limit is not None else found


def story_for_campaign(story_id: int, campaign_id: int) -> Readable | None:
    """One story, if its consent in force allows campaign ``campaign_id`` now."""
    story = _published().select_related("author", "published_version").filter(pk=story_id).first()
    if story is None:
        return None
    consent = consent_in_force(story)
    if consent is None or not covers_campaign(consent, campaign_id):
        return None
    if advocacy_withdrawn([story.author_id]):
        return None
    version = story.published_version
    assert version is not None
    return Readable(story, version, consent, byline(story, consent))


def own_stories(author: User) -> QuerySet[Story]:
    return Story.objects.filter(author=author).select_related(
        "latest_version", "published_version"
    )


def own_story(author: User, public_id: str) -> Story | None:
    """The author's own story, or None for someone else's and for none at all."""
    return own_stories(author).filter(public_id=public_id).first()


def own_stories_for_campaign(author: User, campaign_id: int) -> list[Readable]:
    """The author's published stories that may be used in campaign ``campaign_id``."""
    return [
        item for item in stories_for_campaign(campaign_id) if item.story.author_id == author.pk
    ]
