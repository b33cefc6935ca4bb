"""The HSDS 3.0 read API under ``/api/hsds/``: the directory, public, as JSON.

Each endpoint is one operation of the official HSDS OpenAPI file; the served
document (``api_schema.py``) says exactly what is answered. Lists come in
HSDS's ``Page`` wrapper, 1-based (``page``, ``per_page`` up to 100, 50 by
default), and ``format=ndjson`` streams every result, one per line, without
pages. Query parameters are cumulative (HSDS: they combine with AND). A
parameter that cannot be read is a 400, a record that is not there (or is
named by a filter and is not there) a 404, a method other than GET or HEAD
a 405; each with ``{"error": "..."}``.

How the filters read, where HSDS leaves room:

- ``search``: the directory's own search (stemmed words, English and
  Spanish), ranked by relevance; ``/organizations``, ``/taxonomies`` and
  ``/taxonomy_terms`` match every word in the name or description instead.
- ``taxonomy_term_id``: the term or any term below it (as search does);
  ``taxonomy_id``: any term of that taxonomy.
- ``modified_after``: an ISO 8601 date or date-time (UTC when it names no
  zone), compared to the second with ``last_modified``, which Peerlight
  writes in UTC.
- ``postcode`` and ``proximity``: see ``service_at_locations``.
- Only active services are listed (``/services/{id}`` answers for any
  status, which it states).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import wraps
from typing import Any, Concatenate
from uuid import UUID

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Exists, F, FloatField, Model, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from peerlight.directory import api_schema, places, search
from peerlight.directory.hsds import serialise
from peerlight.directory.models import (
    Attribute,
    Organization,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

HSDS_VERSION = "3.0"
# Peerlight speaks HSDS 3.0 without a profile: the profile is HSDS itself.
HSDS_PROFILE_URL = "https://openreferral.readthedocs.io/en/3.0/"
PER_PAGE = 50
MAX_PER_PAGE = search.MAX_PER_PAGE
# ``minimal`` asks for every service in one page: its rows are small.
MAX_MINIMAL_PER_PAGE = 1000
MAX_PAGE = 1_000_000_000
MAX_TEXT = 200
MAX_PROXIMITY_M = search.MAX_RADIUS_KM * 1000
# A search combined with filters the search engine does not know looks at
# this many best matches (an honest limit rather than a scan of everything).
SEARCH_WINDOW = 1000
NDJSON_CHUNK = 200
MAX_TERM_DEPTH = 12
# Service areas given as shapes are taken to cover any postcode: shapes are
# not evaluated here, and leaving a service out is the worse mistake.
SHAPE_EXTENTS = ("geojson", "topojson", "kml")

type Item = dict[str, Any]
type Render = Callable[[list[Any]], list[Item]]


class BadParameter(Exception):
    """A parameter that cannot be read: a 400."""


class NotFound(Exception):
    """No such record: a 404."""


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def hsds_endpoint[**P](
    view: Callable[Concatenate[HttpRequest, P], HttpResponseBase],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """GET (and HEAD) only; bad parameters and missing records answered in JSON."""

    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            response = _error(_("This address only answers GET requests."), 405)
            response["Allow"] = "GET, HEAD"
            return response
        try:
            return view(request, *args, **kwargs)
        except BadParameter as error:
            return _error(str(error), 400)
        except NotFound as error:
            return _error(str(error), 404)

    # Nothing here changes anything, and a POST must get the 405, not a CSRF page.
    return csrf_exempt(wrapper)


# --- Parameters --------------------------------------------------------------------


def _text(request: HttpRequest, name: str) -> str:
    value = request.GET.get(name, "")
    if len(value) > MAX_TEXT or "\x00" in value:
        raise BadParameter(
            _("%(name)s must be text of at most %(count)d characters.")
            % {"name": name, "count": MAX_TEXT}
        )
    return value.strip()


def _boolean(request: HttpRequest, name: str) -> bool:
    value = request.GET.get(name, "").strip().lower()
    if value in ("", "false", "0"):
        return False
    if value in ("true", "1"):
        return True
    raise BadParameter(_("%(name)s must be true or false.") % {"name": name})


def _whole(request: HttpRequest, name: str, *, default: int, maximum: int) -> int:
    value = request.GET.get(name, "")
    if value == "":
        return default
    if not re.fullmatch(r"[0-9]{1,10}", value) or not 1 <= int(value) <= maximum:
        raise BadParameter(
            _("%(name)s must be a whole number from 1 to %(maximum)d.")
            % {"name": name, "maximum": maximum}
        )
    return int(value)


def _uuid(value: str, name: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise BadParameter(_("%(name)s must be a UUID.") % {"name": name}) from None


def _optional_uuid(request: HttpRequest, name: str) -> UUID | None:
    value = request.GET.get(name, "")
    return _uuid(value, name) if value else None


def _record[M: Model](model: type[M], pk: UUID, what: str) -> M:
    record = model._default_manager.filter(pk=pk).first()
    if record is None:
        raise NotFound(_("There is no %(what)s with this id.") % {"what": what})
    return record


@dataclass(frozen=True, slots=True)
class Paging:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def body(self, contents: list[Item], total: int) -> Item:
        """HSDS's ``Page`` wrapper around one page of ``contents``."""
        total_pages = max(1, math.ceil(total / self.per_page))
        return {
            "total_items": total,
            "total_pages": total_pages,
            "page_number": self.page,
            "size": len(contents),
            "first_page": self.page == 1,
            "last_page": self.page >= total_pages,
            "empty": total == 0,
            "contents": contents,
        }


