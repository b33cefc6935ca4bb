"""The Atom feed of public stories (``/stories/feed.atom``).

Only stories whose consent in force says "anyone" are in it, read through
``access.readable_stories`` as a visitor at the moment the feed is asked
for, so a story whose consent changed, ended or was withdrawn is gone from
the next read of the feed; a members-only story is never in it. Each entry
carries the byline the author consented to and the story as sanitised HTML
(``stories.markdown.render``), its content notes before the text.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.http import require_safe

from peerlight.stories import access, vocabulary
from peerlight.stories.access import Readable
from peerlight.stories.markdown import render as render_markdown
from peerlight.stories.models import StoryConsent

FEED_LENGTH = 50


class StoryAtomFeed(Atom1Feed):
    """Atom with each story's full text as ``<content type="html">``."""

    def add_item_elements(self, handler: SimplerXMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


def public_stories() -> list[Readable]:
    """The newest stories anyone may read, as a visitor sees them now."""
    return [
        item
        for item in access.readable_stories(AnonymousUser())
        if item.consent.audience == StoryConsent.Audience.PUBLIC
    ][:FEED_LENGTH]


def story_html(item: Readable) -> str:
    """The story as sanitised HTML, after a line with its content notes (if any)."""
    body = render_markdown(item.version.body)
    language = get_language()
    notes = [vocabulary.note_label(code, language) for code in item.version.content_notes]
    if not notes:
        return str(body)
    return str(
        format_html("<p><strong>{}</strong> {}</p>{}", _("Content notes:"), ", ".join(notes), body)
    )


class PublicStoriesFeed(Feed[Readable, None]):
    feed_type = StoryAtomFeed

    def title(self) -> str:
        return _("Stories of lived experience")

    def subtitle(self) -> str:
        return _("Stories shared by the people who lived them, with their consent.")

    def link(self) -> str:
        return reverse("stories:list")

    def feed_url(self) -> str:
        return reverse("stories:feed")

    def language(self) -> str:  # type: ignore[override]
        return get_language() or "en"

    def items(self) -> list[Readable]:
        return public_stories()

    def item_title(self, item: Readable) -> str:
        return item.version.title

    def item_description(self, item: Readable) -> str:
        """The summary: the content notes first, so a feed reader shows them before the text."""
        notes = [
            vocabulary.note_label(code, get_language()) for code in item.version.content_notes
        ]
        if notes:
            return _("Content notes: %(notes)s") % {"notes": ", ".join(notes)}
        return _("A story of lived experience by %(name)s.") % {"name": item.byline}

    def item_link(self, item: Readable) -> str:
        return reverse("stories:read", args=[item.story.public_id])

    def item_author_name(self, item: Readable) -> str:
        return item.byline

    def item_pubdate(self, item: Readable) -> datetime.datetime | None:
        return item.story.published_at

    def item_updateddate(self, item: Readable) -> datetime.datetime | None:
        return item.story.published_at

    def item_categories(self, item: Readable) -> list[str]:
        return [vocabulary.tag_label(code, get_language()) for code in item.version.tags]

    def item_extra_kwargs(self, item: Readable) -> dict[str, Any]:
        return {"content": story_html(item)}


_public_feed = PublicStoriesFeed()


@require_safe
def public_feed(request: HttpRequest) -> HttpResponse:
    """The Atom feed of public stories (GET and HEAD only)."""
    response: HttpResponse = _public_feed(request)
    return response
