"""The advocacy data as one document in the shape of the Open Supporter Data Interface.

``build_export(base_url)`` returns an OSDI 1.x-shaped HAL document: every
resource in ``_embedded`` under its link relation (``osdi:advocacy_campaigns``,
``osdi:outreaches``, ``osdi:petitions``, ``osdi:signatures``, ``osdi:events``,
``osdi:people``), with the common fields (``identifiers``, ``origin_system``,
``created_date``, ``modified_date``) and ``_links`` that point at each other
inside the document (``<export URL>#<resource>/<id>``). Fields of Peerlight's
own, with no OSDI name, carry the ``peerlight:`` prefix.

What goes out, and what never does. The rule is conservative: a person
appears only where they chose to be seen.

- **Campaigns** that are live or finished (never drafts): title, the ask
  (``summary``), why it matters (``description``), the targets by name and
  office, and ``total_outreaches``.
- **Outreaches** are counts, never words: one per delivery of letters to a
  target (how many letters, by e-mail or post) and one per target called
  (how many calls, first and last). Never a letter's text, never who wrote
  or called, so never a member's display name, even when a writer signed a
  letter with their name (``share_name``): that choice was made for the
  decision maker, not for another system.
- **Petitions** with their statement, targets and ``total_signatures`` (the
  public counter: confirmed online signatures plus paper ones).
- **Signatures**: confirmed ones only, with their date. A signature links to
  a person only when the signer chose to show their name on the petition;
  every other signature, a member's included, is exported without a person.
  Peerlight asks no one to consent to being contacted, so there is no other
  ground to hand a signer on. Comments are never exported.
- **People**: only those signers, each with the name they chose to show
  (whole, in ``given_name``: Peerlight keeps one name field, and splitting it
  into given and family names guesses wrong for many people). Their
  identifier is a keyed digest, stable from one export to the next and
  unrelated to any account. No ``email_addresses``: signers gave an address
  to confirm their signature, and there is no field in which they asked for
  updates, so no address has a consented use outside Peerlight. No
  ``postal_addresses``: a ZIP code is asked only to tell whether a signer
  lives in a target's district, and targets themselves are given counts by
  district, never addresses.
- **Events**: none. Peerlight's campaigns hold no events; circle meetings are
  peer support, not campaign events, and never leave in an export.
- **Stories** never appear, not even as ids: their use is governed by each
  author's consent, which this export cannot carry along.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, Sum
from django.urls import reverse
from django.utils import timezone

from peerlight.advocacy.models import (
    CallRecord,
    Campaign,
    Letter,
    LetterDelivery,
    PaperSignatures,
    Petition,
    Signature,
    Target,
)
from peerlight.lib.crypto import digest

SYSTEM = "peerlight"
RESOURCES = (
    "advocacy_campaigns",
    "outreaches",
    "petitions",
    "signatures",
    "events",
    "people",
)
CURIE = {
    "name": "osdi",
    "href": "https://opensupporter.github.io/osdi-docs/{rel}.html",
    "templated": True,
}
# Every export is an audited read of this (there is no row, only the document).
AUDIT_VERB = "advocacy.osdi.export"
AUDIT_TARGET = ("advocacy.osdi_export", "all")
# Keys the digest that stands for a signer in the export (never an account id).
PERSON_DIGEST_PURPOSE = "advocacy.osdi.person"

type Resource = dict[str, Any]


def osdi_date(moment: dt.datetime) -> str:
    """A datetime as OSDI writes it: UTC, to the second, with a Z."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Links:
    """Where each resource lives inside the exported document."""

    def __init__(self, base_url: str) -> None:
        self.document = base_url.rstrip("/") + reverse("advocacy:export_osdi")
        self.base_url = base_url.rstrip("/")

    def href(self, resource: str, key: object) -> dict[str, str]:
        return {"href": f"{self.document}#{resource}/{key}"}

    def page(self, campaign: Campaign) -> str:
        return self.base_url + reverse("advocacy:campaign", args=[campaign.slug])


def _common(kind: str, key: object, created: dt.datetime, modified: dt.datetime) -> Resource:
    return {
        "identifiers": [f"{SYSTEM}:{kind}-{key}"],
        "origin_system": settings.PEERLIGHT_SITE_NAME,
        "created_date": osdi_date(created),
        "modified_date": osdi_date(modified),
    }


def _target(target: Target) -> dict[str, str]:
    found = {"name": target.name}
    if target.office:
        found["organization"] = target.office
    return found


# --- Outreaches --------------------------------------------------------------------------


