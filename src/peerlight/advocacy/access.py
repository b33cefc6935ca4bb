"""Reads of campaigns, targets and petitions, with who may see what built in.

Campaigns are public once they leave the draft stage; drafts are there only
for coordinators, and anyone else gets the same 404 as for a campaign that
does not exist. The targets directory and the petitions' signature lists are
coordinators' (their views ask for the second factor). Signers' e-mail
addresses and ZIP codes never leave these reads for a public page: a
petition's public side is its count and the names signers chose to show.
"""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.http import Http404, HttpRequest

from peerlight.accounts.guards import is_two_factor_verified
from peerlight.accounts.models import Role, User
from peerlight.advocacy import petitions
from peerlight.advocacy.models import (
    CallRecord,
    Campaign,
    Letter,
    PaperSignatures,
    Petition,
    Signature,
    Target,
    TestimonyOffer,
)

__all__ = [
    "PUBLIC_NAMES_SHOWN",
    "campaign_at",
    "campaign_for",
    "campaign_in_session",
    "counts_by_district",
    "district_zip_codes",
    "has_signed",
    "is_coordinator",
    "is_taking_signatures",
    "listed_campaigns",
    "manages_in_session",
    "members_who_acted",
    "paper_total",
    "petition_for_signing",
    "public_count",
    "public_names",
    "target_for",
]

# How many of the latest public signers a petition shows.
PUBLIC_NAMES_SHOWN = 20


def is_coordinator(user: User | AnonymousUser | None) -> bool:
    return isinstance(user, User) and user.is_active and user.has_role(Role.COORDINATOR)


# --- Campaigns ------------------------------------------------------------------------


