"""Figures advocacy publishes: programme activity for a brief, action counts for a target.

Until check-in outcomes exist, a brief shows what the programme did over the
12 whole calendar months before the current one: conversations held (support
requests that reached a chat with a peer), circle meetings held (meetings
where at least one person was marked present), distinct people who came to a
circle meeting, and the campaign's petition signatures since it began (online
signatures confirmed, and paper ones). The period moves a whole month at a
time, so the public page does not change from day to day with each chat.

Every count goes through ``small_cells``: under
``settings.PEERLIGHT_SMALL_CELL_MINIMUM`` it is "fewer than N", and it is
stored that way in an archived brief too. No figure is the sum of others,
so none can be subtracted back out of a total.

A target's answer page shows the people who acted on the campaign: the
signers and letter writers split into "in your district" and "elsewhere or
not given" (``release_split``: a small part is never shown beside its
total), calls to that target's office and testimony offers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from peerlight.advocacy.models import (
    CallRecord,
    Campaign,
    Letter,
    PaperSignatures,
    Signature,
    Target,
    TestimonyOffer,
)
from peerlight.advocacy.small_cells import ReleasedSplit, release_count, release_split
from peerlight.circles.models import Attendance, Meeting
from peerlight.support.models import SupportRequest

__all__ = [
    "FIGURE_LABELS",
    "ActedCounts",
    "Figure",
    "ProgrammeFigures",
    "acted_counts",
    "minimum",
    "petition_signatures",
    "programme_figures",
    "programme_period",
]

PERIOD_MONTHS = 12
IN_DISTRICT = "in_district"
ELSEWHERE = "elsewhere"

FIGURE_LABELS: dict[str, Promise] = {
    "conversations": _("Conversations with a peer supporter"),
    "circle_meetings": _("Peer support circle meetings held"),
    "circle_people": _("Different people who came to a circle"),
    "signatures": _("Petition signatures for this campaign, since it began"),
}


def minimum() -> int:
    return int(settings.PEERLIGHT_SMALL_CELL_MINIMUM)


@dataclass(frozen=True)
class Figure:
    """One published count: ``value`` is None when it is under the minimum."""

    key: str
    value: int | None

    @property
    def label(self) -> str:
        return str(FIGURE_LABELS.get(self.key, self.key))


@dataclass(frozen=True)
class ProgrammeFigures:
    """The programme's activity as a brief shows it (and archives it)."""

    start: datetime.date
    end: datetime.date  # the last day included
    minimum: int
    items: tuple[Figure, ...]

    def as_json(self) -> dict[str, Any]:
        """What an archived brief keeps: only what was shown, never a suppressed count."""
        return {
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "minimum": self.minimum,
            "figures": {item.key: item.value for item in self.items},
        }


def _month_start(day: datetime.date, months_back: int) -> datetime.date:
    index = day.year * 12 + (day.month - 1) - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


def programme_period(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The 12 whole calendar months before the month of ``today``: (first day, last day)."""
    today = today or timezone.localdate()
    start = _month_start(today, PERIOD_MONTHS)
    end = _month_start(today, 0) - datetime.timedelta(days=1)
    return start, end


def _moment(day: datetime.date) -> datetime.datetime:
    """The start of ``day`` in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def petition_signatures(campaign: Campaign) -> int:
    """Confirmed online signatures and paper ones, since the campaign began."""
    online = Signature.objects.filter(
        petition__campaign=campaign, status=Signature.Status.CONFIRMED
    ).count()
    paper = PaperSignatures.objects.filter(petition__campaign=campaign).aggregate(
        total=Sum("count")
    )["total"]
    return online + int(paper or 0)


def programme_figures(campaign: Campaign, today: datetime.date | None = None) -> ProgrammeFigures:
    """The programme's activity over ``programme_period``, with small cells suppressed."""
    start, end = programme_period(today)
    since, until = _moment(start), _moment(end + datetime.timedelta(days=1))
    in_period = {"meeting__starts_at__gte": since, "meeting__starts_at__lt": until}
    present = Attendance.objects.filter(present=True, **in_period)
    counts = {
        "conversations": SupportRequest.objects.filter(
            connected_at__gte=since, connected_at__lt=until
        ).count(),
        "circle_meetings": Meeting.objects.filter(pk__in=present.values("meeting_id")).count(),
        "circle_people": present.values("user_id").distinct().count(),
        "signatures": petition_signatures(campaign),
    }
    least = minimum()
    return ProgrammeFigures(
        start=start,
        end=end,
        minimum=least,
        items=tuple(Figure(key, release_count(count, least)) for key, count in counts.items()),
    )


# --- What a target sees ------------------------------------------------------------------


@dataclass(frozen=True)
class ActedCounts:
    """The people who acted on a campaign, as one target may see them."""

    minimum: int
    district: str
    signers: ReleasedSplit
    letter_writers: ReleasedSplit
    calls: int | None
    testimony_offers: int | None


def _signer_split(campaign: Campaign, zip_codes: set[str]) -> dict[str, int]:
    rows = Signature.objects.filter(
        petition__campaign=campaign, status=Signature.Status.CONFIRMED
    ).values_list("zip_code", flat=True)
    split = {IN_DISTRICT: 0, ELSEWHERE: 0}
    for zip_code in rows:
        split[IN_DISTRICT if zip_code in zip_codes else ELSEWHERE] += 1
    batches = PaperSignatures.objects.filter(petition__campaign=campaign)
    for count, zip_counts in batches.values_list("count", "zip_counts"):
        inside = sum(
            int(n)
            for code, n in (zip_counts or {}).items()
            if code in zip_codes and isinstance(n, int) and n > 0
        )
        inside = min(inside, count)
        split[IN_DISTRICT] += inside
        split[ELSEWHERE] += count - inside
    return split


def _writer_split(campaign: Campaign, target: Target, zip_codes: set[str]) -> dict[str, int]:
    letters = Letter.objects.filter(action__campaign=campaign).exclude(
        status__in=[Letter.Status.DRAFT, Letter.Status.WITHDRAWN]
    )
    # One writer counts once, in their district when any letter of theirs says so.
    inside: dict[int, bool] = {}
    for writer_id, zip_code, district in letters.values_list("writer_id", "zip_code", "district"):
        here = zip_code in zip_codes or (bool(target.district) and district == target.district)
        inside[writer_id] = inside.get(writer_id, False) or here
    return {
        IN_DISTRICT: sum(1 for here in inside.values() if here),
        ELSEWHERE: sum(1 for here in inside.values() if not here),
    }


def acted_counts(campaign: Campaign, target: Target) -> ActedCounts:
    """Who acted on ``campaign``, split by ``target``'s district, small cells suppressed.

    Counts of people and calls only: no names, places or dates.
    """
    least = minimum()
    zip_codes = {str(code) for code in (target.district_zip_codes or [])}
    calls = CallRecord.objects.filter(action__campaign=campaign, target=target).count()
    offers = (
        TestimonyOffer.objects.filter(campaign=campaign)
        .exclude(status=TestimonyOffer.Status.WITHDRAWN)
        .values("member_id")
        .distinct()
        .count()
    )
    return ActedCounts(
        minimum=least,
        district=target.district,
        signers=release_split(_signer_split(campaign, zip_codes), least),
        letter_writers=release_split(_writer_split(campaign, target, zip_codes), least),
        calls=release_count(calls, least),
        testimony_offers=release_count(offers, least),
    )