def _letter_outreaches(campaign_ids: list[int], links: _Links) -> dict[int, list[Resource]]:
    by_campaign: dict[int, list[Resource]] = defaultdict(list)
    deliveries = (
        LetterDelivery.objects.filter(action__campaign_id__in=campaign_ids)
        .select_related("action", "target")
        .annotate(letter_count=Count("letters"))
        .order_by("delivered_at", "pk")
    )
    for delivery in deliveries:
        campaign_id = delivery.action.campaign_id
        resource = _common(
            "letter_delivery", delivery.pk, delivery.delivered_at, delivery.delivered_at
        )
        resource.update(
            {
                "action_date": osdi_date(delivery.delivered_at),
                "type": "email" if delivery.method == "email" else "postal mail",
                "targets": [_target(delivery.target)],
                "peerlight:letters": getattr(delivery, "letter_count", 0),
                "_links": {
                    "self": links.href("outreaches", f"letter_delivery-{delivery.pk}"),
                    "osdi:advocacy_campaign": links.href("advocacy_campaigns", campaign_id),
                },
            }
        )
        by_campaign[campaign_id].append(resource)
    return by_campaign


def _call_outreaches(campaign_ids: list[int], links: _Links) -> dict[int, list[Resource]]:
    by_campaign: dict[int, list[Resource]] = defaultdict(list)
    rows = (
        CallRecord.objects.filter(action__campaign_id__in=campaign_ids)
        .values("action__campaign_id", "target_id")
        .annotate(calls=Count("pk"), first=Min("created_at"), last=Max("created_at"))
        .order_by("action__campaign_id", "target_id")
    )
    targets = Target.objects.in_bulk({row["target_id"] for row in rows})
    for row in rows:
        campaign_id, target_id = row["action__campaign_id"], row["target_id"]
        key = f"{campaign_id}-{target_id}"
        resource = _common("calls", key, row["first"], row["last"])
        resource.update(
            {
                "action_date": osdi_date(row["last"]),
                "type": "phone",
                "targets": [_target(targets[target_id])],
                "peerlight:calls": row["calls"],
                "_links": {
                    "self": links.href("outreaches", f"calls-{key}"),
                    "osdi:advocacy_campaign": links.href("advocacy_campaigns", campaign_id),
                },
            }
        )
        by_campaign[campaign_id].append(resource)
    return by_campaign


def _outreach_totals(campaign_ids: list[int]) -> dict[int, int]:
    """Letters delivered (each letter once, whatever its number of targets) plus calls."""
    totals: dict[int, int] = defaultdict(int)
    letters = (
        Letter.objects.filter(action__campaign_id__in=campaign_ids, status=Letter.Status.DELIVERED)
        .values("action__campaign_id")
        .annotate(n=Count("pk"))
    )
    calls = (
        CallRecord.objects.filter(action__campaign_id__in=campaign_ids)
        .values("action__campaign_id")
        .annotate(n=Count("pk"))
    )
    for row in [*letters, *calls]:
        totals[row["action__campaign_id"]] += row["n"]
    return totals


# --- Campaigns and petitions -------------------------------------------------------------


def _campaign(
    campaign: Campaign, outreaches: list[Resource], total: int, links: _Links
) -> Resource:
    targets = list(campaign.targets.all())
    resource = _common("advocacy_campaign", campaign.pk, campaign.created_at, campaign.updated_at)
    resource.update(
        {
            "name": campaign.slug,
            "title": campaign.title,
            "summary": campaign.ask,
            "description": campaign.why,
            "target_universe": "; ".join(str(target) for target in targets),
            "targets": [_target(target) for target in targets],
            "browser_url": links.page(campaign),
            "total_outreaches": total,
            "_links": {
                "self": links.href("advocacy_campaigns", campaign.pk),
                "osdi:outreaches": [item["_links"]["self"] for item in outreaches],
            },
        }
    )
    return resource


def _petition(
    petition: Petition, paper: int, signature_links: list[dict[str, str]], links: _Links
) -> Resource:
    campaign = petition.campaign
    resource = _common("petition", petition.pk, petition.created_at, campaign.updated_at)
    resource.update(
        {
            "name": campaign.slug,
            "title": campaign.title,
            "description": campaign.why,
            "petition_text": petition.statement,
            "browser_url": links.page(campaign),
            "total_signatures": petition.signature_count + paper,
            "peerlight:online_signatures": petition.signature_count,
            "peerlight:paper_signatures": paper,
            "target": [_target(target) for target in campaign.targets.all()],
            "_links": {
                "self": links.href("petitions", petition.pk),
                "osdi:signatures": signature_links,
            },
        }
    )
    return resource


# --- Signatures and people ---------------------------------------------------------------


def person_key(signature: Signature) -> str:
    """The exported id of a signer who showed their name: a keyed digest, not an account."""
    return digest(signature.signer_digest, PERSON_DIGEST_PURPOSE)[:24]


def shows_person(signature: Signature) -> bool:
    """May this signature name its signer? Only when they chose to show their name."""
    return (
        signature.status == Signature.Status.CONFIRMED
        and signature.show_name
        and bool(signature.name.strip())
    )


