"""Demo circles in the demo region (Portland, Oregon), led by the demo peer supporters.

Eight fictional circles: online, in person and both; weekly, every other
week and on the first and third Monday; open and by request; one in
Spanish; one full with a waiting list. In-person circles meet at places of
the demo directory (``directory.demo``), found by street address. The demo
members belong to one or two circles each, and a few extra fictional
members (accounts that cannot sign in) fill the full one.

"Worry and Stress Drop-in" meets weekly on the weekday of seeding, and its
next meeting is moved to start 15 minutes after seeding, so a facilitator
can open its room at once.

``seed(out)`` is idempotent: a circle already there (found by its slug) is
left exactly as it is, memberships included. Rows are written straight to
the tables, as other demo data are: seeding is not an edit by a person, so
there is no audit entry for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.circles import schedule
from peerlight.circles.models import AgreementTemplate, Circle, Meeting, Membership
from peerlight.directory.models import Address, Location

TIME_ZONE = "America/Los_Angeles"
SOON_SLUG = "worry-and-stress-drop-in"
# Fictional members of the full circle; they have no password and never sign in.
EXTRA_MEMBERS = ("willow", "pinecone", "tidepool", "sparrow")


class Writer(Protocol):
    def write(self, text: str) -> object: ...


@dataclass(frozen=True)
class DemoCircle:
    slug: str
    name: str
    description: str
    topics: tuple[str, ...]
    facilitators: tuple[str, ...]
    rrule: str
    start_time: dt.time
    language: str = "en"
    format: str = Circle.Format.ONLINE
    # Street address of a demo directory place (in-person circles).
    address: str = ""
    place_notes: str = ""
    capacity: int = 12
    joining: str = Circle.Joining.OPEN
    min_age: int | None = None
    max_age: int | None = None
    duration_minutes: int = 90
    members: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()


def _weekday_code(day: dt.date) -> str:
    return schedule.DAY_CODES[day.weekday()]


def demo_circles(today: dt.date) -> tuple[DemoCircle, ...]:
    return (
        DemoCircle(
            slug="monday-evening-circle",
            name="Monday Evening Circle",
            description=(
                "A calm hour and a half to share how the week went and hear from others "
                "who know what low days feel like. Cameras are optional; you can just listen."
            ),
            topics=("depression", "feeling_low", "loneliness"),
            facilitators=("Dev", "Kai"),
            rrule="FREQ=WEEKLY;BYDAY=MO",
            start_time=dt.time(18, 30),
            members=("quietfern",),
        ),
        DemoCircle(
            slug="hearing-voices-circle",
            name="Hearing Voices Circle",
            description=(
                "For people who hear voices, see visions or have other unusual experiences. "
                "We accept every explanation people have for their experiences."
            ),
            topics=("psychosis", "voices"),
            facilitators=("Dev",),
            rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
            start_time=dt.time(17, 30),
            format=Circle.Format.IN_PERSON,
            address="2215 NE Glisan St",
            place_notes="Second floor, the room with the green door. Tea is on.",
            capacity=4,
            joining=Circle.Joining.REQUEST,
            members=EXTRA_MEMBERS[:3],
        ),
        DemoCircle(
            slug="circulo-de-mamas",
            name="Círculo de Mamás",
            description=(
                "Un espacio en español para mamás y futuras mamás que se sienten tristes, "
                "cansadas o con miedo. Hay cuidado de niños durante el círculo."
            ),
            topics=("perinatal", "parenting", "family"),
            facilitators=("Marisol",),
            rrule="FREQ=MONTHLY;BYDAY=1MO,3MO",
            start_time=dt.time(10, 0),
            language="es",
            format=Circle.Format.IN_PERSON,
            address="5110 NE Killingsworth St",
            place_notes="Sala 2, al fondo del pasillo.",
            members=("Luz del Mar",),
        ),
        DemoCircle(
            slug="recovery-and-grief-circle",
            name="Recovery and Grief Circle",
            description=(
                "For people in recovery from alcohol or drugs who are also grieving someone. "
                "Meet at the clubhouse or join online from home."
            ),
            topics=("substance_use", "grief", "recovery", "loss"),
            facilitators=("Tomás",),
            rrule="FREQ=WEEKLY;BYDAY=WE",
            start_time=dt.time(19, 0),
            format=Circle.Format.BOTH,
            address="215 N Williams Ave",
            place_notes="The big room on the ground floor.",
            joining=Circle.Joining.REQUEST,
        ),
        DemoCircle(
            slug="veterans-peer-circle",
            name="Veterans' Peer Circle",
            description=(
                "Veterans supporting veterans: after service, after trauma, after a "
                "crisis. Led by a veteran and attempt survivor."
            ),
            topics=("military", "trauma", "suicide_attempt_survivor"),
            facilitators=("Renée",),
            rrule="FREQ=WEEKLY;BYDAY=TU",
            start_time=dt.time(19, 0),
            joining=Circle.Joining.REQUEST,
            min_age=18,
        ),
        DemoCircle(
            slug="queer-and-trans-peer-circle",
            name="Queer and Trans Peer Circle",
            description=(
                "For LGBTQ+ young adults. Talk about identity, family, body image and "
                "finding your people, with someone who has been there."
            ),
            topics=("lgbtq", "identity", "discrimination", "body_food"),
            facilitators=("Kai",),
            rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
            start_time=dt.time(14, 0),
            min_age=16,
            max_age=25,
            members=("nightowl",),
        ),
        DemoCircle(
            slug="sunday-walk-and-talk",
            name="Sunday Walk and Talk",
            description=(
                "A small circle that starts at the clubhouse and walks to the park and back. "
                "Moving together makes talking easier for some of us."
            ),
            topics=("anxiety", "worry_stress", "just_talk"),
            facilitators=("Tomás", "Renée"),
            rrule="FREQ=WEEKLY;BYDAY=SU",
            start_time=dt.time(9, 30),
            format=Circle.Format.IN_PERSON,
            address="215 N Williams Ave",
            place_notes="Meet at the front door; wear shoes for walking.",
            capacity=4,
            duration_minutes=75,
            members=("nightowl", *EXTRA_MEMBERS[:3]),
            waiting=(EXTRA_MEMBERS[3],),
        ),
        DemoCircle(
            slug=SOON_SLUG,
            name="Worry and Stress Drop-in",
            description=(
                "When worry keeps you up at night, you are not the only one. Drop in, "
                "share if you like, and leave with one small thing to try."
            ),
            topics=("anxiety", "worry_stress", "sleep"),
            facilitators=("Marisol", "Dev"),
            rrule=f"FREQ=WEEKLY;BYDAY={_weekday_code(today)}",
            start_time=dt.time(12, 0),
            duration_minutes=60,
            members=("quietfern",),
        ),
    )


def seed(out: Writer) -> None:
    today = timezone.now().astimezone(ZoneInfo(TIME_ZONE)).date()
    made = existing = skipped = 0
    for spec in demo_circles(today):
        if Circle.objects.filter(slug=spec.slug).exists():
            existing += 1
            continue
        leaders = _people(spec.facilitators)
        if not leaders:
            # Without the demo people (accounts.demo) there is no one to lead it.
            skipped += 1
            continue
        _make_circle(spec, leaders, today)
        made += 1
    out.write(
        f"Circles: {made} created, {existing} already there"
        + (f", {skipped} skipped (no demo peer supporters)" if skipped else "")
        + ".\n"
    )


def _people(names: tuple[str, ...]) -> list[User]:
    found = [User.objects.filter(display_name__iexact=name).first() for name in names]
    return [person for person in found if person is not None]


def _member(name: str) -> User | None:
    if name in EXTRA_MEMBERS:
        person = User.objects.filter(display_name__iexact=name).first()
        return person or User.objects.create_user(name, None)
    return User.objects.filter(display_name__iexact=name).first()


def _location(address: str) -> Location | None:
    row = Address.objects.filter(address_1=address, location__isnull=False).first()
    return row.location if row is not None else None


def _make_circle(spec: DemoCircle, leaders: list[User], today: dt.date) -> Circle:
    agreement = AgreementTemplate.objects.filter(language=spec.language).first()
    location = _location(spec.address) if spec.address else None
    # An in-person circle whose place is not in this directory meets online.
    circle_format = spec.format if location is not None else Circle.Format.ONLINE
    with transaction.atomic():
        circle = Circle.objects.create(
            slug=spec.slug,
            name=spec.name,
            description=spec.description,
            topics=list(spec.topics),
            language=spec.language,
            format=circle_format,
            location=location,
            place_notes=spec.place_notes if location is not None else "",
            agreement=agreement.text if agreement else "Be kind. What is said here stays here.",
            capacity=spec.capacity,
            joining=spec.joining,
            min_age=spec.min_age,
            max_age=spec.max_age,
            time_zone=TIME_ZONE,
            rrule=spec.rrule,
            first_date=today - dt.timedelta(days=28),
            start_time=spec.start_time,
            duration_minutes=spec.duration_minutes,
        )
        circle.facilitators.set(leaders)
        _add_members(circle, spec)
        schedule.plan_meetings(circle)
        if spec.slug == SOON_SLUG:
            _move_next_meeting_to_soon(circle)
    return circle


def _add_members(circle: Circle, spec: DemoCircle) -> None:
    # Members joined about a month ago, one a day; the waiting list in the last five days.
    lists = (
        (spec.members, Membership.Status.MEMBER, 30, "joined_at"),
        (spec.waiting, Membership.Status.WAITING, 5, "waiting_since"),
    )
    now = timezone.now()
    for names, status, days_ago, since_field in lists:
        for order, name in enumerate(names):
            person = _member(name)
            if person is None:
                continue
            since = now - dt.timedelta(days=days_ago - order)
            Membership.objects.get_or_create(
                circle=circle,
                user=person,
                defaults={
                    "status": status,
                    "age_confirmed": True,
                    "requested_at": since,
                    since_field: since,
                },
            )


def _move_next_meeting_to_soon(circle: Circle) -> None:
    now = timezone.now()
    meeting = (
        # The meeting going on now, if any, else the next: moving it later
        # never leaves two meetings of the circle at once.
        Meeting.objects.filter(circle=circle, status=Meeting.Status.SCHEDULED, ends_at__gt=now)
        .order_by("starts_at")
        .first()
    )
    if meeting is None:
        return
    start = (now + dt.timedelta(minutes=15)).replace(second=0, microsecond=0)
    meeting.starts_at = start
    meeting.ends_at = start + dt.timedelta(minutes=circle.duration_minutes)
    meeting.is_changed = True
    meeting.sequence += 1
    meeting.note = "Earlier than usual this time, to fit the facilitators' day."
    meeting.updated_at = now
    meeting.save(
        update_fields=["starts_at", "ends_at", "is_changed", "sequence", "note", "updated_at"]
    )
