"""The review area: the queue, a story's review page, and replies waiting for a decision.

Coordinators only, after their second factor (``staff_required``); anyone
else is told the pages are not there. Opening a story or a reply for review
is written to the audit log before its text is shown. A story or reply the
safety check held shows only a banner until the coordinator chooses to
open it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages as flash
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, staff_required
from peerlight.accounts.models import Role
from peerlight.audit.actions import record_read
from peerlight.stories import access, diff, moderation, reading, vocabulary
from peerlight.stories.markdown import render as render_markdown
from peerlight.stories.models import Reply, Story, StoryVersion
from peerlight.stories.moderation import RULES, ModerationError, Move
from peerlight.stories.moderation_forms import CompareForm, MoveForm, ReplyDecisionForm

DONE = {
    Move.START_REVIEW: gettext_lazy("The review has started."),
    Move.REQUEST_CHANGES: gettext_lazy("The story is back with its author, with your note."),
    Move.PUBLISH: gettext_lazy("The story is published."),
    Move.UNPUBLISH: gettext_lazy("The story is taken down and back with its author."),
    Move.RELEASE_HOLD: gettext_lazy("The safety hold is released."),
}


def _story(public_id: str) -> Story:
    story = moderation.story_for_review(public_id)
    if story is None:
        raise Http404
    return story


def _reply(reply_id: int) -> Reply:
    reply = moderation.reply_for_review(reply_id)
    if reply is None:
        raise Http404
    return reply


# --- The queue -------------------------------------------------------------------------


@require_safe
@staff_required(Role.COORDINATOR)
def review_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Stories sent for review, in review and back with their authors; replies waiting."""
    stories = list(moderation.review_queue())
    context = {
        "waiting": [s for s in stories if s.status == Story.Status.SUBMITTED],
        "in_review": [s for s in stories if s.status == Story.Status.IN_REVIEW],
        "with_author": [s for s in stories if s.status == Story.Status.CHANGES_REQUESTED],
        "replies": list(moderation.pending_replies()),
        "published": moderation.recently_published(),
    }
    return render(request, "stories/moderation/queue.html", context)


# --- A story ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """What changed from ``base`` to the version under review."""

    base: StoryVersion
    title: list[diff.Piece]
    body: list[diff.Piece]
    added_words: int
    removed_words: int
    notes_added: list[str]
    notes_removed: list[str]
    tags_added: list[str]
    tags_removed: list[str]


def _note_labels(codes: Iterable[str]) -> list[str]:
    return [vocabulary.note_label(code, get_language()) for code in codes]


def _tag_labels(codes: Iterable[str]) -> list[str]:
    return [vocabulary.tag_label(code, get_language()) for code in codes]


def _compare(base: StoryVersion, version: StoryVersion) -> Comparison:
    body = diff.diff_words(base.body, version.body)
    added, removed = diff.counts(body)
    notes = diff.diff_choices(base.content_notes, version.content_notes)
    tags = diff.diff_choices(base.tags, version.tags)
    return Comparison(
        base=base,
        title=diff.diff_words(base.title, version.title),
        body=body,
        added_words=added,
        removed_words=removed,
        notes_added=_note_labels(notes.added),
        notes_removed=_note_labels(notes.removed),
        tags_added=_tag_labels(tags.added),
        tags_removed=_tag_labels(tags.removed),
    )


def _comparison_form(
    request: AuthenticatedHttpRequest, story: Story, version: StoryVersion
) -> tuple[CompareForm, StoryVersion | None]:
    """The form choosing the version to compare with, and that version (None: the first)."""
    versions = moderation.versions_of(story)
    if "compare" in request.GET:
        form = CompareForm(versions, version.number, request.GET)
        chosen = form.chosen()
        if chosen is not None:
            return form, next((v for v in versions if v.number == chosen), None)
        return form, moderation.comparison_base(story, version)
    base = moderation.comparison_base(story, version)
    initial = {"compare": base.number} if base is not None else {}
    return CompareForm(versions, version.number, initial=initial), base