def listed_campaigns(viewer: User | AnonymousUser | None) -> QuerySet[Campaign]:
    """The campaigns ``viewer`` may see: all but drafts, and drafts too for coordinators.

    Active campaigns come first, then the rest, newest first within each.
    """
    campaigns = Campaign.objects.all()
    if not is_coordinator(viewer):
        campaigns = campaigns.exclude(status=Campaign.Status.DRAFT)
    active_first = Case(
        When(status=Campaign.Status.ACTIVE, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return campaigns.order_by(active_first, "-created_at", "-pk")


def campaign_for(viewer: User | AnonymousUser | None, slug: str) -> Campaign:
    """The campaign at ``slug`` as ``viewer`` may see it; ``Http404`` for a draft or none."""
    campaign = listed_campaigns(viewer).filter(slug=slug).first()
    if campaign is None:
        raise Http404
    return campaign


def manages_in_session(request: HttpRequest) -> bool:
    """A coordinator who passed the second factor in this session."""
    user = request.user
    return is_coordinator(user if isinstance(user, User) else None) and is_two_factor_verified(
        request
    )


def campaign_in_session(request: HttpRequest, slug: str) -> Campaign:
    """The campaign at ``slug`` as this request may see it: drafts only for a coordinator
    past the second factor; ``Http404`` otherwise."""
    campaign = Campaign.objects.filter(slug=slug).first()
    if campaign is None:
        raise Http404
    if campaign.status == Campaign.Status.DRAFT and not manages_in_session(request):
        raise Http404
    return campaign


def campaign_at(slug: str) -> Campaign:
    """The campaign at ``slug`` whatever its status, for staff pages behind their guard."""
    campaign = Campaign.objects.filter(slug=slug).first()
    if campaign is None:
        raise Http404
    return campaign


def members_who_acted(campaign: Campaign) -> QuerySet[User]:
    """Active accounts that acted on ``campaign``, in one query.

    Confirmed signatures given while signed in, letters sent or ready to go
    (not drafts, not taken back), calls made while signed in, and testimony
    offers not withdrawn. Visitors who signed without an account are not
    here: they have no account to be told through.
    """
    signed = Signature.objects.filter(
        petition__campaign=campaign, status=Signature.Status.CONFIRMED, user__isnull=False
    ).values("user_id")
    wrote = (
        Letter.objects.filter(action__campaign=campaign)
        .exclude(status__in=[Letter.Status.DRAFT, Letter.Status.WITHDRAWN])
        .values("writer_id")
    )
    called = CallRecord.objects.filter(action__campaign=campaign, caller__isnull=False).values(
        "caller_id"
    )
    offered = (
        TestimonyOffer.objects.filter(campaign=campaign)
        .exclude(status=TestimonyOffer.Status.WITHDRAWN)
        .values("member_id")
    )
    return User.objects.filter(is_active=True).filter(
        Q(pk__in=signed) | Q(pk__in=wrote) | Q(pk__in=called) | Q(pk__in=offered)
    )


# --- Targets --------------------------------------------------------------------------


def target_for(target_id: int) -> Target:
    """A target of the directory, active or not; ``Http404`` when there is none."""
    target = Target.objects.filter(pk=target_id).first()
    if target is None:
        raise Http404
    return target


def district_zip_codes(campaign: Campaign) -> list[tuple[str, list[str]]]:
    """(target name, ZIP codes) for each of the campaign's targets that lists a district."""
    rows = campaign.targets.order_by("name", "pk").values_list("name", "district_zip_codes")
    return [(name, list(codes)) for name, codes in rows if codes]


# --- Petitions ------------------------------------------------------------------------


def petition_for_signing(slug: str) -> Petition | None:
    """The petition of the campaign at ``slug``, with its campaign, in one query.

    None when there is no such campaign, it is a draft, or it has no
    petition; a closed petition is returned (``is_taking_signatures`` says so).
    """
    return (
        Petition.objects.select_related("campaign")
        .filter(campaign__slug=slug)
        .exclude(campaign__status=Campaign.Status.DRAFT)
        .first()
    )


def is_taking_signatures(petition: Petition) -> bool:
    """Open petitions of active campaigns take signatures."""
    return petition.is_open and petition.campaign.status == Campaign.Status.ACTIVE


def paper_total(petition: Petition) -> int:
    total = PaperSignatures.objects.filter(petition=petition).aggregate(n=Sum("count"))["n"]
    return int(total or 0)


def public_count(petition: Petition) -> int:
    """The number a petition shows: confirmed online signatures and every paper batch."""
    return petition.signature_count + paper_total(petition)


def public_names(petition: Petition, limit: int = PUBLIC_NAMES_SHOWN) -> list[str]:
    """The names, exactly as given, of the latest confirmed signers who chose to show them."""
    rows = Signature.objects.filter(
        petition=petition, status=Signature.Status.CONFIRMED, show_name=True
    ).order_by("-confirmed_at", "-pk")[:limit]
    return [row.name for row in rows.only("name")]


def has_signed(petition: Petition, signer_digest: str) -> bool:
    return Signature.objects.filter(petition=petition, signer_digest=signer_digest).exists()


def counts_by_district(
    petition: Petition, districts: Collection[tuple[str, list[str]]]
) -> petitions.DistrictCounts:
    """Confirmed online and paper signatures per target's district (for coordinators)."""
    per_zip: dict[str, int] = {}
    online = (
        Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
        .order_by()
        .values_list("zip_code")
        .annotate(n=Count("pk"))
    )
    for zip_code, count in online:
        per_zip[zip_code] = per_zip.get(zip_code, 0) + int(count)
    unknown_on_paper = 0
    for batch in PaperSignatures.objects.filter(petition=petition).only("count", "zip_counts"):
        counted = 0
        for zip_code, count in (batch.zip_counts or {}).items():
            per_zip[str(zip_code)] = per_zip.get(str(zip_code), 0) + int(count)
            counted += int(count)
        # Paper signatures the batch gave no ZIP code for.
        unknown_on_paper += max(0, batch.count - counted)
    if unknown_on_paper:
        per_zip[""] = per_zip.get("", 0) + unknown_on_paper
    return petitions.counts_by_district(per_zip, districts)
