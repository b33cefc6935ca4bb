"""Small directory records for tests: one call makes a whole service.

``make_service(...)`` saves an organisation, the service, and (when given a
point or an address) a physical location linked through a service-at-location,
with the phones, languages, weekly schedules, cost and taxonomy terms asked
for, then indexes the service for search. Every argument has a plain default,
so ``make_service()`` alone gives an active, free, English-speaking service
with one phone and no hours.

``weekly(...)`` builds one weekly schedule as a dict of HSDS ``schedule``
fields; ``make_term(...)`` a taxonomy term (and its taxonomy).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings

from peerlight.directory import search
from peerlight.directory.models import (
    Accessibility,
    Address,
    Attribute,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

__all__ = ["make_organization", "make_service", "make_term", "weekly"]

# Language codes the factories know by name; others keep the code as their name.
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "vi": "Vietnamese", "zh": "Chinese"}

type ScheduleSpec = Mapping[str, Any]


def weekly(
    days: str = "MO,TU,WE,TH,FR",
    opens: str = "09:00",
    closes: str = "17:00",
    *,
    time_zone: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """One weekly schedule: ``days`` as HSDS ``byday`` ("MO,WE"), times as "HH:MM"."""
    return {
        "freq": "WEEKLY",
        "byday": days,
        "opens_at": opens,
        "closes_at": closes,
        "time_zone": time_zone or settings.PEERLIGHT_DIRECTORY_TIME_ZONE,
        **fields,
    }


def make_organization(name: str = "Harbor Peer Network", **fields: Any) -> Organization:
    fields.setdefault("description", f"{name} is a peer-run organisation.")
    return Organization.objects.create(name=name, **fields)


def make_term(name: str, *, parent: TaxonomyTerm | None = None, code: str = "") -> TaxonomyTerm:
    """A term of the test taxonomy (made once), under ``parent`` if given."""
    taxonomy, _created = Taxonomy.objects.get_or_create(
        name="Test categories", defaults={"description": "Categories for tests."}
    )
    return TaxonomyTerm.objects.create(
        name=name,
        description=f"Services for {name.lower()}.",
        code=code or None,
        parent=parent,
        taxonomy=taxonomy.name,
        taxonomy_detail=taxonomy,
    )


def make_service(
    name: str = "Harbor Warmline",
    *,
    organization: Organization | None = None,
    description: str = "A friendly voice when things feel heavy.",
    lat: float | None = None,
    lon: float | None = None,
    address: Mapping[str, str] | None = None,
    languages: Iterable[str] = ("en",),
    schedules: Iterable[ScheduleSpec] = (),
    location_schedules: Iterable[ScheduleSpec] = (),
    cost: float | None = 0,
    terms: Iterable[TaxonomyTerm] = (),
    phones: Iterable[str] = ("555-0100",),
    wheelchair: bool = False,
    index: bool = True,
    **fields: Any,
) -> Service:
    """Save a service and what hangs off it; ``fields`` are further ``Service`` fields.

    ``cost`` is the amount of one cost option (0 means free; None adds none).
    A location is made when ``lat``/``lon`` or ``address`` is given; its
    ``location_schedules`` are attached to the service-at-location, and
    ``wheelchair`` adds an accessibility row to it.
    """
    organization = organization or make_organization()
    service = Service.objects.create(
        organization=organization, name=name, description=description, **fields
    )
    for number in phones:
        Phone.objects.create(service=service, number=number, type="voice")
    for code in languages:
        Language.objects.create(service=service, code=code, name=LANGUAGE_NAMES.get(code, code))
    for spec in schedules:
        Schedule.objects.create(service=service, **spec)
    if cost is not None:
        CostOption.objects.create(service=service, amount=cost, currency="USD")
    for term in terms:
        Attribute.objects.create(
            link_id=service.id, link_entity="service", link_type="service", taxonomy_term=term
        )
    if lat is not None or lon is not None or address is not None:
        _make_location(service, lat, lon, address, location_schedules, wheelchair=wheelchair)
    if index:
        search.reindex([service.id])
    return service


def _make_location(
    service: Service,
    lat: float | None,
    lon: float | None,
    address: Mapping[str, str] | None,
    schedules: Iterable[ScheduleSpec],
    *,
    wheelchair: bool,
) -> Location:
    location = Location.objects.create(
        organization=service.organization,
        name=f"{service.name} office",
        latitude=lat,
        longitude=lon,
        location_type=Location.Type.PHYSICAL,
    )
    at = ServiceAtLocation.objects.create(service=service, location=location)
    parts = {
        "address_1": "100 Main Street",
        "city": "Springfield",
        "state_province": "OR",
        "postal_code": "97477",
        "country": "US",
        "address_type": "physical",
        **(address or {}),
    }
    Address.objects.create(location=location, **parts)
    for spec in schedules:
        Schedule.objects.create(service_at_location=at, **spec)
    if wheelchair:
        Accessibility.objects.create(location=location, description="Wheelchair accessible")
    return location