def _signatures_and_people(
    petition_ids: list[int], links: _Links
) -> tuple[list[Resource], list[Resource], dict[int, list[dict[str, str]]]]:
    signatures: list[Resource] = []
    people: dict[str, Resource] = {}
    per_petition: dict[int, list[dict[str, str]]] = defaultdict(list)
    # E-mail addresses and comments are never exported: not even decrypted here.
    rows = (
        Signature.objects.filter(petition_id__in=petition_ids, status=Signature.Status.CONFIRMED)
        .defer("email", "comment")
        .order_by("petition_id", "created_at", "pk")
    )
    for signature in rows.iterator(chunk_size=500):
        modified = signature.confirmed_at or signature.created_at
        resource = _common("signature", signature.pk, signature.created_at, modified)
        resource["action_date"] = osdi_date(signature.created_at)
        self_link = links.href("signatures", signature.pk)
        resource["_links"] = {
            "self": self_link,
            "osdi:petition": links.href("petitions", signature.petition_id),
        }
        if shows_person(signature):
            key = person_key(signature)
            resource["_links"]["osdi:person"] = links.href("people", key)
            _add_person(people, key, signature, self_link, links)
        signatures.append(resource)
        per_petition[signature.petition_id].append(self_link)
    return signatures, list(people.values()), per_petition


def _add_person(
    people: dict[str, Resource],
    key: str,
    signature: Signature,
    signature_link: dict[str, str],
    links: _Links,
) -> None:
    person = people.get(key)
    modified = signature.confirmed_at or signature.created_at
    if person is None:
        person = _common("person", key, signature.created_at, modified)
        person["_links"] = {"self": links.href("people", key), "osdi:signatures": []}
        people[key] = person
    # The name shown on the signer's newest signature is the one they chose last.
    person["given_name"] = signature.name.strip()
    person["modified_date"] = osdi_date(modified)
    person["_links"]["osdi:signatures"].append(signature_link)


# --- The document ------------------------------------------------------------------------


def exported_campaigns() -> list[Campaign]:
    return list(
        Campaign.objects.exclude(status=Campaign.Status.DRAFT)
        .prefetch_related("targets")
        .order_by("created_at", "pk")
    )


def _paper_counts(petition_ids: Iterable[int]) -> dict[int, int]:
    rows = (
        PaperSignatures.objects.filter(petition_id__in=list(petition_ids))
        .values("petition_id")
        .annotate(n=Sum("count"))
    )
    return {row["petition_id"]: int(row["n"] or 0) for row in rows}


def build_export(base_url: str | None = None, *, now: dt.datetime | None = None) -> Resource:
    """The whole OSDI-shaped document (see the module docstring for what it holds)."""
    links = _Links(base_url if base_url is not None else settings.PEERLIGHT_BASE_URL)
    campaigns = exported_campaigns()
    campaign_ids = [campaign.pk for campaign in campaigns]
    letters = _letter_outreaches(campaign_ids, links)
    calls = _call_outreaches(campaign_ids, links)
    totals = _outreach_totals(campaign_ids)
    outreaches: list[Resource] = []
    campaign_resources = []
    for campaign in campaigns:
        own = [*letters.get(campaign.pk, []), *calls.get(campaign.pk, [])]
        outreaches.extend(own)
        campaign_resources.append(_campaign(campaign, own, totals.get(campaign.pk, 0), links))
    petitions = list(
        Petition.objects.filter(campaign_id__in=campaign_ids)
        .select_related("campaign")
        .prefetch_related("campaign__targets")
        .order_by("created_at", "pk")
    )
    petition_ids = [petition.pk for petition in petitions]
    signatures, people, per_petition = _signatures_and_people(petition_ids, links)
    paper = _paper_counts(petition_ids)
    petition_resources = [
        _petition(petition, paper.get(petition.pk, 0), per_petition.get(petition.pk, []), links)
        for petition in petitions
    ]
    embedded: dict[str, list[Resource]] = {
        "osdi:advocacy_campaigns": campaign_resources,
        "osdi:outreaches": outreaches,
        "osdi:petitions": petition_resources,
        "osdi:signatures": signatures,
        "osdi:events": [],
        "osdi:people": people,
    }
    return {
        "origin_system": settings.PEERLIGHT_SITE_NAME,
        "created_date": osdi_date(now or timezone.now()),
        "peerlight:total_records": {name: len(embedded[f"osdi:{name}"]) for name in RESOURCES},
        "_links": {
            "self": {"href": links.document},
            "curies": [CURIE],
            **{
                f"osdi:{name}": [item["_links"]["self"] for item in embedded[f"osdi:{name}"]]
                for name in RESOURCES
            },
        },
        "_embedded": embedded,
    }


def dumps(document: Resource) -> str:
    """The document as the JSON text of the file (UTF-8, indented for people to read)."""
    return json.dumps(document, ensure_ascii=False, indent=2)
