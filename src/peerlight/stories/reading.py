"""What readers do with stories: leave topics out, say "this helped me", reply.

Readers choose tags and content notes they never want to see; stories that
carry any of them are left out of the list entirely (``leave_out``), not
shown with a warning. A member's choice is kept in ``ReadingFilter``; a
visitor's in the session, so it lasts as long as their visit.

"This helped me" is private: the author sees how many readers said so
(``helped_count``), never who. Marking is idempotent (marking twice is one
mark, taking back an absent mark changes nothing) and the author cannot
mark their own story.

"I've been there too" replies wait for a coordinator. Each one passes
through the safety hook inside the transaction that saves it: a reply
showing current risk (concern or imminent) is held, never shown on its own,
and a coordinator is told (``safety.actions.raise_risk``); the view gives
the writer the safety card.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from peerlight import safety
from peerlight.accounts.models import User
from peerlight.audit.actions import record_change
from peerlight.lib import ratelimit
from peerlight.safety.actions import raise_risk
from peerlight.stories.access import Readable
from peerlight.stories.models import REPLY_MAX, HelpedMark, ReadingFilter, Reply, Story

SESSION_KEY = "stories_hidden"
REPLY_SAFETY_SOURCE = "stories.reply"
# Enough for a lively conversation, too few to flood the moderators.
REPLY_POLICY = ratelimit.Policy("story-reply", limit=10, period=60 * 60)
# More codes than any vocabulary holds: a bound on what a session or row keeps.
MOST_HIDDEN = 100


class ReadingError(Exception):
    """A reader's action refused; ``message`` says why in words for them."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = str(message)


# --- Topics a reader never wants to see ------------------------------------------------


@dataclass(frozen=True)
class Hidden:
    """The tags and content notes a reader chose not to see."""

    tags: frozenset[str] = frozenset()
    notes: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.tags or self.notes)

    def hides(self, tags: Iterable[str], notes: Iterable[str]) -> bool:
        return not (self.tags.isdisjoint(tags) and self.notes.isdisjoint(notes))


def _codes(values: object) -> frozenset[str]:
    if not isinstance(values, list | tuple | set | frozenset):
        return frozenset()
    return frozenset(str(value) for value in list(values)[:MOST_HIDDEN])


def hidden_for(user: User | None, session: SessionBase) -> Hidden:
    """What ``user`` (None for a visitor, who keeps it in ``session``) chose not to see."""
    if user is not None:
        row = ReadingFilter.objects.filter(reader=user).first()
        if row is None:
            return Hidden()
        return Hidden(_codes(row.hidden_tags), _codes(row.hidden_notes))
    stored = session.get(SESSION_KEY)
    if not isinstance(stored, dict):
        return Hidden()
    return Hidden(_codes(stored.get("tags")), _codes(stored.get("notes")))


def save_hidden(user: User | None, session: SessionBase, hidden: Hidden) -> None:
    """Keep ``hidden`` as ``user``'s choice (in the session for a visitor)."""
    tags, notes = sorted(hidden.tags)[:MOST_HIDDEN], sorted(hidden.notes)[:MOST_HIDDEN]
    if user is None:
        session[SESSION_KEY] = {"tags": tags, "notes": notes}
        return
    with transaction.atomic():
        row, _created = ReadingFilter.objects.select_for_update().get_or_create(reader=user)
        row.hidden_tags, row.hidden_notes = tags, notes
        row.updated_at = timezone.now()
        row.save()
        record_change(user, "stories.filter.change", row, subject=user)


def leave_out(stories: Sequence[Readable], hidden: Hidden) -> list[Readable]:
    """``stories`` without those carrying a tag or content note in ``hidden``."""
    if not hidden:
        return list(stories)
    return [
        item
        for item in stories
        if not hidden.hides(item.version.tags or [], item.version.content_notes or [])
    ]


def with_tag(stories: Sequence[Readable], tag: str) -> list[Readable]:
    return [item for item in stories if tag in (item.version.tags or [])]


# --- "This helped me" ------------------------------------------------------------------


def helped_count(story: Story) -> int:
    """How many readers said the story helped them (all the author ever learns of it)."""
    return HelpedMark.objects.filter(story=story).count()


def has_marked(reader: User, story: Story) -> bool:
    return HelpedMark.objects.filter(story=story, reader=reader).exists()


def mark_helped(reader: User, readable: Readable, *, helped: bool) -> bool:
    """Say (``helped``) or take back that the story helped ``reader``; True if anything changed.

    ``readable`` comes from ``access.readable_story``, so the reader may see
    the story now. The author cannot mark their own story.
    """
    story = readable.story
    if story.author_id == reader.pk:
        raise ReadingError(_("This is your own story, so you cannot mark it as helpful."))
    with transaction.atomic():
        if helped:
            mark, changed = HelpedMark.objects.get_or_create(story=story, reader=reader)
            if changed:
                record_change(reader, "stories.helped.mark", mark, subject=reader)
            return changed
        marks = HelpedMark.objects.select_for_update().filter(story=story, reader=reader)
        mark_ids = list(marks.values_list("pk", flat=True))
        for mark_id in mark_ids:
            record_change(reader, "stories.helped.unmark", ("stories.helpedmark", str(mark_id)))
        marks.delete()
        return bool(mark_ids)


# --- "I've been there too" -------------------------------------------------------------


def is_held(reply: Reply) -> bool:
    """A reply in which the safety check saw current risk: never shown on its own."""
    return reply.safety_level not in ("", "none")


def shown_replies(story: Story) -> list[Reply]:
    """The replies a moderator approved, oldest first, with their writers."""
    return list(
        Reply.objects.filter(story=story, status=Reply.Status.APPROVED)
        .select_related("author")
        .order_by("created_at", "pk")
    )


def write_reply(author: User, readable: Readable, body: str, *, language: str) -> Reply:
    """Keep ``author``'s reply to the story for a coordinator to read first.

    ``ratelimit.RateLimited`` after ``REPLY_POLICY``'s limit; ``ReadingError``
    for an empty or over-long text. A reply showing current risk is held
    (``is_held``) and raises a case for the on-call coordinators, in the
    same transaction.
    """
    text = body.strip()
    if not text:
        raise ReadingError(_("Please write a few words first."))
    if len(text) > REPLY_MAX:
        raise ReadingError(_("Please keep your reply to 1,000 characters or fewer."))
    ratelimit.hit(REPLY_POLICY, str(author.pk))
    with transaction.atomic():
        reply = Reply.objects.create(story=readable.story, author=author, body=text)
        # An imminent level is escalated by the hook itself; concern here is
        # current risk too (the detector already lowers the past and recovery).
        assessment = safety.assess_message(
            text,
            language=language,
            source=REPLY_SAFETY_SOURCE,
            source_id=reply.pk,
            author_id=author.pk,
        )
        if assessment.level == "concern":
            raise_risk(
                person_id=author.pk,
                source=REPLY_SAFETY_SOURCE,
                source_id=reply.pk,
                level=assessment.level,
                reasons=assessment.reasons,
            )
        reply.safety_level = assessment.level
        reply.save(update_fields=["safety_level"])
        record_change(author, "stories.reply.write", reply, subject=author)
    return reply
