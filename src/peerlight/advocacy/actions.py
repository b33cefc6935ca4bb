"""Coordinators' writes for campaigns: targets, campaigns, progress updates, petitions.

Every write checks that its actor is a coordinator (``PermissionDenied``
otherwise), checks again the rules its form checked (``ValidationError`` by
field), saves in one transaction and writes an audit entry holding ids only.
Signing and confirming, which the public does, are in ``petition_signing``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from peerlight.accounts.models import User
from peerlight.advocacy import access, notices, petitions
from peerlight.advocacy.campaign_forms import RESERVED_SLUGS, SLUG_MAX, slug_error
from peerlight.advocacy.models import (
    ActionNotice,
    Campaign,
    CampaignUpdate,
    PaperSignatures,
    Petition,
    Target,
)
from peerlight.advocacy.target_forms import ROUTE_DETAIL
from peerlight.audit.actions import record_change
from peerlight.peers.vocabulary import vocabulary

__all__ = [
    "CAMPAIGN_FIELDS",
    "PETITION_FIELDS",
    "TARGET_FIELDS",
    "add_paper_signatures",
    "create_campaign",
    "create_target",
    "post_update",
    "save_petition",
    "set_target_active",
    "update_campaign",
    "update_target",
]


TARGET_FIELDS = frozenset(
    {
        "name",
        "office",
        "kind",
        "district",
        "district_zip_codes",
        "contact_route",
        "email",
        "phone",
        "postal_address",
        "web_form_url",
        "notes",
    }
)
CAMPAIGN_FIELDS = frozenset({"title", "ask", "why", "deadline", "status", "tags"})
PETITION_FIELDS = frozenset(
    {"statement", "goal", "check_district", "district_only", "requires_confirmation", "is_open"}
)
GOAL_RANGE = (1, 10_000_000)
PAPER_BATCH_MAX = 100_000


def _coordinator_only(actor: User) -> None:
    if not access.is_coordinator(actor):
        raise PermissionDenied


def _only(fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Not fields this form sets: {sorted(unknown)}")


# --- Targets --------------------------------------------------------------------------


def _check_target(fields: Mapping[str, Any]) -> None:
    _only(fields, TARGET_FIELDS)
    errors: dict[str, Any] = {}
    if not str(fields.get("name", "")).strip():
        errors["name"] = _("Please give the decision maker's name.")
    if fields.get("kind") not in Target.Kind.values:
        errors["kind"] = _("Please choose a kind from the list.")
    route = fields.get("contact_route")
    if route not in Target.Route.values:
        errors["contact_route"] = _("Please choose a way to reach them from the list.")
    elif (detail := ROUTE_DETAIL.get(Target.Route(route))) and not fields.get(detail):
        errors[detail] = _("Please fill this in: it is the way chosen to reach them.")
    codes = fields.get("district_zip_codes", [])
    if not all(isinstance(code, str) and petitions.is_known_zip(code) for code in codes):
        errors["district_zip_codes"] = _("Every ZIP code must be a real five-digit US ZIP code.")
    if errors:
        raise ValidationError(errors)


def create_target(actor: User, fields: Mapping[str, Any]) -> Target:
    """Add a decision maker to the organisation's directory of targets."""
    _coordinator_only(actor)
    _check_target(fields)
    with transaction.atomic():
        target = Target.objects.create(**fields)
        record_change(actor, "advocacy.target.create", target)
    return target


def update_target(actor: User, target: Target, fields: Mapping[str, Any]) -> Target:
    _coordinator_only(actor)
    _check_target(fields)
    with transaction.atomic():
        target = Target.objects.select_for_update().get(pk=target.pk)
        for name, value in fields.items():
            setattr(target, name, value)
        target.save()
        record_change(actor, "advocacy.target.update", target)
    return target


def set_target_active(actor: User, target: Target, active: bool) -> Target:
    """Take a target out of use (or back): inactive ones are not offered for new campaigns.

    Campaigns that name the target keep it, so their history stays true.
    """
    _coordinator_only(actor)
    with transaction.atomic():
        changed = Target.objects.filter(pk=target.pk, is_active=not active).update(
            is_active=active
        )
        if changed:
            verb = "reactivate" if active else "deactivate"
            record_change(actor, f"advocacy.target.{verb}", target)
    target.refresh_from_db()
    return target


# --- Campaigns ------------------------------------------------------------------------