def _paging(request: HttpRequest, *, maximum: int = MAX_PER_PAGE) -> Paging:
    return Paging(
        page=_whole(request, "page", default=1, maximum=MAX_PAGE),
        per_page=_whole(request, "per_page", default=min(PER_PAGE, maximum), maximum=maximum),
    )


def _wants_ndjson(request: HttpRequest) -> bool:
    value = request.GET.get("format", "json")
    if value not in ("json", "ndjson"):
        raise BadParameter(_("format must be json or ndjson."))
    return value == "ndjson"


def _modified_after(request: HttpRequest) -> str | None:
    value = request.GET.get("modified_after", "")
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value) if len(value) <= 40 else None
    except ValueError:
        moment = None
    if moment is None:
        raise BadParameter(_("modified_after must be an ISO 8601 date or date-time."))
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:
            raise BadParameter(_("modified_after is out of range.")) from None
    # ISO text in UTC sorts as time does; "last_modified" is kept as that text.
    return moment.replace(tzinfo=None, microsecond=0).isoformat()


@dataclass(frozen=True, slots=True)
class Place:
    """``postcode`` (and ``proximity``, in metres from its centre)."""

    postcode: str
    # City and county of a US ZIP code, for service areas named that way.
    names: tuple[str, ...]
    point: places.Point | None
    radius_km: float | None


def _place(request: HttpRequest) -> Place | None:
    postcode = _text(request, "postcode")
    proximity = request.GET.get("proximity", "")
    if not postcode:
        if proximity:
            raise BadParameter(_("proximity needs a postcode to measure from."))
        return None
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 -]{2,15}", postcode):
        raise BadParameter(_("postcode must be a postcode or ZIP code."))
    radius_km = None
    if proximity:
        if not re.fullmatch(r"[0-9]{1,7}(\.[0-9]{1,3})?", proximity):
            raise BadParameter(_("proximity must be a distance in metres."))
        metres = float(proximity)
        if not 0 < metres <= MAX_PROXIMITY_M:
            raise BadParameter(
                _("proximity must be more than 0 and at most %(maximum)d metres.")
                % {"maximum": MAX_PROXIMITY_M}
            )
        radius_km = metres / 1000
    point = places.zip_point(postcode)
    if radius_km is not None and point is None:
        raise BadParameter(
            _("The centre of this postcode is not known, so proximity cannot work.")
        )
    return Place(postcode, _zip_names(postcode) if point else (), point, radius_km)


