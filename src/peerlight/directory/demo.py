"""Demo directory: about 300 fictional services in one real county (Multnomah County, Oregon).

``seed(out)`` loads the Open Eligibility taxonomy, then writes the featured
services of ``data/demo_region.json`` (the 988 Suicide & Crisis Lifeline, the
only real listing, and hand-written fictional ones: a mobile crisis team, a
peer warmline, a peer respite, a clubhouse, groups, a food pantry, a shelter,
legal aid, opioid treatment, a survivors' line, two in Spanish) and
``GENERATED`` more from ``synthetic.generate`` with a fixed seed, then
rebuilds the search index. A few notes by the demo peer supporters are
published on featured services when those people exist.

Every id is fixed (uuid5), so a second run finds the services already there
and changes nothing; a service a coordinator has edited or removed in the
demo is left as it is. The rows are written straight to the tables, like the
other demo data: seeding is not an edit by a person, so there is no audit
entry for it.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from peerlight.accounts.demo import Writer
from peerlight.accounts.models import User
from peerlight.directory import openeligibility, search, synthetic
from peerlight.directory.models import PeerNote, Service, TaxonomyTerm
from peerlight.directory.synthetic import (
    CostRecord,
    HoursRecord,
    LocationRecord,
    OrganizationRecord,
    PhoneRecord,
    Place,
    ServiceRecord,
)

GENERATED = 281
SEED = 2026
EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"

# (featured service key, demo peer supporter, note); published, reviewed by the coordinator.
PEER_NOTES = (
    (
        "warmline",
        "Dev",
        "I call on bad evenings. Nobody rushes you, and they don't make you feel like you "
        "should be in crisis to deserve a call.",
    ),
    (
        "food-pantry",
        "Tomás",
        "Volunteers speak Spanish and Vietnamese. Saturday mornings are the quietest.",
    ),
    (
        "grupo-apoyo",
        "Marisol",
        "Un grupo cálido; puedes solo escuchar la primera vez. Hay cuidado de niños.",
    ),
    (
        "peer-respite",
        "Renée",
        "The house is calm and the peers really listen. Ask for the room facing the garden.",
    ),
)
NOTE_REVIEWER = "Jo Coordinator"


def seed(out: Writer) -> None:
    _load_open_eligibility()
    records = [*featured_services(), *generated_services()]
    existing = set(
        Service.objects.filter(id__in=[record.id for record in records]).values_list(
            "id", flat=True
        )
    )
    new = [record for record in records if record.id not in existing]
    if new:
        synthetic.write_services(new)
    indexed = search.rebuild()
    notes = _seed_peer_notes()
    out.write(
        f"Directory: {len(new)} services added, {len(existing)} already there; "
        f"{notes} peer notes added; {indexed} services in the search index.\n"
    )


def _load_open_eligibility() -> None:
    # Loading is idempotent but audited each time; once it is all there, a
    # second seed leaves even the audit log as it is.
    terms = len(openeligibility.records()) - 1
    loaded = TaxonomyTerm.objects.filter(taxonomy_detail_id=openeligibility.TAXONOMY_ID)
    if loaded.count() < terms:
        openeligibility.load()


def generated_services() -> list[ServiceRecord]:
    # Verified dates count back from today, so some listings are due for review.
    return list(
        synthetic.generate(
            GENERATED, seed=SEED, region=synthetic.demo_region(), as_of=timezone.localdate()
        )
    )


def featured_services() -> list[ServiceRecord]:
    """The hand-written services of the demo region file, as records."""
    data = json.loads(synthetic.REGION_FILE.read_text(encoding="utf-8"))
    places = {place.zip_code: place for place in synthetic.demo_region().places}
    organizations = {
        key: _organization(key, fields) for key, fields in data["organizations"].items()
    }
    return [_featured(row, organizations, places) for row in data["featured_services"]]


def _id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(synthetic.NAMESPACE, ":".join(("demo", "featured", *parts)))


def _organization(key: str, fields: dict[str, Any]) -> OrganizationRecord:
    website = fields["website"]
    return OrganizationRecord(
        id=_id("organization", key),
        name=fields["name"],
        description=fields["description"],
        website=website,
        email=f"info@{website.removeprefix('https://')}",
        year_incorporated=fields.get("year", 2005),
        phone=PhoneRecord(fields["phone"], "voice", "Main office"),
    )


def _location(
    row: dict[str, Any], organization: OrganizationRecord, places: dict[str, Place]
) -> LocationRecord:
    spot = row["location"]
    place = places[spot["zip"]]
    # A fixed spot near the ZIP code's centre (within about 1.5 km).
    rng = random.Random(spot["address"])  # noqa: S311 (made-up data, not secrets)
    latitude = place.latitude + rng.uniform(-0.01, 0.01)
    longitude = place.longitude + rng.uniform(-0.012, 0.012)
    return LocationRecord(
        id=_id("location", spot["address"]),
        name=organization.name,
        latitude=round(latitude, 6),
        longitude=round(longitude, 6),
        address_1=spot["address"],
        city=place.city,
        state=place.state,
        postal_code=place.zip_code,
        transportation=spot.get("transport"),
        accessibility=tuple(spot.get("accessibility", ())),
    )


def _featured(
    row: dict[str, Any],
    organizations: dict[str, OrganizationRecord],
    places: dict[str, Place],
) -> ServiceRecord:
    organization = organizations[row["organization"]]
    if row.get("location"):
        location = _location(row, organization, places)
    else:
        location = LocationRecord(
            id=_id("virtual", row["key"]),
            name=f"{row['name']} (phone and online)",
            latitude=None,
            longitude=None,
            url=row.get("url") or organization.website,
        )
    hours = (
        (HoursRecord(EVERY_DAY, "00:00", "24:00"),)
        if row["hours"] == "always"
        else tuple(HoursRecord(days, opens, closes) for days, opens, closes in row["hours"])
    )
    minimum_age, maximum_age = row.get("ages") or (None, None)
    spanish = row["languages"][0] == "es"
    cost, fees = _cost(row["cost"], spanish=spanish)
    return ServiceRecord(
        id=_id("service", row["key"]),
        kind=row["kind"],
        organization=organization,
        name=row["name"],
        alternate_name=row.get("alternate_name"),
        description=row["description"],
        text_language="es" if spanish else "en",
        languages=tuple(row["languages"]),
        categories=tuple(synthetic.vocabulary()["kinds"][row["kind"]]["categories"]),
        locations=(location,),
        phones=tuple(PhoneRecord(number, kind, note) for number, kind, note in row["phones"]),
        hours=hours,
        time_zone=synthetic.demo_region().places[0].time_zone,
        eligibility=row["eligibility"],
        application_process=row["application"],
        fees_description=fees,
        cost=cost,
        minimum_age=float(minimum_age) if minimum_age is not None else None,
        maximum_age=float(maximum_age) if maximum_age is not None else None,
        url=row.get("url"),
        assured_date=timezone.localdate().isoformat(),
        service_area=row.get("service_area"),
    )


def _cost(kind: str, *, spanish: bool) -> tuple[CostRecord, str]:
    if kind == "free":
        return CostRecord("Free", 0.0), "Gratis." if spanish else "Free of charge."
    return (
        CostRecord("Insurance", None, "Medicaid, Medicare and most private insurance"),
        "Accepts Medicaid (the Oregon Health Plan), Medicare and most private insurance; "
        "no one is turned away for inability to pay.",
    )


def _seed_peer_notes() -> int:
    reviewer = User.objects.filter(display_name__iexact=NOTE_REVIEWER).first()
    added = 0
    for key, author_name, body in PEER_NOTES:
        author = User.objects.filter(display_name__iexact=author_name).first()
        service = Service.objects.filter(id=_id("service", key)).first()
        if author is None or service is None:
            continue
        if PeerNote.objects.filter(service=service, author=author, body=body).exists():
            continue
        with transaction.atomic():
            PeerNote.objects.create(
                service=service,
                author=author,
                body=body,
                status=PeerNote.Status.PUBLISHED,
                reviewed_by=reviewer,
                reviewed_at=timezone.now(),
            )
        added += 1
    return added
