"""Testimony: members offer their stories for a hearing; coordinators build packets.

Thin views over ``advocacy.testimony``. A member sees only their own offers;
the offers page and packets are coordinators' (two-factor), and opening
either is an audited read: offers name who offered, and packets hold stories.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, login_required, staff_required
from peerlight.accounts.models import Role
from peerlight.accounts.views import form_methods
from peerlight.advocacy import access as campaigns
from peerlight.advocacy import outreach_access as access
from peerlight.advocacy import testimony
from peerlight.advocacy.models import Campaign
from peerlight.advocacy.outreach import OutreachError
from peerlight.advocacy.outreach_forms import OfferDecisionForm, PacketForm, TestimonyOfferForm
from peerlight.advocacy.outreach_views import archived_html
from peerlight.audit.actions import record_read

# --- Members ---------------------------------------------------------------------------


def _offer_page(
    request: AuthenticatedHttpRequest,
    campaign: Campaign,
    form: TestimonyOfferForm,
    *,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "campaign": campaign,
        "form": form,
        "problem": problem,
        "has_stories": bool(form.stories),
        "gathering": access.is_active(campaign),
        "offers": access.offers_of(request.user, campaign),
    }
    return render(request, "advocacy/outreach/testimony.html", context, status=status)


@form_methods
@login_required
def testimony_offer(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """Offer one of one's stories for a hearing (POST); one's offers (GET)."""
    campaign = campaigns.campaign_in_session(request, slug)
    stories = access.stories_to_offer(request.user, campaign)
    if request.method != "POST":
        return _offer_page(request, campaign, TestimonyOfferForm(stories))
    form = TestimonyOfferForm(stories, request.POST)
    if not form.is_valid():
        return _offer_page(request, campaign, form, status=400)
    try:
        testimony.offer_testimony(
            request.user,
            campaign,
            story_public_id=form.cleaned_data["story"],
            note=form.cleaned_data["note"],
            willing_to_speak=form.cleaned_data["willing_to_speak"],
        )
    except OutreachError as refused:
        form.add_error(None, refused.message)
        return _offer_page(request, campaign, form, status=400)
    flash.success(
        request,
        _("Thank you for offering your story. A coordinator will be in touch through the site."),
    )
    return redirect("advocacy:testimony_offer", slug=campaign.slug)


@require_POST
@login_required
def testimony_withdraw(
    request: AuthenticatedHttpRequest, slug: str, offer_id: int
) -> HttpResponseBase:
    """Take an offer back; the story goes into no packet built from now on."""
    campaign = campaigns.campaign_in_session(request, slug)
    offer = access.own_offer(request.user, campaign, offer_id)
    try:
        testimony.withdraw_offer(request.user, offer)
    except OutreachError as refused:
        form = TestimonyOfferForm(access.stories_to_offer(request.user, campaign))
        return _offer_page(request, campaign, form, problem=refused.message, status=400)
    flash.success(request, _("Your offer is withdrawn."))
    return redirect("advocacy:testimony_offer", slug=campaign.slug)


# --- Coordinators ----------------------------------------------------------------------


def _offers_page(
    request: AuthenticatedHttpRequest,
    campaign: Campaign,
    form: PacketForm,
    *,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    record_read(request.user, "advocacy.testimony.view_offers", campaign)
    context = {
        "campaign": campaign,
        "lines": access.offers_for_staff(campaign),
        "packets": access.packets_of(campaign),
        "form": form,
        "problem": problem,
    }
    return render(request, "advocacy/outreach/testimony_offers.html", context, status=status)


@require_safe
@staff_required(Role.COORDINATOR)
def testimony_offers(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Every offer with its story as consented now, the packets built, and building one."""
    return _offers_page(request, campaigns.campaign_in_session(request, slug), PacketForm())


