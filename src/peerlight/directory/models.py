"""The HSDS 3.0 tables, then Peerlight's own: peer notes, reports of outdated
information and referrals.

The HSDS tables follow the specification field for field, with UUID ids, so
an import → export round trip loses nothing: optional strings are ``None``
when the record did not carry them (and are then left out of the export),
numbers are floats (written back as integers when whole), and dates and
times are kept as the text the record gave ("2005-01-01", "10:00:00"), since
HSDS does not pin their format. ``attribute`` and ``metadata`` rows belong to
any record through ``link_id`` / ``resource_id``, as in HSDS.

Schedules keep HSDS's ``timezone`` (a UTC offset) and, beside it, the IANA
time zone (``time_zone``) that "open now" needs; ``Schedule.rrule`` gives the
full RFC 5545 recurrence rule.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = [
    "EDITABLE_SERVICE_FIELDS",
    "HSDS_MODELS",
    "Accessibility",
    "Address",
    "Attribute",
    "Contact",
    "CostOption",
    "Funding",
    "InfoReport",
    "Language",
    "Location",
    "Metadata",
    "Organization",
    "OrganizationIdentifier",
    "PeerNote",
    "Phone",
    "Program",
    "Referral",
    "RequiredDocument",
    "Schedule",
    "Service",
    "ServiceArea",
    "ServiceAtLocation",
    "Taxonomy",
    "TaxonomyTerm",
]


def _text() -> models.TextField[str | None, str | None]:
    # HSDS tells an absent field from an empty one; None is "absent".
    return models.TextField(null=True, blank=True)


def _number() -> models.FloatField[float | None, float | None]:
    return models.FloatField(null=True, blank=True)


class HsdsRecord(models.Model):
    """Every HSDS table: a UUID id given by the data, not by the database."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        name = getattr(self, "name", None)
        return f"{self._meta.model_name} {name or self.id}"


# --- Taxonomies -----------------------------------------------------------------


class Taxonomy(HsdsRecord):
    name = models.TextField()
    description = models.TextField()
    uri = _text()
    version = _text()

    class Meta:
        verbose_name_plural = "taxonomies"


class TaxonomyTerm(HsdsRecord):
    code = models.TextField(null=True, blank=True, db_index=True)  # noqa: DJ001 (absent ≠ empty in HSDS)
    name = models.TextField()
    description = models.TextField()
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="children",
    )
    # HSDS's free-text taxonomy name, beside the link to the taxonomy record.
    taxonomy = _text()
    taxonomy_detail = models.ForeignKey(
        Taxonomy,
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="terms",
    )
    language = _text()
    term_uri = _text()


# --- Organisations and services --------------------------------------------------


class Organization(HsdsRecord):
    name = models.TextField()
    alternate_name = _text()
    description = models.TextField()
    email = _text()
    website = _text()
    tax_status = _text()
    tax_id = _text()
    year_incorporated = _number()
    legal_status = _text()
    logo = _text()
    uri = _text()
    parent_organization = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="children",
    )


class OrganizationIdentifier(HsdsRecord):
    organization = models.ForeignKey(
        "Organization",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="organization_identifiers",
    )
    identifier_scheme = _text()
    identifier_type = models.TextField()
    identifier = models.TextField()


class Program(HsdsRecord):
    organization = models.ForeignKey(
        "Organization",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="programs",
    )
    name = models.TextField()
    alternate_name = _text()
    description = models.TextField()


class Service(HsdsRecord):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        DEFUNCT = "defunct", _("Defunct")
        TEMPORARILY_CLOSED = "temporarily closed", _("Temporarily closed")

    organization = models.ForeignKey(
        "Organization",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="services",
    )
    program = models.ForeignKey(
        Program,
        on_delete=models.SET_NULL,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="services",
    )
    name = models.TextField()
    alternate_name = _text()
    description = _text()
    url = _text()
    email = _text()
    status = models.TextField(default=Status.ACTIVE)
    interpretation_services = _text()
    application_process = _text()
    fees_description = _text()
    wait_time = _text()
    fees = _text()
    accreditations = _text()
    eligibility_description = _text()
    minimum_age = _number()
    maximum_age = _number()
    # HSDS's "last verified": an ISO date ("2026-11-02") when Peerlight writes
    # it; ISO dates sort as text, so "not verified since" is a plain filter.
    assured_date = _text()
    assurer_email = _text()
    licenses = _text()
    alert = _text()
    last_modified = _text()

    class Meta:
        indexes = [
            models.Index(fields=["assured_date"], name="directory_service_assured"),
            # The API's services in name order, paged by (name, id).
            models.Index(fields=["name", "id"], name="directory_service_name_id"),
        ]


