"""Answers and accountability: a target's answer page, the coordinators' tracker, members' news.

The answer page needs no account: its address carries the key, so it is
never written to the logs (as the circles' private calendar). Everything it
shows of the people who acted is a count with small cells suppressed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
)
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, login_required
from peerlight.advocacy import access, accountability, figures, notices
from peerlight.advocacy.accountability_forms import (
    AnswerForm,
    AnswerLinkForm,
    CommitmentForm,
    VisibilityForm,
)
from peerlight.advocacy.brief_views import coordinators_only
from peerlight.advocacy.models import AnswerLink, Campaign, TargetAnswer
from peerlight.lib.views import unlogged

# --- A member's news -------------------------------------------------------------------


@require_safe
@login_required
def news(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What came of the campaigns the member acted on; opening the page marks it all seen."""
    items = notices.notices_of(request.user)
    context = {
        "items": [
            {"notice": notice, "text": notices.notice_sentence(notice.kind)} for notice in items
        ],
    }
    response = render(request, "advocacy/briefs/news.html", context)
    notices.mark_all_seen(request.user)
    return response


# --- The target's answer page ----------------------------------------------------------


def _answer_page(
    request: HttpRequest, link: AnswerLink, form: AnswerForm | None, *, status: int = 200
) -> HttpResponse:
    context = {
        "link": link,
        "campaign": link.campaign,
        "target": link.target,
        "counts": figures.acted_counts(link.campaign, link.target),
        "form": form,
        "answered": accountability.has_answered(link),
    }
    return render(request, "advocacy/briefs/answer.html", context, status=status)


def answer(request: HttpRequest, token: str) -> HttpResponse:
    """A target reads the counts of who acted and answers them publicly, once.

    Checks the method itself: ``require_http_methods`` would log the path.
    """
    if request.method not in ("GET", "HEAD", "POST"):
        refused = HttpResponseNotAllowed(["GET", "HEAD", "POST"])
        return unlogged(refused, "Method Not Allowed: an answer link")
    link = accountability.link_for_token(token)
    if link is None:
        missing = render(request, "404.html", status=404)
        return unlogged(missing, "Not Found: an answer link that does not work")
    if request.method != "POST":
        return _answer_page(request, link, AnswerForm())
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return unlogged(_answer_page(request, link, form, status=400), "Bad answer form")
    try:
        accountability.answer_campaign(link, form.cleaned_data["body"])
    except accountability.AccountabilityError as refused:
        form.add_error(None, refused.message)
        return unlogged(_answer_page(request, link, form, status=400), "Answer refused")
    return render(request, "advocacy/briefs/answered.html", {"campaign": link.campaign})


# --- The coordinators' tracker ---------------------------------------------------------


def _manage_page(
    request: AuthenticatedHttpRequest,
    campaign: Campaign,
    *,
    link_form: AnswerLinkForm | None = None,
    commitment_form: CommitmentForm | None = None,
    new_link: str = "",
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "campaign": campaign,
        "link_form": link_form or AnswerLinkForm(campaign),
        "commitment_form": commitment_form or CommitmentForm(campaign),
        "links": accountability.answer_links_of(campaign),
        "answers": TargetAnswer.objects.filter(campaign=campaign)
        .select_related("target")
        .order_by("-created_at", "-pk"),
        "commitments": accountability.commitments_of(campaign),
        "new_link": new_link,
    }
    return render(request, "advocacy/briefs/accountability.html", context, status=status)


@require_safe
@coordinators_only
def manage(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Answer links, the targets' answers and the tracker of a campaign."""
    return _manage_page(request, access.campaign_at(slug))


@require_POST
@coordinators_only
def link_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Make an answer link; the page shows it this once."""
    campaign = access.campaign_at(slug)
    form = AnswerLinkForm(campaign, request.POST)
    if not form.is_valid():
        return _manage_page(request, campaign, link_form=form, status=400)
    try:
        made = accountability.make_answer_link(
            request.user, campaign, form.cleaned_data["target"], form.cleaned_data["days"]
        )
    except accountability.AccountabilityError as refused:
        form.add_error(None, refused.message)
        return _manage_page(request, campaign, link_form=form, status=400)
    address = settings.PEERLIGHT_BASE_URL + reverse("advocacy:answer", args=[made.token])
    return _manage_page(request, campaign, new_link=address)


@require_POST
@coordinators_only
def link_revoke(request: AuthenticatedHttpRequest, slug: str, link_id: int) -> HttpResponseBase:
    campaign = access.campaign_at(slug)
    link = AnswerLink.objects.filter(pk=link_id, campaign=campaign).first()
    if link is None:
        raise Http404
    accountability.revoke_answer_link(request.user, link)
    messages.success(request, _("The link no longer works."))
    return redirect("advocacy:accountability", slug=campaign.slug)


@require_POST
@coordinators_only
def answer_visibility(
    request: AuthenticatedHttpRequest, slug: str, answer_id: int
) -> HttpResponseBase:
    """Hide a target's answer from the campaign page, or show it again."""
    campaign = access.campaign_at(slug)
    target_answer = TargetAnswer.objects.filter(pk=answer_id, campaign=campaign).first()
    if target_answer is None:
        raise Http404
    form = VisibilityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose to show or hide the answer."))
        return redirect("advocacy:accountability", slug=campaign.slug)
    visible = bool(form.cleaned_data["visible"])
    accountability.set_answer_visible(request.user, target_answer, visible)
    if visible:
        messages.success(request, _("The answer is shown on the campaign page."))
    else:
        messages.success(request, _("The answer is hidden from the campaign page."))
    return redirect("advocacy:accountability", slug=campaign.slug)


@require_POST
@coordinators_only
def commitment_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """Record a commitment, vote or budget line; the members who acted are told."""
    campaign = access.campaign_at(slug)
    form = CommitmentForm(campaign, request.POST)
    if not form.is_valid():
        return _manage_page(request, campaign, commitment_form=form, status=400)
    try:
        accountability.record_commitment(request.user, campaign, form.cleaned_data)
    except accountability.AccountabilityError as refused:
        form.add_error(None, refused.message)
        return _manage_page(request, campaign, commitment_form=form, status=400)
    messages.success(request, _("Recorded. The members who acted will hear about it."))
    return redirect("advocacy:accountability", slug=campaign.slug)


urlpatterns: list[URLPattern] = [
    path("news/", news, name="news"),
    path("answer/<str:token>/", answer, name="answer"),
    path("<slug:slug>/accountability/", manage, name="accountability"),
    path("<slug:slug>/accountability/links/", link_create, name="answer_link_create"),
    path(
        "<slug:slug>/accountability/links/<int:link_id>/revoke/",
        link_revoke,
        name="answer_link_revoke",
    ),
    path(
        "<slug:slug>/accountability/answers/<int:answer_id>/visibility/",
        answer_visibility,
        name="answer_visibility",
    ),
    path(
        "<slug:slug>/accountability/commitments/",
        commitment_create,
        name="commitment_create",
    ),
]