def _zip_names(code: str) -> tuple[str, ...]:
    import zipcodes  # its data loads on first use

    try:
        found: list[dict[str, Any]] = zipcodes.matching(code.strip())  # type: ignore[no-untyped-call]
    except (TypeError, ValueError):
        return ()
    return tuple(
        name for entry in found[:1] for name in (entry.get("city"), entry.get("county")) if name
    )


@dataclass(frozen=True, slots=True)
class ServiceFilters:
    words: str = ""
    term_id: UUID | None = None
    # The term and every term below it.
    term_ids: tuple[UUID, ...] = ()
    taxonomy_id: UUID | None = None
    organization_id: UUID | None = None
    modified_after: str | None = None
    place: Place | None = None

    @property
    def search_can_page(self) -> bool:
        """True when the search engine knows every filter, so it can page alone."""
        return not (self.taxonomy_id or self.organization_id or self.modified_after or self.place)


def _service_filters(request: HttpRequest) -> ServiceFilters:
    term_id = _optional_uuid(request, "taxonomy_term_id")
    taxonomy_id = _optional_uuid(request, "taxonomy_id")
    organization_id = _optional_uuid(request, "organization_id")
    filters = ServiceFilters(
        words=_text(request, "search"),
        term_id=term_id,
        taxonomy_id=taxonomy_id,
        organization_id=organization_id,
        modified_after=_modified_after(request),
        place=_place(request),
    )
    if taxonomy_id:
        _record(Taxonomy, taxonomy_id, _("taxonomy"))
    if organization_id:
        _record(Organization, organization_id, _("organization"))
    if term_id:
        _record(TaxonomyTerm, term_id, _("taxonomy term"))
        return replace(filters, term_ids=_with_descendants(term_id))
    return filters


def _with_descendants(term_id: UUID) -> tuple[UUID, ...]:
    found = [term_id]
    frontier = [term_id]
    for _level in range(MAX_TERM_DEPTH):
        frontier = list(
            TaxonomyTerm.objects.filter(parent_id__in=frontier)
            .exclude(pk__in=found)
            .values_list("pk", flat=True)
        )
        if not frontier:
            break
        found.extend(frontier)
    return tuple(found)


# --- Finding services ---------------------------------------------------------------


def _service_conditions(filters: ServiceFilters, ref: str) -> list[Q | Exists]:
    """Conditions on a service; ``ref`` names its id in the query ("pk", "service_id")."""
    prefix = "" if ref == "pk" else "service__"
    conditions: list[Q | Exists] = [Q(**{prefix + "status": Service.Status.ACTIVE})]
    if filters.organization_id:
        conditions.append(Q(**{prefix + "organization_id": filters.organization_id}))
    if filters.modified_after:
        conditions.append(Q(**{prefix + "last_modified__gte": filters.modified_after}))
    attributes = Attribute.objects.filter(link_entity="service", link_id=OuterRef(ref))
    if filters.term_ids:
        conditions.append(Exists(attributes.filter(taxonomy_term_id__in=filters.term_ids)))
    if filters.taxonomy_id:
        conditions.append(
            Exists(attributes.filter(taxonomy_term__taxonomy_detail_id=filters.taxonomy_id))
        )
    if filters.place:
        conditions.append(_covers(filters.place, ref))
    return conditions


def _covers(place: Place, ref: str) -> Q:
    """HSDS: "If service_area is available, only return results where the postcode
    exists within the service_area." A service without areas passes; one with
    areas passes when an area names the postcode, or its city or county, or
    is a shape (see ``SHAPE_EXTENTS``)."""
    areas = ServiceArea.objects.filter(service_id=OuterRef(ref))
    mentions = Q(extent__icontains=place.postcode) | Q(name__icontains=place.postcode)
    for shape in SHAPE_EXTENTS:
        mentions |= Q(extent_type__iexact=shape)
    for name in place.names:
        mentions |= Q(name__iexact=name) | Q(extent__iexact=name)
    return ~Q(Exists(areas)) | Q(Exists(areas.filter(mentions)))


