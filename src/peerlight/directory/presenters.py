"""HSDS rows in plain language: what the search results and the service page show.

The functions here take rows that ``access`` has already fetched (with their
prefetches) and make no queries of their own. Words are in the active
language; times are in each service's own time zone (``hours``); distances
in kilometres or miles, as the reader's locale counts them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import dateformat, formats, timezone
from django.utils.text import Truncator
from django.utils.translation import get_language_info, gettext, pgettext
from django.utils.translation.trans_real import parse_accept_lang_header

from peerlight.directory import hours
from peerlight.directory.models import (
    Address,
    CostOption,
    Language,
    Location,
    PeerNote,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
)
from peerlight.directory.places import km_to_miles

__all__ = [
    "HoursView",
    "LocationView",
    "OpeningStatus",
    "PhoneLine",
    "ServiceCard",
    "ServicePage",
    "Verified",
    "WeekHours",
    "age_text",
    "distance_text",
    "language_code",
    "note_byline",
    "opening_status",
    "phone_line",
    "service_card",
    "service_page",
    "simple_week",
    "uses_miles",
    "verified",
    "web_address",
]

# Where road distances are counted in miles.
MILES_REGIONS = frozenset({"us", "gb", "lr", "mm"})
SUMMARY_CHARACTERS = 220
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
EN_DASH = "\u2013"
CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "MXN": "MX$"}

# ISO 639-2 codes that have a two-letter ISO 639-1 form, for the languages a
# US directory most often lists.
THREE_TO_TWO = {
    "ara": "ar",
    "chi": "zh",
    "deu": "de",
    "eng": "en",
    "fas": "fa",
    "fil": "tl",
    "fra": "fr",
    "fre": "fr",
    "ger": "de",
    "hin": "hi",
    "ita": "it",
    "jpn": "ja",
    "khm": "km",
    "kor": "ko",
    "per": "fa",
    "pol": "pl",
    "por": "pt",
    "rus": "ru",
    "som": "so",
    "spa": "es",
    "tgl": "tl",
    "ukr": "uk",
    "vie": "vi",
    "zho": "zh",
}


# --- Units and small pieces ------------------------------------------------------------


def uses_miles(accept_language: str, language: str) -> bool:
    """Miles for a reader whose browser asks for a locale of a miles country ("en-US").

    The first locale in ``Accept-Language`` of the active ``language`` decides,
    else the first locale at all; without a region, kilometres.
    """
    preferred = [tag for tag, _quality in parse_accept_lang_header(accept_language or "")]
    if not preferred:
        return False
    primary = (language or "").split("-")[0].lower()
    same_language = [tag for tag in preferred if tag.split("-")[0] == primary]
    tag = (same_language or preferred)[0]
    parts = tag.split("-")
    return len(parts) > 1 and parts[-1] in MILES_REGIONS


def distance_text(km: float | None, *, miles: bool) -> str:
    """ "1.2 km" or "0.8 mi" (one decimal under 10, whole numbers above); "" for None."""
    if km is None:
        return ""
    amount = km_to_miles(km) if miles else km
    places = 1 if amount < 10 else 0
    number = formats.number_format(round(amount, places), places)
    if miles:
        return gettext("%(distance)s mi") % {"distance": number}
    return gettext("%(distance)s km") % {"distance": number}


def web_address(url: str | None) -> str | None:
    """A web address safe to link to (http or https only), or None."""
    text = (url or "").strip()
    if not text or any(character.isspace() for character in text):
        return None
    if "://" not in text and re.match(r"^[\w-]+(\.[\w-]+)+(/|$)", text):
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def email_address(text: str | None) -> str | None:
    """An e-mail address safe for a ``mailto:`` link, or None."""
    value = (text or "").strip()
    if re.fullmatch(r"[^@\s:/?#]+@[^@\s:/?#]+\.[^@\s:/?#]+", value):
        return value
    return None


@dataclass(frozen=True)
class PhoneLine:
    number: str
    # "tel:..." or "sms:..."; "" for a fax.
    href: str
    kind: str
    extension: str = ""
    description: str = ""
    languages: tuple[str, ...] = ()


def _phone_kinds() -> dict[str, str]:
    return {
        "voice": gettext("Call"),
        "cell": gettext("Call (mobile)"),
        "text": gettext("Text"),
        "textphone": gettext("Textphone (TTY)"),
        "video": gettext("Video call"),
        "fax": gettext("Fax"),
        "pager": gettext("Pager"),
    }


def phone_href(number: str, extension: float | None = None, kind: str | None = None) -> str:
    """ "tel:+15415550134" (",123" dials an extension after a pause), "sms:..." or "" (fax)."""
    kind = (kind or "voice").lower()
    if kind == "fax":
        return ""
    digits = re.sub(r"\D", "", number)
    if not digits:
        return ""
    plus = "+" if number.strip().startswith("+") else ""
    if kind == "text":
        return f"sms:{plus}{digits}"
    suffix = f",{int(extension)}" if extension is not None and extension >= 0 else ""
    return f"tel:{plus}{digits}{suffix}"


def phone_line(phone: Phone) -> PhoneLine:
    kind = (phone.type or "voice").lower()
    extension = ""
    if phone.extension is not None:
        extension = gettext("ext. %(extension)s") % {"extension": int(phone.extension)}
    return PhoneLine(
        number=phone.number.strip(),
        href=phone_href(phone.number, phone.extension, kind),
        kind=_phone_kinds().get(kind, gettext("Call")),
        extension=extension,
        description=(phone.description or "").strip(),
        languages=tuple(language_names(phone.languages.all()))
        if _prefetched(phone, "languages")
        else (),
    )


def _prefetched(instance: Any, name: str) -> bool:
    return name in getattr(instance, "_prefetched_objects_cache", {})


def language_code(code: str | None) -> str:
    """A language code folded to its two-letter form where one exists ("spa" → "es")."""
    folded = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return THREE_TO_TWO.get(folded, folded)


def language_name(code: str | None, name: str | None = None) -> str:
    """A language's name in the reader's language where Django knows it, else as given."""
    folded = language_code(code)
    if folded:
        try:
            return str(get_language_info(folded)["name_translated"])
        except KeyError:
            pass
    return (name or code or "").strip()


def language_names(languages: Iterable[Language]) -> list[str]:
    """The names of ``languages`` in the reader's language, each once, in alphabetical order."""
    names = {language_name(language.code, language.name) for language in languages}
    return sorted((name for name in names if name), key=str.casefold)


