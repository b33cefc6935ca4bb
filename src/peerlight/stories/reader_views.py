"""Reading stories: the list, a story's page, the topics left out, "this helped me", replies.

Thin views over ``stories.access`` (what the viewer may read, with the
consent in force checked at every request) and ``stories.reading`` (the
readers' writes). A story that is not there and one the viewer may not
read give the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, login_required
from peerlight.accounts.models import User
from peerlight.accounts.views import form_methods
from peerlight.lib.ratelimit import RateLimited
from peerlight.stories import access, reading, vocabulary
from peerlight.stories.access import Readable
from peerlight.stories.markdown import render as render_markdown
from peerlight.stories.models import StoryConsent
from peerlight.stories.reader_forms import FilterForm, HelpedForm, ListForm, ReplyForm

PER_PAGE = 10


def _viewer(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated and user.is_active else None


def _readable(request: HttpRequest, public_id: str) -> Readable:
    """The story if the viewer may read it now; else 404."""
    readable = access.readable_story(request.user, public_id)
    if readable is None:
        raise Http404
    return readable


def story_url(readable: Readable) -> str:
    return reverse("stories:read", args=[readable.story.public_id])


def is_public(readable: Readable) -> bool:
    return readable.consent.audience == StoryConsent.Audience.PUBLIC


@dataclass(frozen=True)
class Card:
    """One story in the list, with its notes and tags in the reader's words."""

    item: Readable
    url: str
    notes: list[str]
    tags: list[tuple[str, str]]


def _notes(readable: Readable, language: str | None) -> list[str]:
    return [vocabulary.note_label(code, language) for code in readable.version.content_notes]


def _tags(readable: Readable, language: str | None) -> list[tuple[str, str]]:
    return [(code, vocabulary.tag_label(code, language)) for code in readable.version.tags]


def _card(readable: Readable, language: str | None) -> Card:
    return Card(
        readable, story_url(readable), _notes(readable, language), _tags(readable, language)
    )


def _query(**values: Any) -> str:
    return "?" + urlencode({key: value for key, value in values.items() if value})


@require_safe
def story_list(request: HttpRequest) -> HttpResponse:
    """Published stories the viewer may read, without the topics they chose not to see."""
    language = get_language()
    viewer = _viewer(request)
    form = ListForm(request.GET)
    hidden = reading.hidden_for(viewer, request.session)
    stories = reading.leave_out(access.readable_stories(request.user), hidden)
    tag = form.chosen_tag()
    if tag:
        stories = reading.with_tag(stories, tag)
    page = Paginator(stories, PER_PAGE).get_page(form.page_number())
    context = {
        "form": form,
        "page": page,
        "cards": [_card(item, language) for item in page],
        "tag": tag,
        "tag_label": vocabulary.tag_label(tag, language) if tag else "",
        "hidden_count": len(hidden.tags) + len(hidden.notes),
        "can_review": viewer is not None and access.is_coordinator(viewer),
        "previous_url": _query(tag=tag, page=page.previous_page_number())
        if page.has_previous()
        else "",
        "next_url": _query(tag=tag, page=page.next_page_number()) if page.has_next() else "",
    }
    status = 200 if form.is_valid() else 400
    return render(request, "stories/reader/list.html", context, status=status)


def _share_links(request: HttpRequest, readable: Readable) -> dict[str, str]:
    address = request.build_absolute_uri(story_url(readable))
    title = readable.version.title
    mail = urlencode({"subject": title, "body": f"{title}\n{address}"}, quote_via=quote)
    return {"address": address, "mail": f"mailto:?{mail}", "title": title}


def _story_page(
    request: HttpRequest,
    readable: Readable,
    *,
    reply_form: ReplyForm | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    viewer = _viewer(request)
    language = get_language()
    story = readable.story
    is_author = viewer is not None and story.author_id == viewer.pk
    hidden = reading.hidden_for(viewer, request.session)
    # A story reached by a link, carrying a topic the reader chose not to see,
    # waits behind its notes until they ask for it.
    held_back = (
        not is_author
        and hidden.hides(readable.version.tags, readable.version.content_notes)
        and request.GET.get("show") != "1"
    )
    context = {
        "item": readable,
        "body": "" if held_back else render_markdown(readable.version.body),
        "held_back": held_back,
        "notes": _notes(readable, language),
        "tags": _tags(readable, language),
        "replies": reading.shown_replies(story),
        "is_author": is_author,
        "helped": viewer is not None and not is_author and reading.has_marked(viewer, story),
        "helped_count": reading.helped_count(story) if is_author else None,
        "reply_form": reply_form or ReplyForm(),
        "share": _share_links(request, readable) if is_public(readable) else None,
        "can_review": viewer is not None and access.is_coordinator(viewer),
        "problem": problem,
    }
    return render(request, "stories/reader/story.html", context, status=status)


@require_safe
def read(request: HttpRequest, public_id: str) -> HttpResponse:
    """One story: its content notes first, then the text, tags, replies and share links."""
    return _story_page(request, _readable(request, public_id))


@require_POST
@login_required
def helped(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponseBase:
    """Say privately that the story helped (or take it back); the author sees a count."""
    readable = _readable(request, public_id)
    form = HelpedForm(request.POST)
    if not form.is_valid():
        problem = _("Please say whether the story helped you.")
        return _story_page(request, readable, problem=problem, status=400)
    try:
        reading.mark_helped(request.user, readable, helped=form.marks())
    except reading.ReadingError as refused:
        return _story_page(request, readable, problem=refused.message, status=403)
    if form.marks():
        flash.success(request, _("Thank you. The author will know it helped someone."))
    else:
        flash.success(request, _("Taken back."))
    return redirect(story_url(readable) + "#helped")


@require_POST
@login_required
def reply(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponseBase:
    """Send an "I've been there too" reply for a coordinator to read before it is shown."""
    readable = _readable(request, public_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _story_page(request, readable, reply_form=form, status=400)
    try:
        sent = reading.write_reply(
            request.user, readable, form.cleaned_data["body"], language=get_language() or "en"
        )
    except RateLimited as limited:
        form.add_error(None, limited.message())
        return _story_page(request, readable, reply_form=form, status=429)
    except reading.ReadingError as refused:
        form.add_error("body", refused.message)
        return _story_page(request, readable, reply_form=form, status=400)
    if reading.is_held(sent):
        context = {"item": readable, "story_url": story_url(readable)}
        return render(request, "stories/reader/reply_held.html", context)
    flash.success(
        request, _("Thank you. Your reply will be shown once a coordinator has read it.")
    )
    return redirect(story_url(readable) + "#replies")


@form_methods
def filters(request: HttpRequest) -> HttpResponseBase:
    """Choose the topics and content notes never to be listed (kept for the visit, or the
    account)."""
    viewer = _viewer(request)
    if request.method != "POST":
        form = FilterForm.showing(reading.hidden_for(viewer, request.session))
        return render(request, "stories/reader/filters.html", {"form": form})
    form = FilterForm(request.POST)
    if not form.is_valid():
        return render(request, "stories/reader/filters.html", {"form": form}, status=400)
    reading.save_hidden(viewer, request.session, form.hidden())
    flash.success(request, _("Saved. Stories with those topics are left out of your list."))
    return redirect("stories:list")
