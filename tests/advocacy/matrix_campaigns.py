"""Rows of the authorisation matrix for one part of the app (see ``tests/matrix.py``).

Campaigns, their petitions and the targets directory: campaign pages and the
thanks page are public; the rest is coordinators' (a 404 for others).
"""

from __future__ import annotations

from typing import Any

from peerlight.accounts.models import User
from peerlight.advocacy.models import Campaign, Petition, Target
from tests.advocacy.factories import make_campaign, make_petition, make_target
from tests.matrix import LOGIN, NOT_ALLOWED, NOT_FOUND, OK, PUBLIC, Expect

MATRIX_TITLE = "Matrix campaign"


def _campaign(people: dict[str, User]) -> dict[str, Any]:
    """An active campaign with a petition (made once)."""
    campaign = Campaign.objects.filter(title=MATRIX_TITLE).first()
    if campaign is None:
        campaign = make_campaign(title=MATRIX_TITLE)
    if not Petition.objects.filter(campaign=campaign).exists():
        make_petition(campaign)
    return {"slug": campaign.slug}


def _target(people: dict[str, User]) -> dict[str, Any]:
    target = Target.objects.first() or make_target()
    return {"target_id": target.pk}


COORDINATORS = Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK)
CAMPAIGN_COORDINATORS = Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK, kwargs=_campaign)

ENTRIES: dict[str, Expect] = {
    "advocacy:campaign_list": PUBLIC,
    "advocacy:campaign": Expect(anonymous=OK, member=OK, kwargs=_campaign),
    "advocacy:campaign_create": COORDINATORS,
    "advocacy:campaign_edit": CAMPAIGN_COORDINATORS,
    "advocacy:campaign_update": CAMPAIGN_COORDINATORS,
    # Signing is a POST; the thanks page is anyone's; an unknown link names nothing.
    "advocacy:petition_sign": Expect(anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=_campaign),
    "advocacy:petition_signed": Expect(anonymous=OK, member=OK, kwargs=_campaign),
    "advocacy:petition_confirm": Expect(
        anonymous=NOT_FOUND,
        member=NOT_FOUND,
        kwargs=lambda people: {**_campaign(people), "token": "no-such-token"},
    ),
    "advocacy:petition_edit": CAMPAIGN_COORDINATORS,
    "advocacy:petition_paper": CAMPAIGN_COORDINATORS,
    "advocacy:petition_signatures": CAMPAIGN_COORDINATORS,
    "advocacy:target_list": COORDINATORS,
    "advocacy:target_create": COORDINATORS,
    "advocacy:target_edit": Expect(
        anonymous=LOGIN, member=NOT_FOUND, coordinator=OK, kwargs=_target
    ),
    "advocacy:target_deactivate": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=_target
    ),
    "advocacy:target_reactivate": Expect(
        anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=_target
    ),
}