def age_text(minimum: float | None, maximum: float | None) -> str:
    """ "Ages 18 to 64", "Ages 18 and over", "Ages up to 17", or "" with no limits."""
    if minimum is not None and maximum is not None:
        return gettext("Ages %(minimum)d to %(maximum)d") % {
            "minimum": minimum,
            "maximum": maximum,
        }
    if minimum is not None and minimum > 0:
        return gettext("Ages %(minimum)d and over") % {"minimum": minimum}
    if maximum is not None:
        return gettext("Ages up to %(maximum)d") % {"maximum": maximum}
    return ""


def cost_text(option: CostOption) -> str:
    """ "Free", "$20", "Sliding scale: $5, per visit"."""
    if option.amount is None:
        amount = ""
    elif option.amount == 0:
        amount = gettext("Free")
    else:
        places = 0 if float(option.amount).is_integer() else 2
        number = formats.number_format(option.amount, places)
        currency = (option.currency or "").upper()
        sign = CURRENCY_SIGNS.get(currency)
        amount = f"{sign}{number}" if sign else f"{number} {currency}".strip()
    parts = [part for part in (amount, (option.amount_description or "").strip()) if part]
    text = ", ".join(parts)
    label = (option.option or "").strip()
    if label:
        return f"{label}: {text}" if text else label
    return text


def address_lines(address: Address) -> list[str]:
    place = " ".join(
        part for part in (address.state_province or "", address.postal_code or "") if part
    )
    town = ", ".join(part for part in (address.city or "", place) if part)
    lines = [address.attention, address.address_1, address.address_2, town]
    if (address.country or "").upper() not in ("", "US", "USA"):
        lines.append(address.country)
    return [line.strip() for line in lines if line and line.strip()]


# --- Hours --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekHours:
    """Opening hours per weekday ("MO" → ("09:00", "17:00")) in one IANA time zone."""

    time_zone: str
    days: dict[str, tuple[str, str]]


