"""Setting circles up: creating, editing and agreement templates, with the form's checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from peerlight.accounts.models import Role, User
from peerlight.audit.models import AuditEntry
from peerlight.circles import actions, schedule
from peerlight.circles.circle_forms import CircleForm, read_rule
from peerlight.circles.models import AgreementTemplate, Circle, Meeting, Membership
from peerlight.directory.models import Location
from tests.circles.factories import make_circle, make_membership
from tests.conftest import make_user
from tests.directory.factories import make_service


def fields(**changes: Any) -> dict[str, Any]:
    """What the form hands ``actions`` for an online Monday-evening circle."""
    values: dict[str, Any] = {
        "name": "Monday Evening Circle",
        "description": "A calm hour to share how the week went.",
        "topics": ["depression", "loneliness"],
        "language": "en",
        "format": Circle.Format.ONLINE,
        "location_id": None,
        "place_notes": "",
        "agreement": "What is said here stays here.",
        "capacity": 10,
        "joining": Circle.Joining.OPEN,
        "min_age": None,
        "max_age": None,
        "time_zone": "America/Los_Angeles",
        "rrule": "FREQ=WEEKLY;BYDAY=MO",
        "first_date": timezone.localdate() - dt.timedelta(days=7),
        "start_time": dt.time(18, 30),
        "duration_minutes": 90,
    }
    values.update(changes)
    return values


def verbs() -> list[str]:
    return list(AuditEntry.objects.order_by("pk").values_list("verb", flat=True))


@pytest.fixture
def location(db: None) -> Location:
    service = make_service("Lantern House", address={"address_1": "215 N Williams Ave"})
    found = Location.objects.filter(service_at_locations__service=service).first()
    assert found is not None
    return found


# --- Creating ---------------------------------------------------------------------------


def test_a_coordinator_creates_a_circle_with_its_meetings(
    coordinator: User, peer_supporter: User
) -> None:
    circle = actions.create_circle(coordinator, fields(), [peer_supporter])
    assert circle.slug == "monday-evening-circle"
    assert list(circle.facilitators.all()) == [peer_supporter]
    assert circle.created_by == coordinator
    meetings = list(Meeting.objects.filter(circle=circle))
    assert meetings, "the first meetings are planned"
    assert {m.starts_at.astimezone(dt.UTC).weekday() for m in meetings} == {1}  # Mon 18:30 PT
    assert verbs() == ["circle.create"]


def test_a_second_circle_of_the_same_name_gets_a_numbered_address(
    coordinator: User, peer_supporter: User
) -> None:
    actions.create_circle(coordinator, fields(), [peer_supporter])
    second = actions.create_circle(coordinator, fields(), [peer_supporter])
    third = actions.create_circle(coordinator, fields(), [peer_supporter])
    assert (second.slug, third.slug) == ("monday-evening-circle-2", "monday-evening-circle-3")


@pytest.mark.parametrize("name", ["New", "Mine", "calendar", "Agreements!", "MEETINGS", "notices"])
def test_a_name_that_would_take_a_pages_address_is_refused(
    coordinator: User, peer_supporter: User, name: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.create_circle(coordinator, fields(name=name), [peer_supporter])
    assert "name" in refused.value.error_dict
    assert not Circle.objects.exists()


def test_a_name_without_letters_gets_a_plain_address(
    coordinator: User, peer_supporter: User
) -> None:
    circle = actions.create_circle(coordinator, fields(name="★ ☾"), [peer_supporter])
    assert circle.slug == "circle"


def test_only_coordinators_create_circles(peer_supporter: User, member: User) -> None:
    for person in (peer_supporter, member):
        with pytest.raises(PermissionDenied):
            actions.create_circle(person, fields(), [peer_supporter])
    assert not Circle.objects.exists()


def test_a_circle_needs_a_facilitator(coordinator: User) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.create_circle(coordinator, fields(), [])
    assert "facilitators" in refused.value.error_dict


def test_only_peer_supporters_lead(coordinator: User, peer_supporter: User, member: User) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.create_circle(coordinator, fields(), [peer_supporter, member])
    assert "facilitators" in refused.value.error_dict
    former = make_user("Former", Role.PEER_SUPPORTER)
    former.role_grants.update(revoked_at=timezone.now())
    with pytest.raises(ValidationError):
        actions.create_circle(coordinator, fields(), [former])
    assert not Circle.objects.exists()


@pytest.mark.parametrize("circle_format", [Circle.Format.IN_PERSON, Circle.Format.BOTH])
def test_meeting_in_person_needs_a_place(
    coordinator: User, peer_supporter: User, circle_format: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.create_circle(coordinator, fields(format=circle_format), [peer_supporter])
    assert "location" in refused.value.error_dict


def test_an_in_person_circle_meets_at_a_directory_place(
    coordinator: User, peer_supporter: User, location: Location
) -> None:
    circle = actions.create_circle(
        coordinator,
        fields(format=Circle.Format.IN_PERSON, location_id=location.id),
        [peer_supporter],
    )
    assert circle.location == location


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"min_age": 30, "max_age": 20}, "max_age"),
        ({"min_age": 12}, "min_age"),
        ({"capacity": 1}, "capacity"),
        ({"capacity": 41}, "capacity"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"rrule": "FREQ=HOURLY"}, "repeats"),
    ],
)
def test_values_the_form_refuses_are_refused_again(
    coordinator: User, peer_supporter: User, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.create_circle(coordinator, fields(**changes), [peer_supporter])
    assert field in refused.value.error_dict
    assert not Circle.objects.exists()


# --- Editing ----------------------------------------------------------------------------


@pytest.fixture
def circle(peer_supporter: User) -> Circle:
    return make_circle(peer_supporter, slug="evening", first_date=timezone.localdate())


def test_a_facilitator_edits_their_circle(peer_supporter: User, circle: Circle) -> None:
    saved = actions.update_circle(peer_supporter, circle, fields(name="A new name"))
    circle.refresh_from_db()
    assert circle.name == "A new name"
    assert circle.slug == "evening", "the address stays, so links keep working"
    assert saved.pk == circle.pk
    assert verbs() == ["circle.update"]


def test_others_cannot_edit(member: User, circle: Circle) -> None:
    other_peer = make_user("Other peer", Role.PEER_SUPPORTER)
    for person in (member, other_peer):
        with pytest.raises(PermissionDenied):
            actions.update_circle(person, circle, fields(name="Taken over"))
    circle.refresh_from_db()
    assert circle.name != "Taken over"


def test_only_coordinators_change_who_leads_or_stop_a_circle(
    peer_supporter: User, coordinator: User, circle: Circle
) -> None:
    with pytest.raises(PermissionDenied):
        actions.update_circle(peer_supporter, circle, fields(), facilitators=[peer_supporter])
    with pytest.raises(PermissionDenied):
        actions.update_circle(peer_supporter, circle, fields(), is_active=False)
    other_peer = make_user("Other peer", Role.PEER_SUPPORTER)
    actions.update_circle(
        coordinator, circle, fields(), facilitators=[other_peer], is_active=False
    )
    circle.refresh_from_db()
    assert list(circle.facilitators.all()) == [other_peer]
    assert not circle.is_active
    assert verbs() == ["circle.update", "circle.deactivate"]


def test_a_new_schedule_moves_the_planned_meetings(peer_supporter: User, circle: Circle) -> None:
    schedule.plan_meetings(circle)
    mondays = Meeting.objects.filter(circle=circle, starts_at__gt=timezone.now())
    assert mondays.exists()
    actions.update_circle(
        peer_supporter,
        circle,
        fields(first_date=circle.first_date, rrule="FREQ=WEEKLY;BYDAY=WE"),
    )
    future = Meeting.objects.filter(circle=circle, starts_at__gt=timezone.now())
    assert future.exists()
    # Wednesday 18:30 in Portland is Thursday in UTC.
    assert {m.starts_at.astimezone(dt.UTC).weekday() for m in future} == {3}


def test_more_places_move_people_up_from_the_waiting_list(
    peer_supporter: User, circle: Circle
) -> None:
    circle.capacity = 2
    circle.save()
    for name in ("Ash", "Birch"):
        make_membership(circle, make_user(name))
    waiting = make_membership(circle, make_user("Cedar"), Membership.Status.WAITING)
    actions.update_circle(peer_supporter, circle, fields(capacity=3))
    waiting.refresh_from_db()
    assert waiting.status == Membership.Status.MEMBER


# --- Agreement templates ----------------------------------------------------------------


def test_the_migration_offers_an_english_and_a_spanish_agreement(db: None) -> None:
    defaults = AgreementTemplate.objects.filter(is_default=True)
    assert sorted(defaults.values_list("language", flat=True)) == ["en", "es"]


def test_a_coordinator_keeps_one_default_per_language(coordinator: User) -> None:
    template = actions.save_agreement_template(
        coordinator, None, name="Short one", language="en", text="Be kind.", is_default=True
    )
    defaults = AgreementTemplate.objects.filter(is_default=True)
    assert sorted(defaults.values_list("language", "name")) == [
        ("en", "Short one"),
        ("es", "Nuestro acuerdo de grupo"),
    ]
    actions.save_agreement_template(
        coordinator, template, name="Shorter", language="en", text="Be kind.", is_default=False
    )
    template.refresh_from_db()
    assert (template.name, template.updated_by) == ("Shorter", coordinator)
    assert verbs() == ["circle.agreement_template.create", "circle.agreement_template.update"]


def test_only_coordinators_keep_templates(peer_supporter: User) -> None:
    with pytest.raises(PermissionDenied):
        actions.save_agreement_template(
            peer_supporter, None, name="Mine", language="en", text="Hi.", is_default=False
        )


def test_a_new_circle_starts_from_the_template_asked_for_or_its_languages(db: None) -> None:
    spanish = AgreementTemplate.objects.get(language="es", is_default=True)
    english = AgreementTemplate.objects.get(language="en", is_default=True)
    assert actions.starting_agreement(str(spanish.pk), "en") == spanish
    assert actions.starting_agreement(None, "es") == spanish
    assert actions.starting_agreement("not a number", "en") == english
    assert actions.starting_agreement("999999", "fr") == english


# --- The form ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "weekday", "weeks"),
    [("weekly", 0, ()), ("biweekly", 3, ()), ("monthly", 0, (1, 3)), ("monthly", 4, (-1,))],
)
def test_the_form_reads_back_the_rules_it_builds(
    kind: str, weekday: int, weeks: tuple[int, ...]
) -> None:
    rule = schedule.build_rule(kind, weekday, weeks)
    assert read_rule(rule) == (kind, weekday, tuple(sorted(weeks)))
    assert read_rule("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1,3") == ("monthly", 0, (1, 3))
    assert read_rule("FREQ=YEARLY;BYDAY=MO") is None


def form_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Monday Evening Circle",
        "description": "A calm hour.",
        "topics": ["depression", "loneliness"],
        "language": "en",
        "format": "online",
        "location": "",
        "agreement": "Be kind.",
        "capacity": "10",
        "joining": "open",
        "time_zone": "America/Los_Angeles",
        "repeats": "weekly",
        "weekday": "0",
        "first_date": "2026-12-07",
        "start_time": "18:30",
        "duration_minutes": "90",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_the_form_builds_the_rule_from_plain_choices(peer_supporter: User) -> None:
    form = CircleForm.blank(
        form_data(facilitators=[peer_supporter.pk], repeats="monthly", weeks=["3", "1"])
    )
    assert form.is_valid(), form.errors
    assert form.circle_fields()["rrule"] == "FREQ=MONTHLY;BYDAY=1MO,3MO"
    assert form.chosen_facilitators() == [peer_supporter]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"facilitators": None}, "facilitators"),
        ({"format": "in_person"}, "location"),
        ({"format": "both"}, "location"),
        ({"min_age": "40", "max_age": "18"}, "max_age"),
        ({"min_age": "10"}, "min_age"),
        ({"capacity": "41"}, "capacity"),
        ({"repeats": "monthly"}, "weeks"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"topics": ["not-a-topic"]}, "topics"),
        ({"location": "7b0f0c6e-5b8f-4b53-9a56-0c1f8d3f2c11"}, "location"),
    ],
)
def test_the_form_refuses_what_does_not_fit(
    peer_supporter: User, changes: dict[str, Any], field: str
) -> None:
    form = CircleForm.blank(form_data(**{"facilitators": [peer_supporter.pk], **changes}))
    assert not form.is_valid()
    assert field in form.errors


def test_the_form_offers_only_peer_supporters_to_lead(peer_supporter: User, member: User) -> None:
    form = CircleForm.blank(form_data(facilitators=[member.pk]))
    assert not form.is_valid()
    assert form.errors["facilitators"] == ["Only peer supporters can lead a circle."]


def test_a_facilitators_form_leaves_out_who_leads_and_stopping(
    peer_supporter: User, circle: Circle
) -> None:
    form = CircleForm.for_circle(circle, may_manage=False)
    assert "facilitators" not in form.fields
    assert "is_active" not in form.fields
    assert form.initial["repeats"] == "weekly"
    assert form.initial["weekday"] == 0
