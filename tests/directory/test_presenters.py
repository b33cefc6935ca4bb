"""HSDS rows in plain words: distances, phones, hours, costs, verification, whole pages."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.directory import access, presenters
from peerlight.directory.models import (
    Accessibility,
    CostOption,
    Location,
    Organization,
    PeerNote,
    Phone,
    RequiredDocument,
    Schedule,
    Service,
)
from tests.directory.factories import make_service, make_term, weekly

DASH = "\u2013"
PACIFIC = ZoneInfo("America/Los_Angeles")
# Tuesday 24 November 2026, in Pacific time.
TUESDAY_10AM = datetime(2026, 11, 24, 10, 0, tzinfo=PACIFIC)


def office_hours(**overrides: object) -> list[Schedule]:
    spec = weekly(time_zone="America/Los_Angeles")
    spec.update(overrides)
    return [Schedule(**spec)]


# --- Units -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "language", "miles"),
    [
        ("en-US,en;q=0.9", "en", True),
        ("en-GB", "en", True),
        ("en-CA,en;q=0.8", "en", False),
        ("en", "en", False),
        ("es-ES,es;q=0.9", "es", False),
        ("es-US,es;q=0.9", "es", True),
        # The first locale of the page's language decides.
        ("fr-FR,en-US;q=0.7", "en", True),
        ("es-MX,en-US;q=0.5", "es", False),
        ("", "en", False),
    ],
)
def test_it_counts_in_miles_where_the_locale_does(header: str, language: str, miles: bool) -> None:
    assert presenters.uses_miles(header, language) is miles


def test_it_writes_distances_in_the_readers_unit() -> None:
    assert presenters.distance_text(1.234, miles=False) == "1.2 km"
    assert presenters.distance_text(1.609344 * 0.8, miles=True) == "0.8 mi"
    assert presenters.distance_text(12.6, miles=False) == "13 km"
    assert presenters.distance_text(None, miles=True) == ""


def test_it_writes_decimals_as_the_language_does() -> None:
    with translation.override("es"):
        assert presenters.distance_text(1.234, miles=False) == "1,2 km"


# --- Phones, addresses, links ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "extension", "kind", "href"),
    [
        ("(541) 555-0134", None, "voice", "tel:5415550134"),
        ("+1 541 555 0134", 12.0, "voice", "tel:+15415550134,12"),
        ("988", None, None, "tel:988"),
        ("541-555-0134", None, "text", "sms:5415550134"),
        ("541-555-0199", None, "fax", ""),
        ("call us", None, "voice", ""),
    ],
)
def test_it_makes_phone_links(
    number: str, extension: float | None, kind: str | None, href: str
) -> None:
    assert presenters.phone_href(number, extension, kind) == href


def test_a_phone_line_says_what_kind_it_is() -> None:
    line = presenters.phone_line(Phone(number="541-555-0134", extension=7, type="textphone"))
    assert line.href == "tel:5415550134,7"
    assert line.kind == "Textphone (TTY)"
    assert line.extension == "ext. 7"


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("https://example.org/help", "https://example.org/help"),
        ("www.example.org", "https://www.example.org"),
        ("javascript:alert(1)", None),
        ("ftp://example.org", None),
        ("https://", None),
        ("", None),
        (None, None),
    ],
)
def test_it_links_only_to_web_addresses(given: str | None, safe: str | None) -> None:
    assert presenters.web_address(given) == safe


def test_it_accepts_only_plain_email_addresses() -> None:
    assert presenters.email_address(" help@example.org ") == "help@example.org"
    assert presenters.email_address("help@example.org?subject=x") is None
    assert presenters.email_address("not an address") is None


# --- Who, what it costs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [
        (18.0, 64.0, "Ages 18 to 64"),
        (18.0, None, "Ages 18 and over"),
        (None, 17.0, "Ages up to 17"),
        (0.0, None, ""),
        (None, None, ""),
    ],
)
def test_it_says_the_ages_served(low: float | None, high: float | None, text: str) -> None:
    assert presenters.age_text(low, high) == text


def test_it_says_what_things_cost() -> None:
    assert presenters.cost_text(CostOption(amount=0, currency="USD")) == "Free"
    assert presenters.cost_text(CostOption(amount=20, currency="USD")) == "$20"
    assert presenters.cost_text(CostOption(amount=12.5, currency="EUR")) == "€12.50"
    sliding = CostOption(
        option="Sliding scale", amount=5, currency="USD", amount_description="per visit"
    )
    assert presenters.cost_text(sliding) == "Sliding scale: $5, per visit"


def test_it_names_languages_in_the_readers_language() -> None:
    assert presenters.language_name("spa", "Spanish") == "Spanish"
    with translation.override("es"):
        assert presenters.language_name("es", "Spanish") == "Español"
    assert presenters.language_name("hmn", "Hmong") == "Hmong"


# --- Hours -----------------------------------------------------------------------------------


def test_it_says_open_now_and_when_it_closes() -> None:
    rules = presenters.rules_for(office_hours())
    status = presenters.opening_status(rules, TUESDAY_10AM, default_zone="America/Los_Angeles")
    assert status == presenters.OpeningStatus(True, "Open now · closes 17:00")


def test_it_says_closed_now_and_the_day_it_opens() -> None:
    rules = presenters.rules_for(office_hours())
    evening = TUESDAY_10AM.replace(hour=18)
    status = presenters.opening_status(rules, evening, default_zone="America/Los_Angeles")
    assert status == presenters.OpeningStatus(False, "Closed now · opens Wed 9:00")
    saturday = TUESDAY_10AM + timedelta(days=4)
    status = presenters.opening_status(rules, saturday, default_zone="America/Los_Angeles")
    assert status is not None
    assert status.text == "Closed now · opens Mon 9:00"


def test_it_leaves_out_the_day_when_it_opens_later_today() -> None:
    rules = presenters.rules_for(office_hours())
    early = TUESDAY_10AM.replace(hour=7)
    status = presenters.opening_status(rules, early, default_zone="America/Los_Angeles")
    assert status == presenters.OpeningStatus(False, "Closed now · opens 9:00")


def test_it_answers_in_the_services_own_time_zone() -> None:
    # 10:00 in New York is 7:00 in Los Angeles, where the service keeps its hours.
    rules = presenters.rules_for(office_hours())
    new_york = TUESDAY_10AM.replace(tzinfo=ZoneInfo("America/New_York"))
    status = presenters.opening_status(rules, new_york, default_zone="America/New_York")
    assert status == presenters.OpeningStatus(False, "Closed now · opens 9:00")


def test_it_says_nothing_without_hours() -> None:
    assert presenters.opening_status([], TUESDAY_10AM, default_zone="UTC") is None


def test_the_week_lists_every_day() -> None:
    view = presenters.hours_view(office_hours(), TUESDAY_10AM)
    assert view is not None
    assert [(row.day, row.times) for row in view.rows] == [
        ("Monday", f"9:00{DASH}17:00"),
        ("Tuesday", f"9:00{DASH}17:00"),
        ("Wednesday", f"9:00{DASH}17:00"),
        ("Thursday", f"9:00{DASH}17:00"),
        ("Friday", f"9:00{DASH}17:00"),
        ("Saturday", "Closed"),
        ("Sunday", "Closed"),
    ]


def test_the_week_says_when_it_closes_after_midnight() -> None:
    late = office_hours(byday="FR", opens_at="22:00", closes_at="02:00")
    view = presenters.hours_view(late, TUESDAY_10AM)
    assert view is not None
    assert view.rows[4].times == f"22:00{DASH}2:00 (closes the next day)"


def test_the_week_names_a_zone_other_than_the_directorys(settings: SettingsWrapper) -> None:
    settings.PEERLIGHT_DIRECTORY_TIME_ZONE = "America/New_York"
    view = presenters.hours_view(office_hours(), TUESDAY_10AM)
    assert view is not None
    assert view.zone_note == "Times are local to America/Los_Angeles."


def test_a_plain_week_fits_the_editing_form() -> None:
    schedules = [
        Schedule(**weekly("MO,WE", "09:00", "17:00", time_zone="America/Denver")),
        Schedule(**weekly("SA", "10:00:00", "14:00:00", time_zone="America/Denver")),
    ]
    week = presenters.simple_week(schedules)
    assert week == presenters.WeekHours(
        "America/Denver",
        {"MO": ("09:00", "17:00"), "WE": ("09:00", "17:00"), "SA": ("10:00", "14:00")},
    )


@pytest.mark.parametrize(
    "schedules",
    [
        [Schedule(**weekly("MO")), Schedule(**weekly("MO", "18:00", "20:00"))],
        [Schedule(freq="MONTHLY", byday="1MO", opens_at="09:00", closes_at="12:00")],
        [Schedule(**weekly("MO", valid_to="2026-12-31"))],
        [Schedule(**weekly("MO", interval=2))],
        [
            Schedule(**weekly("MO", time_zone="America/Denver")),
            Schedule(**weekly("TU", time_zone="UTC")),
        ],
    ],
)
def test_a_detailed_week_does_not_fit_the_editing_form(schedules: list[Schedule]) -> None:
    assert presenters.simple_week(schedules) is None


# --- Verification and notes ------------------------------------------------------------------


def test_it_says_when_a_listing_was_last_verified() -> None:
    today = date(2026, 11, 24)
    fresh = presenters.verified("2026-03-03", today=today, verify_days=365)
    assert fresh == presenters.Verified("Last verified 3 March 2026", True)
    old = presenters.verified("2025-03-03", today=today, verify_days=180)
    assert old == presenters.Verified("Not verified recently (last checked 3 March 2025)", False)
    assert presenters.verified(None, today=today, verify_days=180).text == "Not verified recently"
    assert not presenters.verified("last spring", today=today, verify_days=180).recent


def test_a_note_is_signed_by_a_peer_supporter_never_by_name() -> None:
    note = PeerNote(
        body="Calm waiting room.", created_at=datetime(2026, 3, 14, 12, tzinfo=PACIFIC)
    )
    assert presenters.note_byline(note) == "A peer supporter, March 2026"


# --- Whole services --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_result_card_has_what_a_person_scans_for() -> None:
    service = make_service(
        "Harbor Warmline",
        description="Talk with someone who has been there. " * 20,
        lat=44.05,
        lon=-123.09,
        address={"city": "Eugene"},
        schedules=[weekly(time_zone="America/Los_Angeles")],
        index=False,
    )
    found = access.services_for_cards([service.id])[0]
    card = presenters.service_card(found, 3.0, at=TUESDAY_10AM, miles=True)
    assert card.name == "Harbor Warmline"
    assert card.organisation == "Harbor Peer Network"
    assert card.distance == "1.9 mi"
    assert card.town == "Eugene"
    assert card.status == presenters.OpeningStatus(True, "Open now · closes 17:00")
    assert card.phone is not None
    assert card.phone.href == "tel:5550100"
    assert len(card.summary) <= presenters.SUMMARY_CHARACTERS
    assert card.summary.endswith("…")


@pytest.mark.django_db
def test_a_card_takes_the_hours_of_its_place_when_the_service_has_none() -> None:
    service = make_service(
        lat=44.05,
        lon=-123.09,
        location_schedules=[weekly("MO,TU", "12:00", "13:00", time_zone="America/Los_Angeles")],
        phones=(),
        index=False,
    )
    found = access.services_for_cards([service.id])[0]
    card = presenters.service_card(found, None, at=TUESDAY_10AM, miles=False)
    assert card.status == presenters.OpeningStatus(False, "Closed now · opens 12:00")
    assert card.phone is None
    assert card.distance == ""


@pytest.mark.django_db
def test_a_service_page_holds_everything_that_matters() -> None:
    organization = Organization.objects.create(
        name="Riverbend Collective", description="", website="riverbend.example.org"
    )
    service = make_service(
        "Riverbend Peer Respite",
        organization=organization,
        description="A calm house to stay a few nights.",
        lat=44.05,
        lon=-123.09,
        address={"address_1": "12 Alder Street", "city": "Eugene", "postal_code": "97401"},
        languages=("en", "spa"),
        schedules=[weekly(time_zone="America/Los_Angeles")],
        terms=[make_term("Peer respite")],
        wheelchair=True,
        eligibility_description="Adults in Lane County.",
        minimum_age=18,
        application_process="Call first; we talk it through.",
        url="javascript:alert(1)",
        email="stay@riverbend.example.org",
        alert="Closed 25 December.",
        assured_date=(timezone.now().date() - timedelta(days=3)).isoformat(),
        index=False,
    )
    RequiredDocument.objects.create(service=service, document="Nothing needed")
    location = Location.objects.get()
    location.transportation = "Bus 12 stops outside."
    location.save()
    Accessibility.objects.create(
        location=location, description="Step-free entrance", details="Ramp at the side"
    )
    Phone.objects.create(location=location, number="541-555-0177", type="voice")

    found = access.get_service_page(service.id)
    page = presenters.service_page(
        found, at=TUESDAY_10AM, today=timezone.now().date(), categories=["Peer respite"]
    )
    assert page.organisation_url == "https://riverbend.example.org"
    assert page.website is None  # a script address is never linked
    assert page.email == "stay@riverbend.example.org"
    assert page.alert == "Closed 25 December."
    assert page.ages == "Ages 18 and over"
    assert page.costs == ["Free"]
    assert page.languages == ["English", "Spanish"]
    assert page.documents == [("Nothing needed", None)]
    assert page.phones[0].href == "tel:5550100"
    assert page.hours is not None
    assert page.hours.status == presenters.OpeningStatus(True, "Open now · closes 17:00")
    assert page.verified.recent
    place = page.locations[0]
    assert place.addresses == [["12 Alder Street", "Eugene, OR 97401"]]
    assert {item.text for item in place.accessibility} == {
        "Wheelchair accessible",
        "Step-free entrance \u2013 Ramp at the side",
    }
    assert place.transportation == "Bus 12 stops outside."
    assert [phone.href for phone in place.phones] == ["tel:5415550177"]
    assert page.categories == ["Peer respite"]


@pytest.mark.django_db
def test_a_closed_service_says_so() -> None:
    service = make_service(status=Service.Status.TEMPORARILY_CLOSED, index=False)
    page = presenters.service_page(
        access.get_service_page(service.id), at=TUESDAY_10AM, today=date(2026, 11, 24)
    )
    assert page.status == "Temporarily closed"
    assert page.hours is None
    assert not page.verified.recent
