"""The author's pages: write a story, "Your stories", one story, its consent.

Thin views over ``stories.actions``. A story that is not the author's looks
exactly like one that does not exist (404). Every form works without
JavaScript: "Preview" and "Show the words" are plain buttons that post.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, login_required
from peerlight.accounts.views import form_methods
from peerlight.lib import ratelimit
from peerlight.stories import access, actions, safe_messaging, vocabulary
from peerlight.stories.author_forms import ConsentForm, StoryForm, WithdrawStoryForm
from peerlight.stories.markdown import render as render_markdown
from peerlight.stories.models import Story, StoryConsent, StoryVersion, sha256_of

Status = Story.Status
# Sending for review runs the safety check; a person needs only a few tries an hour.
SUBMIT_POLICY = ratelimit.Policy("story-submit", limit=10, period=60 * 60)
HASH_SHOWN = 12


def _own_story(request: AuthenticatedHttpRequest, public_id: str) -> Story:
    story = access.own_story(request.user, public_id)
    if story is None:
        raise Http404
    return story


def _add_errors(form: StoryForm | ConsentForm, error: ValidationError) -> None:
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


def _labels(version: StoryVersion | None) -> dict[str, Any]:
    """Words for the codes a version carries, in the active language."""
    if version is None:
        return {}
    language = get_language()
    chosen = vocabulary.prompt(version.prompt) if version.prompt else None
    return {
        "prompt": chosen.in_language(language) if chosen else None,
        "notes": [vocabulary.note_label(code, language) for code in version.content_notes],
        "tags": [vocabulary.tag_label(code, language) for code in version.tags],
    }


# --- Writing -----------------------------------------------------------------------------


def _write_page(
    request: AuthenticatedHttpRequest, form: StoryForm, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "form": form,
        "prompts": [item.in_language(get_language()) for item in vocabulary.prompts()],
        **extra,
    }
    return render(request, "stories/author/write.html", context, status=status)


def _preview(form: StoryForm) -> str:
    return render_markdown(form.cleaned_data["body"])


@form_methods
@login_required
def write(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """A new story (GET the form; POST "Preview" or "Save")."""
    form = StoryForm(request.POST if request.method == "POST" else None)
    if request.method != "POST":
        return _write_page(request, form)
    if not form.is_valid():
        return _write_page(request, form, status=400)
    if "preview" in request.POST:
        return _write_page(request, form, preview=_preview(form))
    try:
        story = actions.start_story(request.user, form.draft())
    except ValidationError as error:
        _add_errors(form, error)
        return _write_page(request, form, status=400)
    flash.success(request, _("Your story is saved as a draft. Next, choose who may read it."))
    return redirect("stories:consent", public_id=story.public_id)


def _with_consent_and_counts(stories: QuerySet[Story]) -> QuerySet[Story]:
    latest = StoryConsent.objects.filter(story=OuterRef("pk")).order_by("-number")
    return stories.annotate(
        consent_audience=Subquery(latest.values("audience")[:1]),
        consent_withdrawn=Subquery(latest.values("withdrawn")[:1]),
        consent_ends_on=Subquery(latest.values("ends_on")[:1]),
        helped=Count("helped_marks", distinct=True),
    )


@require_safe
@login_required
def mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The author's stories, newest first, with where each one stands."""
    stories = _with_consent_and_counts(access.own_stories(request.user)).order_by(
        "-updated_at", "-pk"
    )
    context = {"stories": list(stories), "today": timezone.localdate()}
    return render(request, "stories/author/mine.html", context)


def _passages(story: Story, version: StoryVersion | None) -> list[str] | None:
    """Where to look ("the title", "paragraph 3") when the newest version was sent back.

    None when it was not; the numbers are found again from the text rather
    than stored, so nothing about the passage is written anywhere.
    """
    if (
        version is None
        or version.safety_level != "method"
        or story.status not in actions.SUBMITTABLE
    ):
        return None
    found = safe_messaging.method_detail(version.title, version.body)
    numbers = found.paragraphs if found is not None else ()
    return [
        _("the title")
        if number == safe_messaging.TITLE
        else _("paragraph %(number)d") % {"number": number}
        for number in numbers
    ]