def _distance_km(point: places.Point, prefix: str) -> Any:
    """The haversine distance from ``point`` to the location at ``prefix``, in SQL."""
    latitude = Radians(F(prefix + "latitude"))
    half_dlat = (latitude - Value(math.radians(point.latitude))) / 2
    half_dlon = (Radians(F(prefix + "longitude")) - Value(math.radians(point.longitude))) / 2
    h = Power(Sin(half_dlat), 2) + Value(math.cos(math.radians(point.latitude))) * Cos(
        latitude
    ) * Power(Sin(half_dlon), 2)
    return Value(2 * places.EARTH_RADIUS_KM) * ASin(Sqrt(Least(h, Value(1.0))))


def _within(queryset: QuerySet[Any], place: Place, prefix: str) -> QuerySet[Any]:
    """Locations within the place's proximity (a box first, then the distance)."""
    assert place.point is not None
    assert place.radius_km is not None
    box = places.bounding_box(place.point, place.radius_km)
    within: QuerySet[Any] = (
        queryset.filter(
            **{
                prefix + "latitude__range": (box.min_latitude, box.max_latitude),
                prefix + "longitude__range": (box.min_longitude, box.max_longitude),
            }
        )
        .annotate(distance_km=_distance_km(place.point, prefix))
        .filter(distance_km__lte=place.radius_km)
    )
    return within


def _services_query(filters: ServiceFilters) -> QuerySet[Service]:
    """Matching service ids in their order (``proximity``: nearest first)."""
    services = Service.objects.filter(*_service_conditions(filters, "pk"))
    place = filters.place
    if place and place.radius_km is not None:
        nearest = (
            _within(
                ServiceAtLocation.objects.filter(service_id=OuterRef("pk")), place, "location__"
            )
            .order_by("distance_km")
            .values("distance_km")[:1]
        )
        services = services.annotate(
            distance_km=Subquery(nearest, output_field=FloatField())
        ).filter(distance_km__isnull=False)
        return services.order_by("distance_km", "name", "pk")
    return services.order_by("name", "pk")


def _ranked_service_ids(filters: ServiceFilters, limit: int) -> list[UUID]:
    """Up to ``limit`` best matches of the words, best first."""
    place = filters.place
    ids: list[UUID] = []
    page = 1
    while len(ids) < limit:
        results = search.search(
            search.Query(
                words=filters.words,
                near=place.point if place else None,
                radius_km=place.radius_km if place else None,
                categories=(filters.term_id,) if filters.term_id else (),
                page=page,
                per_page=MAX_PER_PAGE,
            )
        )
        ids.extend(hit.service_id for hit in results.hits)
        if not results.hits or len(ids) >= results.total:
            break
        page += 1
    return ids[:limit]


@dataclass(frozen=True, slots=True)
class Found:
    """What a list matched: an ordered query of ids, or ids already ranked."""

    query: QuerySet[Any] | None = None
    ranked: list[Any] | None = None
    # Set when the search engine paged alone: ``ranked`` is that page, of this many.
    paged_total: int | None = None

    def page(self, paging: Paging) -> tuple[list[Any], int]:
        if self.ranked is not None and self.paged_total is not None:
            return self.ranked, self.paged_total
        if self.ranked is not None:
            return self.ranked[paging.offset : paging.offset + paging.per_page], len(self.ranked)
        assert self.query is not None
        total = self.query.count()
        if paging.offset >= total:
            return [], total
        ids = self.query.values_list("pk", flat=True)[
            paging.offset : paging.offset + paging.per_page
        ]
        return list(ids), total

    def chunks(self) -> Iterator[list[Any]]:
        """Every id, a chunk at a time (by id, so each chunk is one indexed query)."""
        if self.ranked is not None:
            for start in range(0, len(self.ranked), NDJSON_CHUNK):
                yield self.ranked[start : start + NDJSON_CHUNK]
            return
        assert self.query is not None
        query = self.query.order_by("pk").values_list("pk", flat=True)
        last = None
        while True:
            chunk = list((query.filter(pk__gt=last) if last else query)[:NDJSON_CHUNK])
            if not chunk:
                return
            yield chunk
            last = chunk[-1]


