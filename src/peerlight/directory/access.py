"""Reads of the directory, with the permission check built in.

The directory itself is public: anyone may read a service (``get_service``)
and its published peer notes. Pending notes, reports of outdated information
and the curation lists are for coordinators: the ``*_for_staff`` readers
answer 404 to anyone else, and for anything that is not there, alike.

Pages stay cheap: a page of search results is one query for the services
plus a fixed number of prefetches (``services_for_cards``), and the choices
of the search form are worked out once every few minutes (``search_choices``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language_info, gettext

from peerlight.accounts.models import Role, User
from peerlight.directory.models import (
    Address,
    Attribute,
    InfoReport,
    Language,
    PeerNote,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from peerlight.directory.presenters import language_code

__all__ = [
    "CURATOR_ROLES",
    "NOTE_WRITER_ROLES",
    "can_curate",
    "can_write_notes",
    "export_info_reports",
    "export_peer_notes",
    "get_note_for_staff",
    "get_report_for_staff",
    "get_service",
    "get_service_for_editor",
    "get_service_page",
    "pending_notes_for_staff",
    "published_notes",
    "reports_for_staff",
    "search_choices",
    "service_terms",
    "services_for_cards",
    "today",
    "unverified_services_for_staff",
    "verify_cutoff",
]

CURATOR_ROLES = (Role.COORDINATOR,)
NOTE_WRITER_ROLES = (Role.PEER_SUPPORTER,)
CHOICES_CACHE_KEY = "directory:search-choices:v1"
CHOICES_CACHE_SECONDS = 300


def can_curate(user: User) -> bool:
    return user.is_active and any(user.has_role(role) for role in CURATOR_ROLES)


def can_write_notes(user: User) -> bool:
    return user.is_active and any(user.has_role(role) for role in NOTE_WRITER_ROLES)


def _require_curator(user: User) -> None:
    if not can_curate(user):
        raise Http404


def today() -> date:
    """Today in the directory's time zone (``PEERLIGHT_DIRECTORY_TIME_ZONE``)."""
    return timezone.now().astimezone(ZoneInfo(settings.PEERLIGHT_DIRECTORY_TIME_ZONE)).date()


def verify_cutoff() -> str:
    """The ISO date before which a listing counts as not verified recently."""
    return (today() - timedelta(days=settings.PEERLIGHT_DIRECTORY_VERIFY_DAYS)).isoformat()


# --- Services ------------------------------------------------------------------------


def _location_prefetch() -> list[Prefetch[Any] | str]:
    return [
        Prefetch(
            "service_at_locations",
            queryset=ServiceAtLocation.objects.select_related("location").order_by("id"),
        ),
        "service_at_locations__schedules",
        Prefetch(
            "service_at_locations__location__addresses", queryset=Address.objects.order_by("id")
        ),
        "service_at_locations__location__schedules",
    ]


def services_for_cards(ids: Sequence[UUID]) -> list[Service]:
    """The services of a page of search hits, in the hits' order (missing ones left out).

    One query for the services and their organisations, then one per kind of
    related row a result card shows, however many results there are.
    """
    found = (
        Service.objects.filter(id__in=list(ids))
        .select_related("organization")
        .prefetch_related(
            Prefetch("phones", queryset=Phone.objects.order_by("id")),
            Prefetch("schedules", queryset=Schedule.objects.order_by("id")),
            *_location_prefetch(),
            Prefetch(
                "service_at_locations__location__phones", queryset=Phone.objects.order_by("id")
            ),
        )
    )
    by_id = {service.id: service for service in found}
    return [by_id[service_id] for service_id in ids if service_id in by_id]


def get_service(service_id: UUID) -> Service:
    """A service, for anyone (the directory is public); 404 when there is none."""
    service = Service.objects.select_related("organization").filter(id=service_id).first()
    if service is None:
        raise Http404
    return service