def _story_page(
    request: AuthenticatedHttpRequest,
    story: Story,
    form: StoryForm | None = None,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    version = story.latest_version
    editable = story.status in actions.EDITABLE
    if editable and form is None:
        form = StoryForm.for_version(version)
    consent = access.latest_consent(story)
    context = {
        "story": story,
        "version": version,
        "labels": _labels(version),
        "editable": editable,
        "form": form,
        "body_html": render_markdown(version.body) if version and not editable else "",
        "consent": consent,
        "consent_in_force": access.consent_in_force(story) is not None,
        "may_submit": story.status in actions.SUBMITTABLE,
        "method_passages": _passages(story, version),
        "held": story.held_for_safety and story.status == Status.SUBMITTED,
        "withdraw_form": WithdrawStoryForm(),
        "prompts": [item.in_language(get_language()) for item in vocabulary.prompts()],
        **extra,
    }
    return render(request, "stories/author/story.html", context, status=status)


@form_methods
@login_required
def edit(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponseBase:
    """One of the author's stories: where it stands and its words (GET); "Preview", "Save"."""
    story = _own_story(request, public_id)
    if request.method != "POST":
        return _story_page(request, story)
    if story.status not in actions.EDITABLE:
        problem = actions.not_editable_reason(story)
        return _story_page(request, story, status=400, problem=problem)
    form = StoryForm.for_version(story.latest_version, request.POST)
    if not form.is_valid():
        return _story_page(request, story, form, status=400)
    if "preview" in request.POST:
        return _story_page(request, story, form, preview=_preview(form))
    try:
        changed = actions.save_story(request.user, story, form.draft())
    except ValidationError as error:
        _add_errors(form, error)
        return _story_page(request, story, form, status=400)
    except actions.StoryError as refused:
        form.add_error(None, refused.message)
        return _story_page(request, story, form, status=400)
    if changed:
        flash.success(request, _("Your changes are saved."))
    else:
        flash.info(request, _("Nothing had changed, so there was nothing to save."))
    return redirect("stories:edit", public_id=story.public_id)


def _submitted_message(outcome: actions.Submitted) -> str | None:
    if outcome.outcome == "queued":
        return _(
            "Thank you for sharing your story. A moderator will read it, usually within a "
            "few days, and you will find the answer here."
        )
    return None


@require_POST
@login_required
def submit(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponseBase:
    """Send the story for review; the page then says what happened."""
    story = _own_story(request, public_id)
    try:
        ratelimit.hit(SUBMIT_POLICY, str(request.user.pk))
        outcome = actions.submit(request.user, story)
    except ratelimit.RateLimited as limited:
        flash.error(request, limited.message())
    except actions.StoryError as refused:
        flash.error(request, refused.message)
    else:
        if (message := _submitted_message(outcome)) is not None:
            flash.success(request, message)
    return redirect("stories:edit", public_id=story.public_id)


@require_POST
@login_required
def withdraw(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponseBase:
    """Withdraw the story for good, once the author ticked that they mean it."""
    story = _own_story(request, public_id)
    form = WithdrawStoryForm(request.POST)
    if not form.is_valid():
        return _story_page(request, story, status=400, withdraw_form=form)
    try:
        actions.withdraw_story(request.user, story)
    except actions.StoryError as refused:
        flash.error(request, refused.message)
        return redirect("stories:edit", public_id=story.public_id)
    flash.success(
        request, _("Your story is withdrawn. It is no longer shown or used anywhere on this site.")
    )
    return redirect("stories:mine")


# --- Consent -----------------------------------------------------------------------------


def _consent_page(
    request: AuthenticatedHttpRequest,
    story: Story,
    form: ConsentForm,
    *,
    status: int = 200,
    document: str = "",
    changed: bool = False,
) -> HttpResponse:
    history = list(StoryConsent.objects.filter(story=story).order_by("-number"))
    context = {
        "story": story,
        "version": story.latest_version,
        "form": form,
        "document": document,
        "document_sha256": sha256_of(document) if document else "",
        "replay": _replay(form) if document else [],
        "words_changed": changed,
        "history": history,
        "hash_shown": HASH_SHOWN,
        "in_force": access.consent_in_force(story),
        "latest": history[0] if history else None,
        "has_campaigns": bool(form.fields["campaigns"].choices),  # type: ignore[attr-defined]
    }
    return render(request, "stories/author/consent.html", context, status=status)


def _replay(form: ConsentForm) -> list[tuple[str, str]]:
    """The choices as (name, value) pairs, to post again with "I agree".

    Written as plain hidden inputs without ids: the visible form on the same
    page already uses the fields' ids.
    """
    data = form.data
    return [
        (name, str(value))
        for name in form.fields
        for value in (data.getlist(name) if hasattr(data, "getlist") else [data.get(name, "")])
    ]


def _words_for(request: AuthenticatedHttpRequest, story: Story, form: ConsentForm) -> str:
    """The words the author would agree to with the form's choices, as the next version."""
    number = actions.next_consent_number(story)
    words = actions.consent_words(
        request.user, form.choices(), number=number, language=get_language()
    )
    return words.text


@form_methods
@login_required
def consent(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponseBase:
    """The author's choices for a story and their history (GET); the words, then "I agree" (POST).

    The first POST shows the exact words the choices make; agreeing posts
    them again with the hash of the words shown, and they are saved only if
    the words are still the same.
    """
    story = _own_story(request, public_id)
    if request.method != "POST":
        return _consent_page(request, story, ConsentForm.for_consent(access.latest_consent(story)))
    form = ConsentForm(request.POST)
    if story.status == Status.WITHDRAWN:
        # The page says why; a withdrawn story is not used whatever is chosen.
        return _consent_page(request, story, form, status=400)
    if not form.is_valid():
        return _consent_page(request, story, form, status=400)
    words = _words_for(request, story, form)
    if "agree" not in request.POST or request.POST.get("words_sha256") != sha256_of(words):
        # Agreeing to words other than those shown (the choices changed on
        # the way) shows the new words first.
        changed = "agree" in request.POST
        return _consent_page(request, story, form, document=words, changed=changed)
    try:
        saved = actions.change_consent(
            request.user, story, form.choices(), language=get_language()
        )
    except ValidationError as error:
        _add_errors(form, error)
        return _consent_page(request, story, form, status=400)
    except actions.StoryError as refused:
        form.add_error(None, refused.message)
        return _consent_page(request, story, form, status=400)
    if saved is None:
        flash.info(request, _("These were already your choices, so nothing changed."))
    else:
        flash.success(request, _("Your choices are saved and apply everywhere from now on."))
    return redirect("stories:edit", public_id=story.public_id)


@require_POST
@login_required
def consent_withdraw(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponseBase:
    """Withdraw consent: the story leaves every page and campaign at once."""
    story = _own_story(request, public_id)
    try:
        actions.withdraw_consent(request.user, story, language=get_language())
    except actions.StoryError as refused:
        flash.error(request, refused.message)
    else:
        flash.success(
            request,
            _(
                "You withdrew your consent. Your story is no longer shown or used anywhere. "
                "You can give consent again at any time."
            ),
        )
    return redirect("stories:consent", public_id=story.public_id)