# The service fields a coordinator edits on the service's edit page.
EDITABLE_SERVICE_FIELDS = (
    "name",
    "alternate_name",
    "status",
    "description",
    "eligibility_description",
    "minimum_age",
    "maximum_age",
    "fees_description",
    "application_process",
    "wait_time",
    "interpretation_services",
    "url",
    "email",
    "alert",
)


class Location(HsdsRecord):
    class Type(models.TextChoices):
        PHYSICAL = "physical", _("Physical")
        POSTAL = "postal", _("Postal")
        VIRTUAL = "virtual", _("Virtual")

    location_type = models.TextField(default=Type.PHYSICAL)
    url = _text()
    organization = models.ForeignKey(
        "Organization",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="locations",
    )
    name = _text()
    alternate_name = _text()
    description = _text()
    transportation = _text()
    latitude = _number()
    longitude = _number()
    external_identifier = _text()
    external_identifier_type = _text()

    class Meta:
        # The API's locations within a bounding box.
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="directory_location_lat_lon"),
        ]


class ServiceAtLocation(HsdsRecord):
    service = models.ForeignKey(
        "Service",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="service_at_locations",
    )
    location = models.ForeignKey(
        "Location",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="service_at_locations",
    )
    description = _text()


class Address(HsdsRecord):
    location = models.ForeignKey(
        "Location",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="addresses",
    )
    attention = _text()
    address_1 = models.TextField()
    address_2 = _text()
    city = models.TextField()
    region = _text()
    state_province = models.TextField()
    postal_code = models.TextField(db_index=True)
    country = models.TextField()
    address_type = models.TextField()


class Contact(HsdsRecord):
    organization = models.ForeignKey(
        "Organization",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="contacts",
    )
    service = models.ForeignKey(
        "Service",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="contacts",
    )
    service_at_location = models.ForeignKey(
        "ServiceAtLocation",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="contacts",
    )
    location = models.ForeignKey(
        "Location",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="contacts",
    )
    name = _text()
    title = _text()
    department = _text()
    email = _text()


class Phone(HsdsRecord):
    location = models.ForeignKey(
        "Location",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="phones",
    )
    service = models.ForeignKey(
        "Service",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="phones",
    )
    organization = models.ForeignKey(
        "Organization",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="phones",
    )
    contact = models.ForeignKey(
        "Contact",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="phones",
    )
    service_at_location = models.ForeignKey(
        "ServiceAtLocation",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="phones",
    )
    number = models.TextField()
    extension = _number()
    type = _text()
    description = _text()


class Language(HsdsRecord):
    service = models.ForeignKey(
        "Service",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="languages",
    )
    location = models.ForeignKey(
        "Location",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="languages",
    )
    phone = models.ForeignKey(
        "Phone",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="languages",
    )
    name = _text()
    # An ISO 639 code as the data gives it ("en", "spa"); search folds both forms.
    code = models.TextField(null=True, blank=True, db_index=True)  # noqa: DJ001 (absent ≠ empty in HSDS)
    note = _text()


class Schedule(HsdsRecord):
    service = models.ForeignKey(
        "Service",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="schedules",
    )
    location = models.ForeignKey(
        "Location",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="schedules",
    )
    service_at_location = models.ForeignKey(
        "ServiceAtLocation",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="schedules",
    )
    valid_from = _text()
    valid_to = _text()
    dtstart = _text()
    # HSDS: a UTC offset in hours, as the record gave it.
    timezone = _number()
    # The IANA zone the hours are kept in ("America/Los_Angeles"): from the
    # data when it names one, else the organisation's default zone.
    time_zone = models.CharField(max_length=64, blank=True, default="")
    until = _text()
    count = _number()
    wkst = _text()
    freq = _text()
    interval = _number()
    byday = _text()
    byweekno = _text()
    bymonthday = _text()
    byyearday = _text()
    description = _text()
    opens_at = _text()
    closes_at = _text()
    schedule_link = _text()
    attending_type = _text()
    notes = _text()

    @property
    def rrule(self) -> str:
        """The RFC 5545 RRULE value ("FREQ=WEEKLY;BYDAY=MO,TU"), or "" if no freq."""
        if not self.freq:
            return ""
        parts = [f"FREQ={self.freq.upper()}"]
        if self.interval:
            parts.append(f"INTERVAL={int(self.interval)}")
        if self.count:
            parts.append(f"COUNT={int(self.count)}")
        if self.until:
            parts.append("UNTIL=" + self.until.replace("-", "").replace(":", ""))
        for key, value in (
            ("BYDAY", self.byday),
            ("BYWEEKNO", self.byweekno),
            ("BYMONTHDAY", self.bymonthday),
            ("BYYEARDAY", self.byyearday),
            ("WKST", self.wkst),
        ):
            if value:
                parts.append(f"{key}={value.replace(' ', '').upper()}")
        return ";".join(parts)


class CostOption(HsdsRecord):
    service = models.ForeignKey(
        "Service",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="cost_options",
    )
    valid_from = _text()
    valid_to = _text()
    option = _text()
    currency = _text()
    amount = _number()
    amount_description = _text()