@require_POST
@staff_required(Role.COORDINATOR)
def testimony_decide(
    request: AuthenticatedHttpRequest, slug: str, offer_id: int
) -> HttpResponseBase:
    """Include an offer in the next packet, or not this time."""
    campaign = campaigns.campaign_in_session(request, slug)
    offer = access.offer_for_staff(campaign, offer_id)
    form = OfferDecisionForm(request.POST)
    if not form.is_valid():
        problem = _("Please choose to include the story or not.")
        return _offers_page(request, campaign, PacketForm(), problem=problem, status=400)
    try:
        testimony.decide_offer(request.user, offer, include=form.includes())
    except OutreachError as refused:
        return _offers_page(request, campaign, PacketForm(), problem=refused.message, status=400)
    flash.success(
        request,
        _("Included in the next packet.") if form.includes() else _("Left out this time."),
    )
    return redirect("advocacy:testimony_offers", slug=campaign.slug)


@require_POST
@staff_required(Role.COORDINATOR)
def testimony_build(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """Build and archive a packet of the included stories for a hearing."""
    campaign = campaigns.campaign_in_session(request, slug)
    form = PacketForm(request.POST)
    if not form.is_valid():
        return _offers_page(request, campaign, form, status=400)
    try:
        packet, left_out = testimony.build_packet(
            request.user,
            campaign,
            hearing=form.cleaned_data["hearing"],
            hearing_on=form.cleaned_data["hearing_on"],
        )
    except OutreachError as refused:
        form.add_error(None, refused.message)
        return _offers_page(request, campaign, form, status=400)
    message = _("The packet is ready to print.")
    if left_out:
        message += " " + ngettext(
            "%(n)d story was left out: its consent no longer covers this campaign.",
            "%(n)d stories were left out: their consent no longer covers this campaign.",
            left_out,
        ) % {"n": left_out}
    flash.success(request, message)
    return redirect("advocacy:testimony_packet", slug=campaign.slug, packet_id=packet.pk)


@require_safe
@staff_required(Role.COORDINATOR)
def testimony_packet(request: AuthenticatedHttpRequest, slug: str, packet_id: int) -> HttpResponse:
    """The archived packet, ready for the browser's Print."""
    campaign = campaigns.campaign_in_session(request, slug)
    packet = access.packet_of(campaign, packet_id)
    record_read(request.user, "advocacy.testimony_packet.view", packet)
    context = {
        "campaign": campaign,
        "packet": packet,
        "back_url": "advocacy:testimony_offers",
        "title": _("Testimony for %(hearing)s") % {"hearing": packet.hearing},
        "content": archived_html(packet.content),
    }
    return render(request, "advocacy/outreach/print.html", context)


@require_POST
@staff_required(Role.COORDINATOR)
def testimony_delivered(
    request: AuthenticatedHttpRequest, slug: str, packet_id: int
) -> HttpResponseBase:
    """Mark a packet as handed in."""
    campaign = campaigns.campaign_in_session(request, slug)
    packet = access.packet_of(campaign, packet_id)
    try:
        testimony.mark_packet_delivered(request.user, packet)
    except OutreachError as refused:
        return _offers_page(request, campaign, PacketForm(), problem=refused.message, status=400)
    flash.success(request, _("The packet is marked as delivered."))
    return redirect("advocacy:testimony_offers", slug=campaign.slug)


urlpatterns = [
    path("<slug:slug>/testimony/", testimony_offer, name="testimony_offer"),
    path(
        "<slug:slug>/testimony/<int:offer_id>/withdraw/",
        testimony_withdraw,
        name="testimony_withdraw",
    ),
    path("<slug:slug>/testimony/offers/", testimony_offers, name="testimony_offers"),
    path(
        "<slug:slug>/testimony/offers/<int:offer_id>/decide/",
        testimony_decide,
        name="testimony_decide",
    ),
    path("<slug:slug>/testimony/packets/", testimony_build, name="testimony_build"),
    path(
        "<slug:slug>/testimony/packets/<int:packet_id>/",
        testimony_packet,
        name="testimony_packet",
    ),
    path(
        "<slug:slug>/testimony/packets/<int:packet_id>/delivered/",
        testimony_delivered,
        name="testimony_delivered",
    ),
]