def simple_week(schedules: Sequence[Schedule]) -> WeekHours | None:
    """The schedules as one opening per weekday, or None when they say more than that.

    What the editing form can show: weekly rules without dates, intervals or
    occurrences, at most one opening a day, all in one zone.
    """
    zones = {
        schedule.time_zone or settings.PEERLIGHT_DIRECTORY_TIME_ZONE for schedule in schedules
    }
    if len(zones) > 1:
        return None
    days: dict[str, tuple[str, str]] = {}
    for schedule in schedules:
        if (schedule.freq or "WEEKLY").upper() != "WEEKLY" or any(
            (
                schedule.valid_from,
                schedule.valid_to,
                schedule.until,
                schedule.count,
                schedule.bymonthday,
                schedule.byweekno,
                schedule.byyearday,
                schedule.interval and schedule.interval > 1,
            )
        ):
            return None
        opens, closes = _hhmm(schedule.opens_at), _hhmm(schedule.closes_at)
        codes = [
            code.strip().upper() for code in (schedule.byday or "").split(",") if code.strip()
        ]
        if opens is None or closes is None or not codes:
            return None
        for code in codes:
            if code not in WEEKDAY_CODES or code in days:
                return None
            days[code] = (opens, closes)
    zone = zones.pop() if zones else settings.PEERLIGHT_DIRECTORY_TIME_ZONE
    return WeekHours(zone, days)


def _hhmm(text: str | None) -> str | None:
    found = re.fullmatch(r"(\d{1,2}):(\d{2})(?::00)?", (text or "").strip())
    if found is None or int(found[1]) > 23:
        return None
    return f"{int(found[1]):02d}:{found[2]}"


def rules_for(schedules: Iterable[Schedule]) -> list[hours.ScheduleRule]:
    return [hours.ScheduleRule.from_record(schedule) for schedule in schedules]


@dataclass(frozen=True)
class OpeningStatus:
    is_open: bool
    text: str


def _clock(moment: datetime) -> str:
    return dateformat.format(moment, "G:i")


def opening_status(
    rules: Sequence[hours.ScheduleRule], at: datetime, *, default_zone: str
) -> OpeningStatus | None:
    """ "Open now · closes 17:00" or "Closed now · opens Tue 9:00"; None when hours are unknown."""
    state = hours.is_open(rules, at, default_zone=default_zone)
    if state is None:
        return None
    change = hours.next_change(rules, at, default_zone=default_zone)
    if state:
        if change is None:
            return OpeningStatus(True, gettext("Open now"))
        return OpeningStatus(
            True, gettext("Open now · closes %(time)s") % {"time": _clock(change)}
        )
    if change is None:
        return OpeningStatus(False, gettext("Closed now"))
    if change.date() == at.astimezone(change.tzinfo).date():
        when = _clock(change)
    else:
        when = dateformat.format(change, "D G:i")
    return OpeningStatus(False, gettext("Closed now · opens %(when)s") % {"when": when})


@dataclass(frozen=True)
class WeekRow:
    day: str
    times: str


@dataclass(frozen=True)
class HoursView:
    rows: list[WeekRow]
    status: OpeningStatus | None
    # Set when the hours are kept in a zone other than the directory's own.
    zone_note: str = ""


def _weekday_names() -> tuple[str, ...]:
    return (
        gettext("Monday"),
        gettext("Tuesday"),
        gettext("Wednesday"),
        gettext("Thursday"),
        gettext("Friday"),
        gettext("Saturday"),
        gettext("Sunday"),
    )


def _occurrence_words() -> dict[int, str]:
    return {
        1: pgettext("week of the month", "first"),
        2: pgettext("week of the month", "second"),
        3: pgettext("week of the month", "third"),
        4: pgettext("week of the month", "fourth"),
        5: pgettext("week of the month", "fifth"),
        -1: pgettext("week of the month", "last"),
    }