class ServiceArea(HsdsRecord):
    service = models.ForeignKey(
        "Service",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="service_areas",
    )
    name = _text()
    description = _text()
    extent = _text()
    extent_type = _text()
    uri = _text()


class Accessibility(HsdsRecord):
    location = models.ForeignKey(
        "Location",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="accessibility",
    )
    description = _text()
    details = _text()
    url = _text()

    class Meta:
        verbose_name_plural = "accessibility"


class Funding(HsdsRecord):
    organization = models.ForeignKey(
        "Organization",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="funding",
    )
    service = models.ForeignKey(
        "Service",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="funding",
    )
    source = _text()


class RequiredDocument(HsdsRecord):
    service = models.ForeignKey(
        "Service",
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="required_documents",
    )
    document = _text()
    uri = _text()


class Attribute(HsdsRecord):
    """A taxonomy term attached to any record (``link_entity`` names its table)."""

    link_id = models.UUIDField(null=True, blank=True)
    taxonomy_term = models.ForeignKey(
        TaxonomyTerm,
        on_delete=models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="attributes",
    )
    link_type = _text()
    link_entity = _text()
    value = _text()

    class Meta:
        indexes = [
            models.Index(fields=["link_entity", "link_id"], name="directory_attribute_link"),
        ]


class Metadata(HsdsRecord):
    """HSDS change history of any record (``resource_type`` names its table)."""

    resource_id = models.UUIDField(null=True, blank=True, db_index=True)
    resource_type = _text()
    last_action_date = models.TextField()
    last_action_type = models.TextField()
    field_name = models.TextField()
    previous_value = models.TextField()
    replacement_value = models.TextField()
    updated_by = models.TextField()

    class Meta:
        verbose_name_plural = "metadata"


HSDS_MODELS: tuple[type[HsdsRecord], ...] = (
    Taxonomy,
    TaxonomyTerm,
    Organization,
    OrganizationIdentifier,
    Program,
    Service,
    Location,
    ServiceAtLocation,
    Address,
    Contact,
    Phone,
    Language,
    Schedule,
    CostOption,
    ServiceArea,
    Accessibility,
    Funding,
    RequiredDocument,
    Attribute,
    Metadata,
)


# --- Peerlight's own ---------------------------------------------------------------


class PeerNote(models.Model):
    """A short note by a peer supporter from lived experience, shown once a
    coordinator has published it ("they have Spanish-speaking staff")."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Not published")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="peer_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="directory_note_queue")]

    def __str__(self) -> str:
        return f"Peer note {self.pk}"


class InfoReport(models.Model):
    """Someone (anyone, signed in or not) says a listing is out of date."""

    class Topic(models.TextChoices):
        PHONE = "phone", _("Phone number")
        HOURS = "hours", _("Opening hours")
        ADDRESS = "address", _("Address")
        CLOSED = "closed", _("The service has closed")
        ELIGIBILITY = "eligibility", _("Who can use it")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FIXED = "fixed", _("Fixed")
        DISMISSED = "dismissed", _("Dismissed")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="info_reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    topic = models.CharField(max_length=12, choices=Topic.choices)
    details = models.TextField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="directory_report_queue")]

    def __str__(self) -> str:
        return f"Info report {self.pk}"


class Referral(models.Model):
    """A peer shared a service with a member; later the member is asked how it went."""

    class Outcome(models.TextChoices):
        CONNECTED = "connected", _("I connected with them")
        UNREACHABLE = "unreachable", _("I couldn't reach them")
        NOT_ELIGIBLE = "not_eligible", _("I wasn't eligible")
        WAITING_LIST = "waiting_list", _("I'm on a waiting list")
        DECIDED_NOT = "decided_not", _("I decided not to")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="referrals")
    # The chat it was shared in, if any (the conversation id only).
    conversation = models.ForeignKey(
        "chat.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referrals"
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals_made",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # From when the member is asked how it went (on their pages; "ask me
    # later" moves it on).
    follow_up_at = models.DateTimeField(db_index=True)
    # When the worker asked by e-mail (once at most).
    asked_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=14, choices=Outcome.choices, blank=True)
    # When the member answered. Set with no outcome: they chose "don't ask again".
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "conversation", "member"],
                condition=models.Q(conversation__isnull=False),
                name="directory_referral_once_per_chat",
            )
        ]
        indexes = [
            models.Index(fields=["service", "outcome"], name="directory_referral_outcome"),
            # The question on every page of a signed-in member: their open
            # referrals by follow-up date (``referrals.next_question``).
            models.Index(
                fields=["member", "follow_up_at"],
                condition=models.Q(outcome_at__isnull=True),
                name="directory_referral_open",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk}"


from peerlight.directory.search_models import *  # noqa: E402,F403