def free_slug(title: str) -> str:
    """A free address from ``title``: its slug, or it followed by -2, -3..."""
    base = slugify(title)[: SLUG_MAX - 4].strip("-") or "campaign"
    taken = set(Campaign.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 1
    while slug in taken or slug in RESERVED_SLUGS:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _check_campaign(fields: Mapping[str, Any], targets: Sequence[Target]) -> None:
    _only(fields, CAMPAIGN_FIELDS)
    errors: dict[str, Any] = {}
    for name in ("title", "ask", "why"):
        if not str(fields.get(name, "")).strip():
            errors[name] = _("Please fill this in.")
    if fields.get("status") not in Campaign.Status.values:
        errors["status"] = _("Please choose a status from the list.")
    words = vocabulary()
    known = words.codes("experiences") | words.codes("topics")
    if not set(fields.get("tags", [])) <= known:
        errors["tags"] = _("Please choose topics from the list.")
    if any(target.pk is None for target in targets):
        errors["targets"] = _("Please choose targets from the list.")
    if errors:
        raise ValidationError(errors)


def create_campaign(
    actor: User, fields: Mapping[str, Any], targets: Sequence[Target], *, slug: str = ""
) -> Campaign:
    """A new campaign at ``slug`` (made from the title when empty) aimed at ``targets``."""
    _coordinator_only(actor)
    _check_campaign(fields, targets)
    if slug and (problem := slug_error(slug)):
        raise ValidationError({"slug": problem})
    with transaction.atomic():
        campaign = Campaign.objects.create(
            slug=slug or free_slug(fields["title"]), created_by=actor, **fields
        )
        campaign.targets.set(targets)
        record_change(actor, "advocacy.campaign.create", campaign)
    return campaign


def update_campaign(
    actor: User, campaign: Campaign, fields: Mapping[str, Any], targets: Sequence[Target]
) -> Campaign:
    """Save changes to ``campaign``; its address stays, so shared and e-mailed links work."""
    _coordinator_only(actor)
    _check_campaign(fields, targets)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        before = campaign.status
        for name, value in fields.items():
            setattr(campaign, name, value)
        campaign.updated_at = timezone.now()
        campaign.save()
        campaign.targets.set(targets)
        record_change(actor, "advocacy.campaign.update", campaign)
        if campaign.status != before:
            record_change(
                actor, "advocacy.campaign.status", campaign, reason=f"{before}->{campaign.status}"
            )
    return campaign


def post_update(actor: User, campaign: Campaign, body: str) -> CampaignUpdate:
    """A progress update on the campaign's page, newest first.

    The members who acted on the campaign get a notice (and an e-mail after
    commit, through ``notices.tell_members``).
    """
    _coordinator_only(actor)
    if not body.strip():
        raise ValidationError({"body": _("Please write the update.")})
    with transaction.atomic():
        update = CampaignUpdate.objects.create(campaign=campaign, body=body.strip(), author=actor)
        record_change(actor, "advocacy.campaign_update.create", update)
        notices.tell_members(campaign, ActionNotice.Kind.UPDATE)
    return update


# --- Petitions ------------------------------------------------------------------------


def save_petition(actor: User, campaign: Campaign, fields: Mapping[str, Any]) -> Petition:
    """Add the campaign's petition, or change it; the count is never set by hand."""
    _coordinator_only(actor)
    _only(fields, PETITION_FIELDS)
    low, high = GOAL_RANGE
    if not str(fields.get("statement", "")).strip():
        raise ValidationError({"statement": _("Please write what signers say.")})
    if not low <= int(fields.get("goal", 0)) <= high:
        raise ValidationError({"goal": _("The first goal is a number from 1 to 10,000,000.")})
    with transaction.atomic():
        petition, created = Petition.objects.select_for_update().get_or_create(
            campaign=campaign, defaults=dict(fields)
        )
        if not created:
            for name, value in fields.items():
                setattr(petition, name, value)
            petition.save(update_fields=sorted(fields))
        verb = "create" if created else "update"
        record_change(actor, f"advocacy.petition.{verb}", petition)
    return petition


def add_paper_signatures(
    actor: User,
    petition: Petition,
    *,
    count: int,
    zip_counts: Mapping[str, int],
    note: str = "",
) -> PaperSignatures:
    """Enter a batch of signatures collected on paper; it counts in the petition's total.

    ``zip_counts`` (ZIP code to signatures) may cover part of the batch, never
    more than all of it.
    """
    _coordinator_only(actor)
    errors: dict[str, Any] = {}
    if not 1 <= count <= PAPER_BATCH_MAX:
        errors["count"] = _("A batch has from 1 to 100,000 signatures.")
    if not all(petitions.is_known_zip(code) and n >= 1 for code, n in zip_counts.items()):
        errors["zip_counts"] = _("Each line needs a real ZIP code and a number above 0.")
    elif sum(zip_counts.values()) > count:
        errors["zip_counts"] = _("The counts by ZIP code add up to more than the batch.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        batch = PaperSignatures.objects.create(
            petition=petition,
            count=count,
            zip_counts=dict(zip_counts),
            note=note.strip(),
            entered_by=actor,
        )
        record_change(actor, "advocacy.paper_signatures.create", batch)
    return batch