def _time_text(value: time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def opening_text(opening: hours.Opening) -> str:
    if opening.all_day:
        text = gettext("Open all day")
    else:
        text = f"{_time_text(opening.opens)}{EN_DASH}{_time_text(opening.closes)}"
        if opening.next_day:
            text = gettext("%(times)s (closes the next day)") % {"times": text}
    if opening.occurrence is not None:
        word = _occurrence_words().get(opening.occurrence, str(opening.occurrence))
        text = gettext("%(times)s, %(which)s of the month") % {"times": text, "which": word}
    elif opening.every_weeks > 1:
        text = gettext("%(times)s, every %(weeks)d weeks") % {
            "times": text,
            "weeks": opening.every_weeks,
        }
    return text


def hours_view(schedules: Sequence[Schedule], at: datetime) -> HoursView | None:
    """The week and "open now" for some schedules; None when they give no hours."""
    default_zone = settings.PEERLIGHT_DIRECTORY_TIME_ZONE
    rules = rules_for(schedules)
    days = hours.week(rules, on=at.astimezone(hours.zone_named(default_zone)).date())
    if not any(day.openings for day in days):
        days = hours.week(rules)
    if not any(day.openings for day in days):
        return None
    names = _weekday_names()
    rows = [
        WeekRow(
            names[day.weekday],
            ", ".join(opening_text(opening) for opening in day.openings) or gettext("Closed"),
        )
        for day in days
    ]
    zones = {rule.time_zone for rule in rules if rule.time_zone} - {default_zone}
    note = ""
    if zones:
        note = gettext("Times are local to %(zone)s.") % {"zone": ", ".join(sorted(zones))}
    status = opening_status(rules, at, default_zone=default_zone)
    return HoursView(rows, status, note)


# --- Verification ------------------------------------------------------------------------


@dataclass(frozen=True)
class Verified:
    text: str
    recent: bool


def _iso_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None


def verified(assured_date: str | None, *, today: date, verify_days: int) -> Verified:
    """ "Last verified 3 March 2026", or "Not verified recently" (with the date if known)."""
    checked = _iso_date(assured_date)
    if checked is None:
        return Verified(gettext("Not verified recently"), False)
    when = formats.date_format(checked, "j F Y")
    if (today - checked).days > verify_days:
        return Verified(
            gettext("Not verified recently (last checked %(date)s)") % {"date": when}, False
        )
    return Verified(gettext("Last verified %(date)s") % {"date": when}, True)


def note_byline(note: PeerNote) -> str:
    """ "A peer supporter, March 2026": never the author's name."""
    month = formats.date_format(timezone.localtime(note.created_at), "YEAR_MONTH_FORMAT")
    return gettext("A peer supporter, %(month)s") % {"month": month}


# --- Search results ---------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceCard:
    id: str
    name: str
    organisation: str
    summary: str
    distance: str
    status: OpeningStatus | None
    phone: PhoneLine | None
    town: str
    inactive: str


def _first_phone(service: Service) -> PhoneLine | None:
    candidates: list[Phone] = list(service.phones.all())
    for at in service.service_at_locations.all():
        if at.location is not None:
            candidates.extend(at.location.phones.all())
    lines = [phone_line(phone) for phone in candidates]
    for line in lines:
        if line.href.startswith("tel:"):
            return line
    return next((line for line in lines if line.href), None)


def _located(service: Service) -> list[ServiceAtLocation]:
    return [at for at in service.service_at_locations.all() if at.location is not None]


def _service_schedules(service: Service) -> list[Schedule]:
    """The service's own hours; without them, the hours of its places."""
    own = list(service.schedules.all())
    if own:
        return own
    found: list[Schedule] = []
    for at in service.service_at_locations.all():
        found.extend(at.schedules.all())
        if at.location is not None:
            found.extend(at.location.schedules.all())
    return found


def status_words(service: Service) -> str:
    """ "Temporarily closed" and the like for a service that is not active; "" otherwise."""
    words: dict[str, str] = {
        Service.Status.INACTIVE: gettext("Not taking people at the moment"),
        Service.Status.DEFUNCT: gettext("This service has closed"),
        Service.Status.TEMPORARILY_CLOSED: gettext("Temporarily closed"),
    }
    return words.get(service.status, "")


def service_card(
    service: Service, distance_km: float | None, *, at: datetime, miles: bool
) -> ServiceCard:
    """One search result: name, organisation, a short description, distance, open now, a phone."""
    town = ""
    for located in _located(service):
        assert located.location is not None
        addresses = list(located.location.addresses.all())
        if addresses and addresses[0].city:
            town = addresses[0].city
            break
    return ServiceCard(
        id=str(service.id),
        name=service.name,
        organisation=service.organization.name if service.organization else "",
        summary=Truncator(" ".join((service.description or "").split())).chars(SUMMARY_CHARACTERS),
        distance=distance_text(distance_km, miles=miles),
        status=opening_status(
            rules_for(_service_schedules(service)),
            at,
            default_zone=settings.PEERLIGHT_DIRECTORY_TIME_ZONE,
        ),
        phone=_first_phone(service),
        town=town,
        inactive=status_words(service),
    )


# --- The service page --------------------------------------------------------------------


@dataclass(frozen=True)
class Accessibility:
    text: str
    url: str | None


@dataclass(frozen=True)
class LocationView:
    name: str
    description: str
    addresses: list[list[str]]
    accessibility: list[Accessibility]
    transportation: str
    phones: list[PhoneLine]
    hours: HoursView | None
    virtual_url: str | None
    languages: list[str]


def location_view(at: ServiceAtLocation, location: Location, moment: datetime) -> LocationView:
    schedules = list(at.schedules.all()) or list(location.schedules.all())
    phones = [*at.phones.all(), *location.phones.all()]
    accessibility = [
        Accessibility(
            f" {EN_DASH} ".join(
                part.strip()
                for part in (item.description or "", item.details or "")
                if part.strip()
            ),
            web_address(item.url),
        )
        for item in location.accessibility.all()
    ]
    return LocationView(
        name=(location.name or "").strip(),
        description=" ".join(
            part.strip()
            for part in ((at.description or ""), (location.description or ""))
            if part.strip()
        ),
        addresses=[address_lines(address) for address in location.addresses.all()],
        accessibility=[item for item in accessibility if item.text or item.url],
        transportation=(location.transportation or "").strip(),
        phones=[phone_line(phone) for phone in phones],
        hours=hours_view(schedules, moment),
        virtual_url=web_address(location.url)
        if location.location_type == Location.Type.VIRTUAL
        else None,
        languages=language_names(location.languages.all()),
    )


@dataclass(frozen=True)
class ServicePage:
    id: str
    name: str
    alternate_name: str
    organisation: str
    organisation_url: str | None
    status: str
    alert: str
    description: str
    eligibility: str
    ages: str
    costs: list[str]
    fees: str
    languages: list[str]
    interpretation: str
    application_process: str
    wait_time: str
    documents: list[tuple[str, str | None]]
    phones: list[PhoneLine]
    website: str | None
    email: str | None
    hours: HoursView | None
    locations: list[LocationView]
    service_areas: list[str]
    categories: list[str]
    verified: Verified


def _text(value: str | None) -> str:
    return (value or "").strip()


def service_page(
    service: Service, *, at: datetime, today: date, categories: Sequence[str] = ()
) -> ServicePage:
    """Everything HSDS holds about a service that matters to someone looking for help."""
    organisation = service.organization
    costs = [text for text in (cost_text(option) for option in service.cost_options.all()) if text]
    locations = []
    for located in service.service_at_locations.all():
        if located.location is not None:
            locations.append(location_view(located, located.location, at))
    areas = [
        _text(area.name) or _text(area.description)
        for area in service.service_areas.all()
        if _text(area.name) or _text(area.description)
    ]
    return ServicePage(
        id=str(service.id),
        name=service.name,
        alternate_name=_text(service.alternate_name),
        organisation=organisation.name if organisation else "",
        organisation_url=web_address(organisation.website) if organisation else None,
        status=status_words(service),
        alert=_text(service.alert),
        description=_text(service.description),
        eligibility=_text(service.eligibility_description),
        ages=age_text(service.minimum_age, service.maximum_age),
        costs=costs,
        fees=_text(service.fees_description) or _text(service.fees),
        languages=language_names(service.languages.all()),
        interpretation=_text(service.interpretation_services),
        application_process=_text(service.application_process),
        wait_time=_text(service.wait_time),
        documents=[
            (_text(document.document), web_address(document.uri))
            for document in service.required_documents.all()
            if _text(document.document)
        ],
        phones=[phone_line(phone) for phone in service.phones.all()],
        website=web_address(service.url),
        email=email_address(service.email),
        hours=hours_view(list(service.schedules.all()), at),
        locations=locations,
        service_areas=areas,
        categories=list(categories),
        verified=verified(
            service.assured_date,
            today=today,
            verify_days=settings.PEERLIGHT_DIRECTORY_VERIFY_DAYS,
        ),
    )
