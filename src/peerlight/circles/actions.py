"""Setting circles up: create and edit a circle, keep agreement templates.

Every write checks who may make it, validates again what the form checked,
saves in one transaction and writes an audit entry (ids only). Coordinators
create circles, choose their facilitators and stop them; a circle's own
facilitators edit the rest. A change to the schedule plans the meetings
again (``schedule.plan_meetings``); more places move people up from the
waiting list (``membership.fill_places``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from peerlight.accounts.models import Role, RoleGrant, User
from peerlight.audit.actions import record_change
from peerlight.circles import access, membership, schedule
from peerlight.circles.models import AgreementTemplate, Circle
from peerlight.directory.models import Location

# Words of fixed pages under /circles/ that a circle's address must not take.
RESERVED_SLUGS = frozenset({"new", "mine", "calendar", "meetings", "notices", "agreements"})
SLUG_MAX = 70
# The fields a circle's form may set, and nothing else.
EDITABLE_FIELDS = frozenset(
    {
        "name",
        "description",
        "topics",
        "language",
        "format",
        "location_id",
        "place_notes",
        "agreement",
        "capacity",
        "joining",
        "min_age",
        "max_age",
        "time_zone",
        "rrule",
        "first_date",
        "start_time",
        "duration_minutes",
    }
)
# A change to any of these moves meetings.
SCHEDULE_FIELDS = ("time_zone", "rrule", "first_date", "start_time", "duration_minutes")
CAPACITY_RANGE = (2, 40)
AGE_RANGE = (13, 120)


def slug_base(name: str) -> str:
    """The address a name gives (``ValidationError`` for a reserved word)."""
    base = slugify(name)[:SLUG_MAX].strip("-") or "circle"
    if base in RESERVED_SLUGS:
        raise ValidationError(
            {"name": _("This name is kept for a page of the site. Please add a word or two.")},
            code="reserved",
        )
    return base


def unique_slug(name: str) -> str:
    """A free address for a new circle: the name's, or it followed by -2, -3..."""
    base = slug_base(name)
    taken = set(Circle.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _check_fields(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Not fields a circle's form sets: {sorted(unknown)}")
    errors: dict[str, Any] = {}
    low, high = CAPACITY_RANGE
    if not low <= fields["capacity"] <= high:
        errors["capacity"] = _("A circle has between 2 and 40 places.")
    ages = [fields.get("min_age"), fields.get("max_age")]
    if any(age is not None and not AGE_RANGE[0] <= age <= AGE_RANGE[1] for age in ages):
        errors["min_age"] = _("Ages go from 13 to 120.")
    elif ages[0] is not None and ages[1] is not None and ages[0] > ages[1]:
        errors["max_age"] = _("The oldest age cannot be below the youngest age.")
    location_id: UUID | None = fields.get("location_id")
    if fields["format"] != Circle.Format.ONLINE and location_id is None:
        errors["location"] = _("Please choose where the circle meets: it meets in person.")
    elif location_id is not None and not Location.objects.filter(pk=location_id).exists():
        errors["location"] = _("Please choose a place from the list.")
    try:
        ZoneInfo(fields["time_zone"])
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = _("Please choose a time zone from the list.")
    try:
        schedule.validate_rule(fields["rrule"], first_date=fields["first_date"])
    except ValidationError as error:
        errors["repeats"] = error.messages
    if errors:
        raise ValidationError(errors)


def _check_facilitators(people: Sequence[User]) -> None:
    if not people:
        raise ValidationError(
            {"facilitators": _("Please choose at least one facilitator.")}, code="required"
        )
    # Asked of the database, not a cached role set: the answer decides a write.
    leaders = set(
        RoleGrant.objects.filter(
            user__in=people,
            user__is_active=True,
            role=Role.PEER_SUPPORTER,
            revoked_at__isnull=True,
        ).values_list("user_id", flat=True)
    )
    if any(person.pk not in leaders for person in people):
        raise ValidationError(
            {"facilitators": _("Only peer supporters can lead a circle.")}, code="not_peer"
        )


def create_circle(actor: User, fields: Mapping[str, Any], facilitators: Sequence[User]) -> Circle:
    """A new circle led by ``facilitators``, with its first meetings planned.

    ``PermissionDenied`` unless ``actor`` is a coordinator; ``ValidationError``
    (by field) for values the form should have refused.
    """
    if not access.is_coordinator(actor):
        raise PermissionDenied
    _check_fields(fields)
    _check_facilitators(facilitators)
    with transaction.atomic():
        circle = Circle.objects.create(
            slug=unique_slug(fields["name"]), created_by=actor, **fields
        )
        circle.facilitators.set(facilitators)
        record_change(actor, "circle.create", circle)
        schedule.plan_meetings(circle)
    return circle


def update_circle(
    actor: User,
    circle: Circle,
    fields: Mapping[str, Any],
    *,
    facilitators: Sequence[User] | None = None,
    is_active: bool | None = None,
) -> Circle:
    """Save the changes to ``circle``; plan again and fill places as they call for.

    Its facilitators and coordinators may edit; only coordinators change who
    leads (``facilitators``) or stop the circle (``is_active``): others get
    ``PermissionDenied``, as does anyone who may not lead it. The address
    (slug) stays as it was, so links and calendars keep working.
    """
    coordinator = access.is_coordinator(actor)
    if not access.can_lead(actor, circle):
        raise PermissionDenied
    if (facilitators is not None or is_active is not None) and not coordinator:
        raise PermissionDenied
    _check_fields(fields)
    if facilitators is not None:
        _check_facilitators(facilitators)
    with transaction.atomic():
        circle = Circle.objects.select_for_update().get(pk=circle.pk)
        before = {name: getattr(circle, name) for name in (*SCHEDULE_FIELDS, "capacity")}
        was_active = circle.is_active
        for name, value in fields.items():
            setattr(circle, name, value)
        if is_active is not None:
            circle.is_active = is_active
        circle.updated_at = timezone.now()
        circle.save()
        if facilitators is not None:
            circle.facilitators.set(facilitators)
        record_change(actor, "circle.update", circle)
        if was_active and not circle.is_active:
            record_change(actor, "circle.deactivate", circle)
        if circle.is_active and (
            not was_active or any(getattr(circle, n) != before[n] for n in SCHEDULE_FIELDS)
        ):
            schedule.plan_meetings(circle)
        if circle.capacity > before["capacity"] or (circle.is_active and not was_active):
            membership.fill_places(circle)
    return circle


def starting_agreement(template_id: str | None, language: str) -> AgreementTemplate | None:
    """The template a new circle's agreement starts from: the one asked for, else a default.

    The default is the first offered in ``language``, else in the site's
    language, else the first offered at all.
    """
    templates = AgreementTemplate.objects.all()
    if template_id and template_id.isdigit():
        chosen = templates.filter(pk=int(template_id)).first()
        if chosen is not None:
            return chosen
    return (
        templates.filter(language=language).first()
        or templates.filter(language=settings.LANGUAGE_CODE.split("-")[0]).first()
        or templates.first()
    )


def save_agreement_template(
    actor: User,
    template: AgreementTemplate | None,
    *,
    name: str,
    language: str,
    text: str,
    is_default: bool,
) -> AgreementTemplate:
    """Create (``template`` None) or change an agreement template; coordinators only.

    One template per language is offered first: marking this one so unmarks
    the others of its language. Circles keep their own copies; changing a
    template changes no circle.
    """
    if not access.is_coordinator(actor):
        raise PermissionDenied
    if not name.strip() or not text.strip():
        raise ValidationError(_("A template needs a name and a text."), code="empty")
    with transaction.atomic():
        created = template is None
        if template is None:
            template = AgreementTemplate()
        template.name = name.strip()
        template.language = language
        template.text = text.strip()
        template.is_default = is_default
        template.updated_at = timezone.now()
        template.updated_by = actor
        template.save()
        if is_default:
            AgreementTemplate.objects.filter(language=language, is_default=True).exclude(
                pk=template.pk
            ).update(is_default=False)
        verb = "create" if created else "update"
        record_change(actor, f"circle.agreement_template.{verb}", template)
    return template
