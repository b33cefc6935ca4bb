"""Rows of the authorisation matrix for one part of the app (see ``tests/matrix.py``).

Evidence briefs, answers and accountability: a published campaign's brief
and its PDF are public; a member's news is theirs; an answer link that names
nothing is a 404 for everyone; the rest is coordinators' (a 404 for others).
"""

from __future__ import annotations

from typing import Any

from peerlight.accounts.models import User
from peerlight.advocacy.models import Campaign, EvidenceBrief
from tests.advocacy.factories import make_campaign
from tests.matrix import LOGIN, MEMBERS, NOT_ALLOWED, NOT_FOUND, OK, Expect

MATRIX_TITLE = "Matrix brief campaign"


def _campaign(people: dict[str, User]) -> dict[str, Any]:
    """An active campaign (made once)."""
    campaign = Campaign.objects.filter(title=MATRIX_TITLE).first() or make_campaign(
        title=MATRIX_TITLE
    )
    return {"slug": campaign.slug}


def _version(people: dict[str, User]) -> dict[str, Any]:
    """Version 1 of the campaign's brief (made once)."""
    slug = _campaign(people)["slug"]
    campaign = Campaign.objects.get(slug=slug)
    EvidenceBrief.objects.get_or_create(
        campaign=campaign,
        version=1,
        defaults={"html": "<!doctype html><title>Brief</title><p>Brief</p>"},
    )
    return {"slug": slug, "version": 1}


COORDINATORS = Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK, kwargs=_campaign)
VERSION_COORDINATORS = Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK, kwargs=_version)
CAMPAIGN_POST_ONLY = Expect(anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=_campaign)

ENTRIES: dict[str, Expect] = {
    "advocacy:brief": Expect(anonymous=OK, member=OK, kwargs=_campaign),
    "advocacy:brief_pdf": Expect(anonymous=OK, member=OK, kwargs=_campaign),
    "advocacy:brief_manage": COORDINATORS,
    "advocacy:brief_build": CAMPAIGN_POST_ONLY,
    "advocacy:brief_version": VERSION_COORDINATORS,
    "advocacy:brief_version_html": VERSION_COORDINATORS,
    "advocacy:brief_version_pdf": VERSION_COORDINATORS,
    "advocacy:brief_deliver": Expect(anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=_version),
    "advocacy:brief_flag_handled": Expect(
        anonymous=NOT_ALLOWED,
        member=NOT_ALLOWED,
        kwargs=lambda people: {**_campaign(people), "kind": "brief", "item_id": 999999},
    ),
    "advocacy:news": MEMBERS,
    "advocacy:answer": Expect(
        anonymous=NOT_FOUND, member=NOT_FOUND, kwargs=lambda people: {"token": "nothing"}
    ),
    "advocacy:accountability": COORDINATORS,
    "advocacy:answer_link_create": CAMPAIGN_POST_ONLY,
    "advocacy:answer_link_revoke": Expect(
        anonymous=NOT_ALLOWED,
        member=NOT_ALLOWED,
        kwargs=lambda people: {**_campaign(people), "link_id": 999999},
    ),
    "advocacy:answer_visibility": Expect(
        anonymous=NOT_ALLOWED,
        member=NOT_ALLOWED,
        kwargs=lambda people: {**_campaign(people), "answer_id": 999999},
    ),
    "advocacy:commitment_create": CAMPAIGN_POST_ONLY,
}
