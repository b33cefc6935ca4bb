"""Directory records as HSDS 3.0 dicts, in the shapes of the compiled schemas.

Names (final): ``service(obj, *, full=True)``, ``services(objs, *, full=True)``,
``organization(obj, *, full)``, ``organizations(objs, *, full)``,
``service_at_location(obj, *, full=True)``, ``service_at_locations(objs, *, full=True)``,
``location(obj)``, ``locations(objs)``, ``taxonomy(obj)``, ``taxonomies(objs)``,
``taxonomy_term(obj)``, ``taxonomy_terms(objs)``; ``prefetch_services(qs, *, full=True)``,
``prefetch_organizations(qs, *, full)``, ``prefetch_service_at_locations(qs, *, full=True)``,
``prefetch_locations(qs)``, ``prefetch_taxonomy_terms(qs)``.

For a page, prefetch the queryset and serialise the page with the plural
function (``services(prefetch_services(qs)[:50])``): the plural loads the
attributes and metadata of every record in the page in two queries, so a page
costs a fixed number of queries. The singular costs those two queries per call.

``full=True`` is the fully nested form (``compiled/service.json``,
``organization.json``, ``service_at_location.json``); ``full=False`` the list
form (``compiled/service_list.json``, ``organization_list.json``,
``service_at_location_list.json``). Absent fields (None) are left out, whole
numbers are written as integers, nested lists are sorted by id (so the same
data always gives the same text), and in the full forms every nested list is
written, empty or not: an import then knows the list is complete. A schedule's
IANA zone is written as an attribute with a fixed Peerlight term
(``time_zone_attribute``). A service nested in an organization leaves out its
organization, and a service nested in a service-at-location its
service-at-locations, as the compiled schemas do.

Links are written as the ``*_id`` the record holds. A link may name a record
that is not in the directory (HSDS data often refers to parents it does not
hold; the importer keeps the id): the nested object it would give is then left
out, as the schemas allow (``organization`` is optional in a service), and
the id still says which record it was.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import QuerySet

from peerlight.directory.hsds import (
    TIME_ZONE_TAXONOMY_ID,
    TIME_ZONE_TERM_ID,
    json_value,
    tables,
)
from peerlight.directory.models import (
    Attribute,
    Contact,
    Location,
    Metadata,
    Organization,
    Phone,
    Program,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

__all__ = [
    "location",
    "locations",
    "organization",
    "organizations",
    "prefetch_locations",
    "prefetch_organizations",
    "prefetch_service_at_locations",
    "prefetch_services",
    "prefetch_taxonomy_terms",
    "service",
    "service_at_location",
    "service_at_locations",
    "services",
    "taxonomies",
    "taxonomy",
    "taxonomy_term",
    "taxonomy_terms",
    "time_zone_attribute",
    "time_zone_taxonomy",
    "time_zone_term",
]

type Record = dict[str, Any]

# Ids per query when loading attributes and metadata (well under SQLite's
# limit on query parameters).
_CHUNK = 5000


# --- Prefetching ---------------------------------------------------------------------------

_PHONE = ("languages",)
_CONTACT = ("phones", *(f"phones__{p}" for p in _PHONE))
_LOCATION = (
    "languages",
    "addresses",
    "contacts",
    *(f"contacts__{p}" for p in _CONTACT),
    "accessibility",
    "phones",
    *(f"phones__{p}" for p in _PHONE),
    "schedules",
)
_ORGANIZATION = (
    "funding",
    "contacts",
    *(f"contacts__{p}" for p in _CONTACT),
    "phones",
    *(f"phones__{p}" for p in _PHONE),
    "locations",
    *(f"locations__{p}" for p in _LOCATION),
    "programs",
    "organization_identifiers",
)
_SERVICE_AT_LOCATION = (
    "contacts",
    *(f"contacts__{p}" for p in _CONTACT),
    "phones",
    *(f"phones__{p}" for p in _PHONE),
    "schedules",
    "location",
    *(f"location__{p}" for p in _LOCATION),
)
_SERVICE = (
    "phones",
    *(f"phones__{p}" for p in _PHONE),
    "schedules",
    "service_areas",
    "languages",
    "funding",
    "cost_options",
    "required_documents",
    "contacts",
    *(f"contacts__{p}" for p in _CONTACT),
)


def prefetch_services(qs: QuerySet[Service], *, full: bool = True) -> QuerySet[Service]:
    """``qs`` with what ``services(..., full=full)`` reads, in a fixed number of queries."""
    qs = qs.select_related("organization", "program")
    if not full:
        return qs
    return qs.prefetch_related(
        *_SERVICE,
        "service_at_locations",
        *(f"service_at_locations__{p}" for p in _SERVICE_AT_LOCATION),
        *(f"organization__{p}" for p in _ORGANIZATION),
    )


def prefetch_organizations(qs: QuerySet[Organization], *, full: bool) -> QuerySet[Organization]:
    if not full:
        return qs
    return qs.prefetch_related(
        *_ORGANIZATION,
        "services",
        "services__program",
        *(f"services__{p}" for p in _SERVICE),
        "services__service_at_locations",
        *(f"services__service_at_locations__{p}" for p in _SERVICE_AT_LOCATION),
    )


def prefetch_service_at_locations(
    qs: QuerySet[ServiceAtLocation], *, full: bool = True
) -> QuerySet[ServiceAtLocation]:
    qs = qs.select_related("location", "service__organization", "service__program")
    if not full:
        return qs
    return qs.prefetch_related(
        *_SERVICE_AT_LOCATION,
        *(f"service__{p}" for p in _SERVICE),
        *(f"service__organization__{p}" for p in _ORGANIZATION),
    )


def prefetch_locations(qs: QuerySet[Location]) -> QuerySet[Location]:
    return qs.prefetch_related(*_LOCATION)


def prefetch_taxonomy_terms(qs: QuerySet[TaxonomyTerm]) -> QuerySet[TaxonomyTerm]:
    return qs.select_related("taxonomy_detail")


# --- Public serialisers ----------------------------------------------------------------------


def service(obj: Service, *, full: bool = True) -> Record:
    return services([obj], full=full)[0]


def services(objs: Iterable[Service], *, full: bool = True) -> list[Record]:
    builder = _Builder()
    if full:
        result = [builder.service(obj, organization=True, locations=True) for obj in objs]
    else:
        result = [builder.service_summary(obj) for obj in objs]
    builder.finish()
    return result


def organization(obj: Organization, *, full: bool) -> Record:
    return organizations([obj], full=full)[0]


def organizations(objs: Iterable[Organization], *, full: bool) -> list[Record]:
    builder = _Builder()
    if full:
        result = [builder.organization(obj, services=True) for obj in objs]
    else:
        result = [builder.scalars("organization", obj) for obj in objs]
    builder.finish()
    return result


def service_at_location(obj: ServiceAtLocation, *, full: bool = True) -> Record:
    return service_at_locations([obj], full=full)[0]


def service_at_locations(objs: Iterable[ServiceAtLocation], *, full: bool = True) -> list[Record]:
    builder = _Builder()
    if full:
        result = [builder.service_at_location(obj, service=True) for obj in objs]
    else:
        result = [builder.service_at_location_summary(obj) for obj in objs]
    builder.finish()
    return result


def location(obj: Location) -> Record:
    return locations([obj])[0]


def locations(objs: Iterable[Location]) -> list[Record]:
    builder = _Builder()
    result = [builder.location(obj) for obj in objs]
    builder.finish()
    return result


def taxonomy(obj: Taxonomy) -> Record:
    return taxonomies([obj])[0]


def taxonomies(objs: Iterable[Taxonomy]) -> list[Record]:
    builder = _Builder()
    result = [builder.taxonomy(obj) for obj in objs]
    builder.finish()
    return result


def taxonomy_term(obj: TaxonomyTerm) -> Record:
    return taxonomy_terms([obj])[0]


def taxonomy_terms(objs: Iterable[TaxonomyTerm]) -> list[Record]:
    builder = _Builder()
    result = [builder.taxonomy_term(obj) for obj in objs]
    builder.finish()
    return result


# --- The schedule's IANA zone ------------------------------------------------------------------


def time_zone_taxonomy() -> Record:
    return {
        "id": str(TIME_ZONE_TAXONOMY_ID),
        "name": "IANA time zone",
        "description": (
            "The IANA time zone a schedule's hours are kept in (Peerlight; "
            "HSDS 3.0 keeps only a UTC offset)."
        ),
        "uri": "https://www.iana.org/time-zones",
    }


def time_zone_term() -> Record:
    return {
        "id": str(TIME_ZONE_TERM_ID),
        "code": "time_zone",
        "name": "IANA time zone",
        "description": "The attribute's value is the IANA time zone of the schedule.",
        "taxonomy": "IANA time zone",
        "taxonomy_id": str(TIME_ZONE_TAXONOMY_ID),
    }


def time_zone_attribute(schedule_id: uuid.UUID | str, zone: str) -> Record:
    """The attribute row that carries a schedule's zone ("America/Los_Angeles")."""
    return {
        "id": str(uuid.uuid5(TIME_ZONE_TERM_ID, str(schedule_id))),
        "link_id": str(schedule_id),
        "taxonomy_term_id": str(TIME_ZONE_TERM_ID),
        "link_type": "time_zone",
        "link_entity": "schedule",
        "value": zone,
    }