def get_service_page(service_id: UUID) -> Service:
    """A service with everything its page shows, in a fixed number of queries; 404 if none."""
    location_phones = Phone.objects.order_by("id").prefetch_related("languages")
    found = (
        Service.objects.filter(id=service_id)
        .select_related("organization", "program")
        .prefetch_related(
            Prefetch(
                "phones", queryset=Phone.objects.order_by("id").prefetch_related("languages")
            ),
            Prefetch("languages", queryset=Language.objects.order_by("id")),
            Prefetch("schedules", queryset=Schedule.objects.order_by("id")),
            "cost_options",
            "required_documents",
            "service_areas",
            *_location_prefetch(),
            Prefetch("service_at_locations__phones", queryset=location_phones),
            Prefetch("service_at_locations__location__phones", queryset=location_phones),
            "service_at_locations__location__accessibility",
            "service_at_locations__location__languages",
        )
        .first()
    )
    if found is None:
        raise Http404
    return found


def service_terms(service: Service) -> list[TaxonomyTerm]:
    """The taxonomy terms attached to ``service`` (HSDS ``attribute`` rows), by name."""
    term_ids = Attribute.objects.filter(
        link_entity="service", link_id=service.id, taxonomy_term__isnull=False
    ).values("taxonomy_term_id")
    return list(TaxonomyTerm.objects.filter(id__in=term_ids).order_by("name"))


def get_service_for_editor(user: User, service_id: UUID, *, lock: bool = False) -> Service:
    """A service with its phones and own schedules, for a coordinator; 404 for others.

    ``lock`` takes the row lock an action needs (inside its transaction).
    """
    _require_curator(user)
    found = Service.objects.filter(id=service_id)
    if lock:
        found = found.select_for_update()
    service = found.prefetch_related(
        Prefetch("phones", queryset=Phone.objects.order_by("id")),
        Prefetch(
            "schedules",
            queryset=Schedule.objects.filter(
                location__isnull=True, service_at_location__isnull=True
            ).order_by("id"),
        ),
    ).first()
    if service is None:
        raise Http404
    return service


# --- The search form's choices ---------------------------------------------------------


def search_choices() -> tuple[list[tuple[str, Any]], list[tuple[str, str]]]:
    """(category choices, language choices) for the search form, from the data in use.

    Categories: each top-level term that services use (through itself or a
    term below it), as an option group of "All of ..." and its children in
    use. Languages: the codes services list, folded to two letters, named in
    the reader's language where Django knows the language, else as the data
    names it. The data behind both is cached for a few minutes: every search
    page shows them, and they change only when the directory is imported.
    """
    cached = cache.get(CHOICES_CACHE_KEY)
    if cached is None:
        cached = (_category_tree(), _languages_in_use())
        cache.set(CHOICES_CACHE_KEY, cached, CHOICES_CACHE_SECONDS)
    tree, languages = cached
    categories: list[tuple[str, Any]] = []
    for top_id, top_name, children in tree:
        if not children:
            categories.append((top_id, top_name))
            continue
        everything = gettext("All of %(category)s") % {"category": top_name}
        categories.append((top_name, [(top_id, everything), *children]))
    named = [(code, _language_name(code, name)) for code, name in languages]
    return categories, sorted(named, key=lambda item: item[1].casefold())


