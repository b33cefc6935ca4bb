"""Letters and calls: the member's letter page, the call page, and the coordinators' pages.

Thin views over ``advocacy.outreach`` (writes) and ``advocacy.outreach_access``
(reads). A campaign without a letter or a call set up has no such page (404),
and neither has a campaign being prepared, except for coordinators past
their second factor. Coordinators' pages are staff pages behind it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, login_required, staff_required
from peerlight.accounts.models import Role
from peerlight.accounts.views import form_methods, too_many_attempts
from peerlight.advocacy import access as campaigns
from peerlight.advocacy import calls, outreach
from peerlight.advocacy import outreach_access as access
from peerlight.advocacy.models import CallAction, Campaign, LetterAction, LetterDelivery
from peerlight.advocacy.outreach_forms import (
    CallActionForm,
    CallMadeForm,
    LetterActionForm,
    LetterForm,
)
from peerlight.audit.actions import record_read
from peerlight.lib import ratelimit
from peerlight.stories.markdown import render as render_markdown

PREVIEW, SEND, CHANGE = "preview", "send", "change"


def archived_html(content: str) -> SafeString:
    """An archived packet, shown exactly as it was built and hashed.

    The content is the output of an autoescaping template (stories through
    the stories' sanitiser), made by the app and never typed by anyone.
    """
    return mark_safe(content)  # noqa: S308


# --- Letters: the member's page --------------------------------------------------------


def _letter_action(campaign: Campaign) -> LetterAction:
    action = access.letter_action_of(campaign)
    if action is None:
        raise Http404
    return action


def _letter_page(
    request: AuthenticatedHttpRequest,
    campaign: Campaign,
    action: LetterAction,
    form: LetterForm,
    *,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "campaign": campaign,
        "action": action,
        "form": form,
        "problem": problem,
        "has_stories": bool(form.stories),
        "taking_letters": access.taking_letters(campaign, action),
        "my_letters": access.letters_of(request.user, action),
    }
    return render(request, "advocacy/outreach/letter.html", context, status=status)


def _preview_page(
    request: AuthenticatedHttpRequest, campaign: Campaign, action: LetterAction, form: LetterForm
) -> HttpResponse:
    written, readable = outreach.check_letter(request.user, campaign, **form.letter_fields())
    story = outreach.story_part(readable) if readable is not None else None
    context = {
        "campaign": campaign,
        "action": action,
        "form": form,
        "letter": written,
        "signature": written.signed_name if written.share_name else "",
        "story": story,
        "story_html": render_markdown(story.body) if story is not None else "",
    }
    return render(request, "advocacy/outreach/letter_preview.html", context)


@form_methods
@login_required
def letter_write(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """The letter page: write (GET), preview, change or send (POST); the person's letters."""
    campaign = campaigns.campaign_in_session(request, slug)
    action = _letter_action(campaign)
    stories = access.stories_to_offer(request.user, campaign)
    if request.method != "POST":
        return _letter_page(request, campaign, action, LetterForm(stories))
    form = LetterForm(stories, request.POST)
    if not access.taking_letters(campaign, action):
        problem = _("This campaign is not taking letters at the moment.")
        return _letter_page(request, campaign, action, form, problem=problem, status=400)
    if not form.is_valid():
        return _letter_page(request, campaign, action, form, status=400)
    step = request.POST.get("step", PREVIEW)
    try:
        if step == CHANGE:
            return _letter_page(request, campaign, action, form)
        if step != SEND:
            return _preview_page(request, campaign, action, form)
        outreach.write_letter(request.user, campaign, **form.letter_fields())
    except outreach.OutreachError as refused:
        form.add_error(None, refused.message)
        return _letter_page(request, campaign, action, form, status=400)
    flash.success(
        request,
        _("Thank you. Your letter is ready to go; you can withdraw it until it is delivered."),
    )
    return redirect("advocacy:letter_write", slug=campaign.slug)


@require_POST
@login_required
def letter_withdraw(
    request: AuthenticatedHttpRequest, slug: str, letter_id: int
) -> HttpResponseBase:
    """Take one's own letter back before it is delivered."""
    campaign = campaigns.campaign_in_session(request, slug)
    action = _letter_action(campaign)
    letter = access.own_letter(request.user, action, letter_id)
    try:
        outreach.withdraw_letter(request.user, letter)
    except outreach.OutreachError as refused:
        form = LetterForm(access.stories_to_offer(request.user, campaign))
        return _letter_page(request, campaign, action, form, problem=refused.message, status=400)
    flash.success(request, _("Your letter is withdrawn. It will not be delivered."))
    return redirect("advocacy:letter_write", slug=campaign.slug)


# --- Letters: the coordinators' pages -------------------------------------------------


@form_methods
@staff_required(Role.COORDINATOR)
def letter_setup(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """Set up or change the campaign's letter: subject, text, delivery, open or closed."""
    campaign = campaigns.campaign_in_session(request, slug)
    action = access.letter_action_of(campaign)
    initial: dict[str, Any] = (
        {"delivery": LetterAction.Delivery.PACKET, "is_open": True}
        if action is None
        else {
            "subject": action.subject,
            "template": action.template,
            "delivery": action.delivery,
            "is_open": action.is_open,
        }
    )
    form = LetterActionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            outreach.save_letter_action(request.user, campaign, **form.cleaned_data)
        except outreach.OutreachError as refused:
            form.add_error(None, refused.message)
        else:
            flash.success(request, _("The letter is saved."))
            return redirect("advocacy:letter_deliveries", slug=campaign.slug)
    context = {"campaign": campaign, "action": action, "form": form}
    status = 400 if form.is_bound else 200
    return render(request, "advocacy/outreach/letter_setup.html", context, status=status)


def _deliveries_page(
    request: AuthenticatedHttpRequest,
    campaign: Campaign,
    action: LetterAction,
    *,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "campaign": campaign,
        "action": action,
        "waiting": access.waiting_counts(action),
        "waiting_total": access.waiting_letters(action).count(),
        "targets": list(access.active_targets(campaign)),
        "deliveries": access.deliveries_of(action),
        "problem": problem,
    }
    return render(request, "advocacy/outreach/letter_deliveries.html", context, status=status)


@require_safe
@staff_required(Role.COORDINATOR)
def letter_deliveries(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Letters waiting (counts by district only) and every delivery made, for coordinators."""
    campaign = campaigns.campaign_in_session(request, slug)
    return _deliveries_page(request, campaign, _letter_action(campaign))


@require_POST
@staff_required(Role.COORDINATOR)
def letter_deliver(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """Deliver every waiting letter now: e-mails after commit, or packets to print."""
    campaign = campaigns.campaign_in_session(request, slug)
    action = _letter_action(campaign)
    try:
        made = outreach.deliver_letters(request.user, campaign)
    except outreach.OutreachError as refused:
        return _deliveries_page(request, campaign, action, problem=refused.message, status=400)
    emails = sum(1 for delivery in made if delivery.method == LetterAction.Delivery.EMAIL)
    packets = len(made) - emails
    parts = []
    if emails:
        parts.append(
            ngettext("%(n)d e-mail is on its way.", "%(n)d e-mails are on their way.", emails)
            % {"n": emails}
        )
    if packets:
        parts.append(
            ngettext(
                "%(n)d packet is ready to print.", "%(n)d packets are ready to print.", packets
            )
            % {"n": packets}
        )
    flash.success(request, _("The letters are delivered.") + " " + " ".join(parts))
    return redirect("advocacy:letter_deliveries", slug=campaign.slug)


@require_safe
@staff_required(Role.COORDINATOR)
def letter_delivery(
    request: AuthenticatedHttpRequest, slug: str, delivery_id: int
) -> HttpResponse:
    """One archived delivery as it was sent: the e-mail's text, or the packet to print."""
    campaign = campaigns.campaign_in_session(request, slug)
    delivery: LetterDelivery = access.delivery_of(_letter_action(campaign), delivery_id)
    record_read(request.user, "advocacy.letters.view_delivery", delivery)
    context = {
        "campaign": campaign,
        "delivery": delivery,
        "back_url": "advocacy:letter_deliveries",
        "title": _("Letters to %(target)s") % {"target": delivery.target},
        "content": archived_html(delivery.content)
        if delivery.method == LetterAction.Delivery.PACKET
        else "",
    }
    template = (
        "advocacy/outreach/print.html"
        if delivery.method == LetterAction.Delivery.PACKET
        else "advocacy/outreach/delivery_email.html"
    )
    return render(request, template, context)


# --- Calls ------------------------------------------------------------------------------


def _call_action(campaign: Campaign) -> CallAction:
    action = access.call_action_of(campaign)
    if action is None:
        raise Http404
    return action


def _call_context(campaign: Campaign, action: CallAction) -> dict[str, Any]:
    return {
        "campaign": campaign,
        "action": action,
        "lines": access.call_lines(action),
        "total": access.call_total(action),
        "taking_calls": access.taking_calls(campaign, action),
    }


@require_safe
def call(request: HttpRequest, slug: str) -> HttpResponse:
    """Who to call (tap to call), what to say, and how many calls were made."""
    campaign = campaigns.campaign_in_session(request, slug)
    action = _call_action(campaign)
    return render(request, "advocacy/outreach/call.html", _call_context(campaign, action))


def _session_key(request: HttpRequest) -> str:
    # A visitor gets a session here so that their calls are counted against
    # it: without one, only the limit per address would apply.
    if request.session.session_key is None:
        request.session.save()
    return str(request.session.session_key)


@require_POST
def call_made(request: HttpRequest, slug: str) -> HttpResponseBase:
    """ "I made the call": one more in the tally (signed in or not)."""
    campaign = campaigns.campaign_in_session(request, slug)
    action = _call_action(campaign)
    context = _call_context(campaign, action)
    form = CallMadeForm([line.target for line in context["lines"]], request.POST)
    if not form.is_valid():
        context["problem"] = _("Please choose one of the people listed to call.")
        return render(request, "advocacy/outreach/call.html", context, status=400)
    caller = access.signed_in(request)
    try:
        calls.record_call(
            action,
            form.target_id(),
            caller=caller,
            ip=ratelimit.client_ip(request),
            session_key=None if caller is not None else _session_key(request),
        )
    except ratelimit.RateLimited as limited:
        return too_many_attempts(request, "advocacy/outreach/call.html", context, limited)
    except outreach.OutreachError as refused:
        context["problem"] = refused.message
        return render(request, "advocacy/outreach/call.html", context, status=400)
    flash.success(request, _("Thank you for calling. Every call is counted."))
    return redirect("advocacy:call", slug=campaign.slug)


@form_methods
@staff_required(Role.COORDINATOR)
def call_setup(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """Write or change the campaign's call script, and open or close calling."""
    campaign = campaigns.campaign_in_session(request, slug)
    action = access.call_action_of(campaign)
    initial: dict[str, Any] = (
        {"is_open": True}
        if action is None
        else {"script": action.script, "is_open": action.is_open}
    )
    form = CallActionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            calls.save_call_action(request.user, campaign, **form.cleaned_data)
        except outreach.OutreachError as refused:
            form.add_error(None, refused.message)
        else:
            flash.success(request, _("The call script is saved."))
            return redirect("advocacy:call", slug=campaign.slug)
    context = {"campaign": campaign, "action": action, "form": form}
    status = 400 if form.is_bound else 200
    return render(request, "advocacy/outreach/call_setup.html", context, status=status)


urlpatterns = [
    path("<slug:slug>/letter/", letter_write, name="letter_write"),
    path("<slug:slug>/letter/<int:letter_id>/withdraw/", letter_withdraw, name="letter_withdraw"),
    path("<slug:slug>/letter/setup/", letter_setup, name="letter_setup"),
    path("<slug:slug>/letter/deliveries/", letter_deliveries, name="letter_deliveries"),
    path("<slug:slug>/letter/deliver/", letter_deliver, name="letter_deliver"),
    path(
        "<slug:slug>/letter/deliveries/<int:delivery_id>/",
        letter_delivery,
        name="letter_delivery",
    ),
    path("<slug:slug>/call/", call, name="call"),
    path("<slug:slug>/call/made/", call_made, name="call_made"),
    path("<slug:slug>/call/setup/", call_setup, name="call_setup"),
]