# --- Building ----------------------------------------------------------------------------------


def _target(obj: models.Model, name: str) -> Any:
    """The record the link ``name`` names; None when there is no link or the
    record is not in the directory (the link's ``*_id`` still holds its id)."""
    field = obj._meta.get_field(name)
    assert isinstance(field, models.ForeignKey)
    if getattr(obj, field.attname) is None:
        return None
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        # Remember the absence, so the next read asks the database no more.
        field.set_cached_value(obj, None)
        return None


def _sorted[M: models.Model](related: models.Manager[M]) -> list[M]:
    items = list(related.all())
    items.sort(key=lambda item: item.pk)
    return items


class _Builder:
    """Builds the dicts of one batch; ``finish`` adds every record's attributes
    and metadata, two queries for the whole batch."""

    def __init__(self) -> None:
        # Records that carry "attributes" and "metadata" (table name, dict).
        self._linked: list[tuple[str, Record]] = []
        self._time_zones: dict[str, str] = {}

    def scalars(self, table: str, obj: models.Model) -> Record:
        body: Record = {}
        for column in tables()[table].columns:
            value = getattr(obj, column.attname)
            if value is not None:
                body[column.name] = json_value(value)
        return body

    def _links(self, table: str, body: Record) -> Record:
        # Placeholders in the schema's place; ``finish`` fills them in.
        body["attributes"] = []
        body["metadata"] = []
        self._linked.append((table, body))
        return body

    def simple(self, table: str, obj: models.Model) -> Record:
        return self._links(table, self.scalars(table, obj))

    def phone(self, obj: Phone) -> Record:
        body = self.scalars("phone", obj)
        body["languages"] = [self.simple("language", x) for x in _sorted(obj.languages)]
        return self._links("phone", body)

    def phones(self, related: models.Manager[Phone]) -> list[Record]:
        return [self.phone(x) for x in _sorted(related)]

    def contact(self, obj: Contact) -> Record:
        body = self.scalars("contact", obj)
        body["phones"] = self.phones(obj.phones)
        return self._links("contact", body)

    def schedule(self, obj: Schedule) -> Record:
        if obj.time_zone:
            self._time_zones[str(obj.id)] = obj.time_zone
        return self.simple("schedule", obj)

    def location(self, obj: Location) -> Record:
        body = self.scalars("location", obj)
        body["languages"] = [self.simple("language", x) for x in _sorted(obj.languages)]
        body["addresses"] = [self.simple("address", x) for x in _sorted(obj.addresses)]
        body["contacts"] = [self.contact(x) for x in _sorted(obj.contacts)]
        body["accessibility"] = [
            self.simple("accessibility", x) for x in _sorted(obj.accessibility)
        ]
        body["phones"] = self.phones(obj.phones)
        body["schedules"] = [self.schedule(x) for x in _sorted(obj.schedules)]
        return self._links("location", body)

    def organization(self, obj: Organization, *, services: bool) -> Record:
        body = self.scalars("organization", obj)
        body["funding"] = [self.simple("funding", x) for x in _sorted(obj.funding)]
        body["contacts"] = [self.contact(x) for x in _sorted(obj.contacts)]
        body["phones"] = self.phones(obj.phones)
        body["locations"] = [self.location(x) for x in _sorted(obj.locations)]
        body["programs"] = [self.simple("program", x) for x in _sorted(obj.programs)]
        body["organization_identifiers"] = [
            self.simple("organization_identifier", x)
            for x in _sorted(obj.organization_identifiers)
        ]
        self._links("organization", body)
        if services:
            body["services"] = [
                self.service(x, organization=False, locations=True) for x in _sorted(obj.services)
            ]
        return body

    def service_at_location(self, obj: ServiceAtLocation, *, service: bool) -> Record:
        body = self.scalars("service_at_location", obj)
        body["contacts"] = [self.contact(x) for x in _sorted(obj.contacts)]
        body["phones"] = self.phones(obj.phones)
        body["schedules"] = [self.schedule(x) for x in _sorted(obj.schedules)]
        place: Location | None = _target(obj, "location")
        if place is not None:
            body["location"] = self.location(place)
        self._links("service_at_location", body)
        provided: Service | None = _target(obj, "service")
        if service and provided is not None:
            body["service"] = self.service(provided, organization=True, locations=False)
        return body

    def service(self, obj: Service, *, organization: bool, locations: bool) -> Record:
        body = self.scalars("service", obj)
        body["phones"] = self.phones(obj.phones)
        body["schedules"] = [self.schedule(x) for x in _sorted(obj.schedules)]
        body["service_areas"] = [
            self.simple("service_area", x) for x in _sorted(obj.service_areas)
        ]
        if locations:
            body["service_at_locations"] = [
                self.service_at_location(x, service=False)
                for x in _sorted(obj.service_at_locations)
            ]
        body["languages"] = [self.simple("language", x) for x in _sorted(obj.languages)]
        provider: Organization | None = _target(obj, "organization")
        if organization and provider is not None:
            body["organization"] = self.organization(provider, services=False)
        body["funding"] = [self.simple("funding", x) for x in _sorted(obj.funding)]
        body["cost_options"] = [self.simple("cost_option", x) for x in _sorted(obj.cost_options)]
        program: Program | None = _target(obj, "program")
        if program is not None:
            body["program"] = self.simple("program", program)
        body["required_documents"] = [
            self.simple("required_document", x) for x in _sorted(obj.required_documents)
        ]
        body["contacts"] = [self.contact(x) for x in _sorted(obj.contacts)]
        return self._links("service", body)

    def service_summary(self, obj: Service) -> Record:
        body = self.scalars("service", obj)
        provider: Organization | None = _target(obj, "organization")
        if provider is not None:
            body["organization"] = self.scalars("organization", provider)
        program: Program | None = _target(obj, "program")
        if program is not None:
            body["program"] = self.scalars("program", program)
        return body

    def service_at_location_summary(self, obj: ServiceAtLocation) -> Record:
        body = self.scalars("service_at_location", obj)
        place: Location | None = _target(obj, "location")
        if place is not None:
            body["location"] = self.scalars("location", place)
        provided: Service | None = _target(obj, "service")
        if provided is not None:
            body["service"] = self.service_summary(provided)
        return body

    def taxonomy(self, obj: Taxonomy) -> Record:
        body = self.scalars("taxonomy", obj)
        body["metadata"] = []
        self._linked.append(("taxonomy", body))
        return body

    def taxonomy_term(self, obj: TaxonomyTerm) -> Record:
        body = self.scalars("taxonomy_term", obj)
        detail: Taxonomy | None = _target(obj, "taxonomy_detail")
        if detail is not None:
            body["taxonomy_detail"] = self.taxonomy(detail)
        body["metadata"] = []
        self._linked.append(("taxonomy_term", body))
        return body

    def attribute(self, obj: Attribute) -> Record:
        body = self.scalars("attribute", obj)
        term: TaxonomyTerm | None = _target(obj, "taxonomy_term")
        if term is not None:
            body["taxonomy_term"] = self.taxonomy_term(term)
        body["metadata"] = []
        self._linked.append(("attribute", body))
        return body

    def finish(self) -> None:
        """Fill in the attributes of every record, then the metadata of every record."""
        known = set(tables())
        records = list(self._linked)
        by_id: dict[str, list[tuple[str, Record]]] = defaultdict(list)
        for table, body in records:
            by_id[body["id"]].append((table, body))
        attributes: dict[tuple[str, str], list[Record]] = defaultdict(list)
        ids = [key for key, found in by_id.items() if any("attributes" in b for _, b in found)]
        for chunk in _chunks(ids):
            query = Attribute.objects.filter(link_id__in=chunk).select_related(
                "taxonomy_term__taxonomy_detail"
            )
            for attribute in query:
                entity = attribute.link_entity
                # A record's attributes are those linked to its id and table;
                # an attribute naming no known table goes with the id alone.
                key = (str(attribute.link_id), entity if entity in known else "")
                attributes[key].append(self.attribute(attribute))
        for schedule_id, zone in self._time_zones.items():
            zone_attribute = time_zone_attribute(schedule_id, zone)
            zone_term = time_zone_term()
            zone_term["taxonomy_detail"] = {**time_zone_taxonomy(), "metadata": []}
            zone_term["metadata"] = []
            zone_attribute["taxonomy_term"] = zone_term
            zone_attribute["metadata"] = []
            attributes[(schedule_id, "schedule")].append(zone_attribute)
        for table, body in records:
            if "attributes" not in body:
                continue
            found = attributes.get((body["id"], table), []) + attributes.get((body["id"], ""), [])
            body["attributes"].extend(sorted(found, key=lambda item: item["id"]))
        self._fill_metadata()

    def _fill_metadata(self) -> None:
        by_id: dict[str, list[Record]] = defaultdict(list)
        for _table, body in self._linked:
            by_id[body["id"]].append(body)
        found: dict[str, list[Record]] = defaultdict(list)
        for chunk in _chunks(list(by_id)):
            for row in Metadata.objects.filter(resource_id__in=chunk):
                found[str(row.resource_id)].append(self.scalars("metadata", row))
        for key, bodies in by_id.items():
            rows = sorted(found.get(key, []), key=lambda item: item["id"])
            for body in bodies:
                body["metadata"].extend(rows)


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]