def _language_name(code: str, name: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return name


type CategoryTree = list[tuple[str, str, list[tuple[str, str]]]]


def _category_tree() -> CategoryTree:
    """(top id, top name, [(child id, child name)]) for the terms services use, by name."""
    used_ids = Attribute.objects.filter(link_entity="service", taxonomy_term__isnull=False).values(
        "taxonomy_term_id"
    )
    known = {term.id: term for term in TaxonomyTerm.objects.filter(id__in=used_ids)}
    # Walk up to the top of each branch, one query per level of the tree.
    missing = {term.parent_id for term in known.values() if term.parent_id} - set(known)
    while missing:
        parents = list(TaxonomyTerm.objects.filter(id__in=missing))
        known.update({term.id: term for term in parents})
        missing = {term.parent_id for term in parents if term.parent_id} - set(known)
    tops: dict[UUID, set[UUID]] = {}
    for term in list(known.values()):
        chain = [term]
        while chain[-1].parent_id is not None and chain[-1].parent_id in known:
            chain.append(known[chain[-1].parent_id])
        children = tops.setdefault(chain[-1].id, set())
        if len(chain) >= 2:
            children.add(chain[-2].id)

    def by_name(key: UUID) -> str:
        return known[key].name.casefold()

    return [
        (
            str(top_id),
            known[top_id].name,
            [(str(key), known[key].name) for key in sorted(tops[top_id], key=by_name)],
        )
        for top_id in sorted(tops, key=by_name)
    ]


def _languages_in_use() -> list[tuple[str, str]]:
    """(two-letter code where one exists, name the data gives) of the services' languages."""
    rows = (
        Language.objects.filter(service__isnull=False, code__isnull=False)
        .exclude(code="")
        .values_list("code", "name")
        .distinct()
    )
    names: dict[str, str] = {}
    for code, name in rows:
        folded = language_code(code)
        if folded and (folded not in names or names[folded] == folded):
            names[folded] = name or folded
    return sorted(names.items())


# --- Peer notes ---------------------------------------------------------------------------


def published_notes(service: Service) -> list[PeerNote]:
    """The service's published notes, newest first (authors are never shown)."""
    return list(
        PeerNote.objects.filter(service=service, status=PeerNote.Status.PUBLISHED).order_by(
            "-created_at", "-id"
        )
    )


def pending_notes_for_staff(user: User) -> QuerySet[PeerNote]:
    """Notes waiting for review, oldest first; 404 for anyone but a coordinator."""
    _require_curator(user)
    return (
        PeerNote.objects.filter(status=PeerNote.Status.PENDING)
        .select_related("service", "service__organization", "author")
        .order_by("created_at", "id")
    )


def get_note_for_staff(user: User, note_id: int) -> PeerNote:
    """A note waiting for review, locked for the decision; 404 otherwise, alike."""
    _require_curator(user)
    note = (
        PeerNote.objects.select_for_update()
        .filter(pk=note_id, status=PeerNote.Status.PENDING)
        .first()
    )
    if note is None:
        raise Http404
    return note


# --- Reports of outdated information -----------------------------------------------------


def reports_for_staff(user: User, *, status: str = InfoReport.Status.OPEN) -> QuerySet[InfoReport]:
    """Reports with ``status`` (open by default), oldest first; 404 for non-coordinators."""
    _require_curator(user)
    queue = InfoReport.objects.select_related("service", "service__organization")
    if status:
        queue = queue.filter(status=status)
    return queue.order_by("created_at", "id")


def get_report_for_staff(user: User, report_id: int) -> InfoReport:
    """An open report, locked for the decision; 404 otherwise, alike."""
    _require_curator(user)
    report = (
        InfoReport.objects.select_for_update()
        .filter(pk=report_id, status=InfoReport.Status.OPEN)
        .first()
    )
    if report is None:
        raise Http404
    return report


# --- Listings not verified recently ------------------------------------------------------


def unverified_services_for_staff(user: User) -> QuerySet[Service]:
    """Listings (not defunct) whose last check is older than the setting allows, or missing.

    Oldest check first, never-checked at the very top. ``assured_date`` is an
    ISO date, so comparing text compares dates.
    """
    _require_curator(user)
    stale = Q(assured_date__isnull=True) | Q(assured_date="") | Q(assured_date__lt=verify_cutoff())
    return (
        Service.objects.filter(stale)
        .exclude(status=Service.Status.DEFUNCT)
        .select_related("organization")
        .order_by(F("assured_date").asc(nulls_first=True), "name", "id")
    )


# --- Personal data (for the privacy centre) ----------------------------------------------


def export_peer_notes(user: User) -> list[dict[str, Any]]:
    """The notes ``user`` wrote, for "Download my data"."""
    notes = PeerNote.objects.filter(author=user).select_related("service").order_by("created_at")
    return [
        {
            "service": note.service.name,
            "service_id": str(note.service_id),
            "note": note.body,
            "status": note.status,
            "written_at": note.created_at,
        }
        for note in notes
    ]


def export_info_reports(user: User) -> list[dict[str, Any]]:
    """The reports of outdated information ``user`` made, for "Download my data"."""
    reports = (
        InfoReport.objects.filter(reporter=user).select_related("service").order_by("created_at")
    )
    return [
        {
            "service": report.service.name,
            "service_id": str(report.service_id),
            "topic": report.topic,
            "details": report.details,
            "status": report.status,
            "made_at": report.created_at,
        }
        for report in reports
    ]