def _moves(story: Story) -> list[Move]:
    """The moves the table allows from the story's status now."""
    return [
        move
        for move in Move
        if story.status in RULES[move].start
        and (move is not Move.RELEASE_HOLD or story.held_for_safety)
    ]


def _review_page(
    request: AuthenticatedHttpRequest,
    story: Story,
    *,
    form: MoveForm | None = None,
    problem: str = "",
    opened: bool = False,
    status: int = 200,
) -> HttpResponse:
    version = moderation.under_review(story)
    # A story held for safety shows its text only when asked for, and that is recorded.
    show_text = version is not None and (not story.held_for_safety or opened)
    context: dict[str, Any] = {
        "story": story,
        "version": version,
        "show_text": show_text,
        "form": form or MoveForm(),
        "problem": problem,
        "moves": _moves(story),
        "consent": access.consent_in_force(story),
        "safety_case": moderation.safety_case(moderation.STORY_SAFETY_SOURCE, story.pk),
        "Move": {move.name: move.value for move in Move},
    }
    if show_text and version is not None:
        record_read(request.user, "stories.story.review_read", story, subject=story.author)
        compare_form, base = _comparison_form(request, story, version)
        comparison = _compare(base, version) if base is not None else None
        context |= {
            "compare_form": compare_form,
            "body": render_markdown(version.body),
            "comparison": comparison,
            "notes": _note_labels(version.content_notes),
            "tags": _tag_labels(version.tags),
        }
    return render(request, "stories/moderation/review.html", context, status=status)


@require_safe
@staff_required(Role.COORDINATOR)
def review(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    """A story under review: its text, what changed since the version before, and the moves."""
    story = _story(public_id)
    return _review_page(request, story, opened=request.GET.get("open") == "1")


@require_POST
@staff_required(Role.COORDINATOR)
def decide(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponseBase:
    """Make one move on a story: start the review, ask for changes, publish, take down,
    release the safety hold."""
    story = _story(public_id)
    form = MoveForm(request.POST)
    opened = request.POST.get("opened") == "1"
    if not form.is_valid():
        return _review_page(request, story, form=form, opened=opened, status=400)
    try:
        moderation.make_move(
            request.user,
            story,
            form.chosen_move(),
            note=form.note_text(),
            version_number=form.version_number(),
        )
    except ModerationError as refused:
        return _review_page(
            request, story, form=form, problem=refused.message, opened=opened, status=400
        )
    flash.success(request, str(DONE[form.chosen_move()]))
    return redirect("stories:review", public_id=story.public_id)


# --- Replies ---------------------------------------------------------------------------


def _reply_page(
    request: AuthenticatedHttpRequest,
    reply: Reply,
    *,
    form: ReplyDecisionForm | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    record_read(request.user, "stories.reply.review_read", reply, subject=reply.author)
    context = {
        "reply": reply,
        "held": reading.is_held(reply),
        "form": form or ReplyDecisionForm(),
        "problem": problem,
        "safety_case": moderation.safety_case(reading.REPLY_SAFETY_SOURCE, reply.pk),
    }
    return render(request, "stories/moderation/reply.html", context, status=status)


@require_safe
@staff_required(Role.COORDINATOR)
def reply_review(request: AuthenticatedHttpRequest, reply_id: int) -> HttpResponse:
    """One reply, read in full (recorded), with the choice to show it or not."""
    return _reply_page(request, _reply(reply_id))


@require_POST
@staff_required(Role.COORDINATOR)
def reply_decide(request: AuthenticatedHttpRequest, reply_id: int) -> HttpResponseBase:
    """Show a reply under its story, or keep it from being shown."""
    reply = _reply(reply_id)
    form = ReplyDecisionForm(request.POST)
    if not form.is_valid():
        return _reply_page(request, reply, form=form, status=400)
    try:
        if form.approves():
            moderation.approve_reply(request.user, reply, safety_checked=form.checked())
        else:
            moderation.decline_reply(request.user, reply)
    except ModerationError as refused:
        return _reply_page(request, reply, form=form, problem=refused.message, status=400)
    if form.approves():
        flash.success(request, _("The reply is shown under the story."))
    else:
        flash.success(request, _("The reply will not be shown."))
    return redirect("stories:review_queue")