def _find_services(filters: ServiceFilters, paging: Paging | None) -> Found:
    """The services matching ``filters``; with words, the search engine ranks them.

    When the engine knows every filter and a page is asked, it pages alone
    (the total is its own); otherwise its ``SEARCH_WINDOW`` best are filtered here.
    """
    if not filters.words:
        return Found(query=_services_query(filters))
    if filters.search_can_page and paging is not None and paging.per_page <= MAX_PER_PAGE:
        results = search.search(
            search.Query(
                words=filters.words,
                categories=(filters.term_id,) if filters.term_id else (),
                page=paging.page,
                per_page=paging.per_page,
            )
        )
        return Found(ranked=[hit.service_id for hit in results.hits], paged_total=results.total)
    ranked = _ranked_service_ids(filters, SEARCH_WINDOW)
    kept = set(_services_query(filters).filter(pk__in=ranked).values_list("pk", flat=True))
    return Found(ranked=[pk for pk in ranked if pk in kept])


def _in_order(queryset: QuerySet[Any], ids: list[Any]) -> list[Any]:
    by_id = {record.pk: record for record in queryset.filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


# --- Rendering -------------------------------------------------------------------------


def _listing(
    request: HttpRequest, found: Found, paging: Paging, render: Render
) -> HttpResponseBase:
    if _wants_ndjson(request):
        return _ndjson(request, found.chunks(), render)
    ids, total = found.page(paging)
    return JsonResponse(paging.body(render(ids), total))


def _ndjson(
    request: HttpRequest, chunks: Iterator[list[Any]], render: Render
) -> StreamingHttpResponse:
    """Every result, one JSON object a line, fetched a chunk at a time."""

    def lines(ids: list[Any]) -> str:
        return "".join(json.dumps(item, cls=DjangoJSONEncoder) + "\n" for item in render(ids))

    def sync_lines() -> Iterator[str]:
        for ids in chunks:
            yield lines(ids)

    async def async_lines() -> AsyncIterator[str]:
        # Under ASGI each chunk is read in the thread that holds the connection.
        while (text := await sync_to_async(_next_lines)(chunks, lines)) is not None:
            yield text

    stream: Iterable[str] | AsyncIterator[str] = (
        async_lines() if isinstance(request, ASGIRequest) else sync_lines()
    )
    return StreamingHttpResponse(stream, content_type="application/x-ndjson")


def _next_lines(chunks: Iterator[list[Any]], lines: Callable[[list[Any]], str]) -> str | None:
    ids = next(chunks, None)
    return None if ids is None else lines(ids)


def _render_services(full: bool) -> Render:
    def render(ids: list[Any]) -> list[Item]:
        records = serialise.prefetch_services(Service.objects.all(), full=full)
        return serialise.services(_in_order(records, ids), full=full)

    return render


def _render_organizations(*, full: bool, full_service: bool) -> Render:
    """The list form, or nested with services in full or (HSDS: "simple information")
    their one-to-one fields; ``full_service`` alone implies nesting."""
    nested = full or full_service

    def render(ids: list[Any]) -> list[Item]:
        records = serialise.prefetch_organizations(Organization.objects.all(), full=nested)
        bodies = serialise.organizations(_in_order(records, ids), full=nested)
        if nested and not full_service:
            for body in bodies:
                body["services"] = [_one_to_one(service) for service in body["services"]]
        return bodies

    return render


def _one_to_one(body: Item) -> Item:
    return {key: value for key, value in body.items() if not isinstance(value, (list, dict))}


def _render_service_at_locations(full: bool) -> Render:
    def render(ids: list[Any]) -> list[Item]:
        records = serialise.prefetch_service_at_locations(
            ServiceAtLocation.objects.all(), full=full
        )
        return serialise.service_at_locations(_in_order(records, ids), full=full)

    return render


def _render_taxonomy_terms(ids: list[Any]) -> list[Item]:
    records = serialise.prefetch_taxonomy_terms(TaxonomyTerm.objects.all())
    return serialise.taxonomy_terms(_in_order(records, ids))


def _render_minimal(ids: list[Any]) -> list[Item]:
    rows = Service.objects.filter(pk__in=ids).values("pk", "name", "status", "last_modified")
    by_id = {row["pk"]: row for row in rows}
    # Only id and the modification date are asked for; name and status come
    # too because the list schema requires them.
    return [
        {
            "id": str(pk),
            "name": by_id[pk]["name"],
            "status": by_id[pk]["status"],
            **({"last_modified": m} if (m := by_id[pk]["last_modified"]) is not None else {}),
        }
        for pk in ids
        if pk in by_id
    ]


# --- Views -------------------------------------------------------------------------------


@hsds_endpoint
def root(request: HttpRequest) -> HttpResponseBase:
    """What this API is: HSDS 3.0, its profile and its OpenAPI document."""
    return JsonResponse(
        {
            "version": HSDS_VERSION,
            "profile": HSDS_PROFILE_URL,
            "openapi_url": request.build_absolute_uri(reverse("hsds_openapi")),
        }
    )


@hsds_endpoint
def openapi_document(request: HttpRequest) -> HttpResponseBase:
    """The OpenAPI 3.1 document of this API (``api_schema``), for this site."""
    server = request.build_absolute_uri(reverse("hsds_root")).rstrip("/")
    return HttpResponse(api_schema.document_json(server), content_type="application/json")


@hsds_endpoint
def services(request: HttpRequest) -> HttpResponseBase:
    """Active services, paged; ``full=true`` for the fully nested form, ``minimal=true``
    for just their ids and modification dates (up to 1,000 a page).

    ``postcode`` and ``proximity`` read as for ``service_at_locations``; with
    ``proximity`` a service counts by its nearest location and nearest come first.
    """
    minimal = _boolean(request, "minimal")
    full = _boolean(request, "full")
    paging = _paging(request, maximum=MAX_MINIMAL_PER_PAGE if minimal else MAX_PER_PAGE)
    filters = _service_filters(request)
    found = _find_services(filters, None if _wants_ndjson(request) else paging)
    render = _render_minimal if minimal else _render_services(full)
    return _listing(request, found, paging, render)


@hsds_endpoint
def service_detail(request: HttpRequest, service_id: str) -> HttpResponseBase:
    """One service, fully nested, whatever its status (the record says it)."""
    pk = _uuid(service_id, "id")
    found = _render_services(full=True)([pk])
    if not found:
        raise NotFound(_("There is no service with this id."))
    return JsonResponse(found[0])


@hsds_endpoint
def service_at_locations(request: HttpRequest) -> HttpResponseBase:
    """Services at their locations, paged, with the filters of ``/services``.

    ``postcode`` and ``proximity``, read as HSDS describes them:

    - ``postcode`` alone checks coverage: a service with service areas is
      listed only when one of them covers the postcode (see ``_covers``);
      a service without service areas is listed.
    - ``proximity`` is a distance in metres (a number, such as ``5000``)
      from the centre of ``postcode``: only locations within it are listed,
      nearest first. It needs a postcode whose centre is known (US ZIP
      codes, from data shipped with the ``zipcodes`` package); without one,
      or alone, it is a 400.
    """
    full = _boolean(request, "full")
    paging = _paging(request)
    filters = _service_filters(request)
    at_locations = ServiceAtLocation.objects.filter(*_service_conditions(filters, "service_id"))
    place = filters.place
    if place and place.radius_km is not None:
        at_locations = _within(at_locations, place, "location__").order_by("distance_km", "pk")
    else:
        at_locations = at_locations.order_by("service__name", "pk")
    if filters.words:
        rank = {pk: n for n, pk in enumerate(_ranked_service_ids(filters, SEARCH_WINDOW))}
        rows = at_locations.filter(service_id__in=list(rank)).values_list("pk", "service_id")
        found = Found(ranked=[pk for pk, service in sorted(rows, key=lambda r: rank[r[1]])])
    else:
        found = Found(query=at_locations)

    return _listing(request, found, paging, _render_service_at_locations(full))


@hsds_endpoint
def service_at_location_detail(request: HttpRequest, at_location_id: str) -> HttpResponseBase:
    found = _render_service_at_locations(full=True)([_uuid(at_location_id, "id")])
    if not found:
        raise NotFound(_("There is no service at a location with this id."))
    return JsonResponse(found[0])


def _matching_words(queryset: QuerySet[Any], words: str, fields: tuple[str, ...]) -> Any:
    """Rows where every word is in one of ``fields`` (small tables: no index needed)."""
    for word in words.split()[:10]:
        condition = Q()
        for field in fields:
            condition |= Q(**{field + "__icontains": word})
        queryset = queryset.filter(condition)
    return queryset


@hsds_endpoint
def organizations(request: HttpRequest) -> HttpResponseBase:
    """Organisations, paged; ``full=true`` nests their records, ``full_service=true``
    gives their services in full (else just the services' ids)."""
    full = _boolean(request, "full")
    full_service = _boolean(request, "full_service")
    paging = _paging(request)
    words = _text(request, "search")
    queryset = _matching_words(
        Organization.objects.order_by("name", "pk"),
        words,
        ("name", "alternate_name", "description"),
    )

    render = _render_organizations(full=full, full_service=full_service)
    return _listing(request, Found(query=queryset), paging, render)


@hsds_endpoint
def organization_detail(request: HttpRequest, organization_id: str) -> HttpResponseBase:
    """One organisation, fully nested; ``full_service=true`` nests its services in full."""
    full_service = _boolean(request, "full_service")
    render = _render_organizations(full=True, full_service=full_service)
    found = render([_uuid(organization_id, "id")])
    if not found:
        raise NotFound(_("There is no organization with this id."))
    return JsonResponse(found[0])


@hsds_endpoint
def taxonomies(request: HttpRequest) -> HttpResponseBase:
    paging = _paging(request)
    words = _text(request, "search")
    queryset = _matching_words(
        Taxonomy.objects.order_by("name", "pk"), words, ("name", "description")
    )

    def render(ids: list[Any]) -> list[Item]:
        return serialise.taxonomies(_in_order(Taxonomy.objects.all(), ids))

    return _listing(request, Found(query=queryset), paging, render)


@hsds_endpoint
def taxonomy_detail(request: HttpRequest, taxonomy_id: str) -> HttpResponseBase:
    record = _record(Taxonomy, _uuid(taxonomy_id, "id"), _("taxonomy"))
    return JsonResponse(serialise.taxonomy(record))


@hsds_endpoint
def taxonomy_terms(request: HttpRequest) -> HttpResponseBase:
    """Taxonomy terms, paged, by name.

    ``top_only=true`` keeps the terms at the top of their tree (no parent):
    the parameter's name says so, though its official description reads
    "have not child terms"; ``parent_id`` keeps the terms right under a term.
    """
    paging = _paging(request)
    words = _text(request, "search")
    taxonomy_id = _optional_uuid(request, "taxonomy_id")
    parent_id = _optional_uuid(request, "parent_id")
    top_only = _boolean(request, "top_only")
    queryset = TaxonomyTerm.objects.order_by("name", "pk")
    if taxonomy_id:
        _record(Taxonomy, taxonomy_id, _("taxonomy"))
        queryset = queryset.filter(taxonomy_detail_id=taxonomy_id)
    if parent_id:
        _record(TaxonomyTerm, parent_id, _("taxonomy term"))
        queryset = queryset.filter(parent_id=parent_id)
    if top_only:
        queryset = queryset.filter(parent__isnull=True)
    queryset = _matching_words(queryset, words, ("name", "code", "description"))

    return _listing(request, Found(query=queryset), paging, _render_taxonomy_terms)


@hsds_endpoint
def taxonomy_term_detail(request: HttpRequest, term_id: str) -> HttpResponseBase:
    found = _render_taxonomy_terms([_uuid(term_id, "id")])
    if not found:
        raise NotFound(_("There is no taxonomy term with this id."))
    return JsonResponse(found[0])


@hsds_endpoint
def not_found(request: HttpRequest, rest: str) -> HttpResponseBase:
    """Anything else under ``/api/hsds/``: a 404 in JSON, as every answer here is."""
    raise NotFound(_("There is nothing at this address."))
