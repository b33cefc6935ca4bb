"""``{% campaign_accountability campaign as acc %}``: what the campaign page shows of answers.

Used by ``advocacy/briefs/_accountability.html``, which the campaign page
includes: the targets' public answers, the tracker of commitments, votes and
budget lines, and, for coordinators past their second factor, how many
delivered items wait for a follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.http import HttpRequest

from peerlight.accounts.guards import is_two_factor_verified
from peerlight.accounts.models import Role, User
from peerlight.advocacy import accountability, story_changes
from peerlight.advocacy.models import Campaign, Commitment, TargetAnswer

register = template.Library()


@dataclass(frozen=True)
class CampaignAccountability:
    answers: list[TargetAnswer]
    commitments: list[Commitment]
    manages: bool
    follow_ups: int


def _manages(request: object) -> bool:
    if not isinstance(request, HttpRequest):
        return False
    user = request.user
    return (
        isinstance(user, User)
        and user.is_active
        and user.has_role(Role.COORDINATOR)
        and is_two_factor_verified(request)
    )


@register.simple_tag(takes_context=True)
def campaign_accountability(context: dict[str, Any], campaign: Campaign) -> CampaignAccountability:
    manages = _manages(context.get("request"))
    return CampaignAccountability(
        answers=accountability.public_answers(campaign),
        commitments=accountability.commitments_of(campaign),
        manages=manages,
        follow_ups=len(story_changes.flagged_items(campaign)) if manages else 0,
    )
