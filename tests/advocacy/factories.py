"""Advocacy rows made straight in the database, for tests of other parts."""

from __future__ import annotations

import itertools

from peerlight.accounts.models import User
from peerlight.advocacy.models import Campaign, Petition, Target

_numbers = itertools.count(1)


def make_target(
    name: str = "Sen. Alex Rivera",
    *,
    office: str = "State Senate",
    kind: str = Target.Kind.LEGISLATOR,
    district: str = "District 7",
    zip_codes: list[str] | None = None,
    email: str = "rivera@senate.example",
) -> Target:
    return Target.objects.create(
        name=name,
        office=office,
        kind=kind,
        district=district,
        district_zip_codes=zip_codes if zip_codes is not None else ["97201", "97202"],
        email=email,
        phone="+1 503 555 0100",
    )


def make_campaign(
    *,
    title: str = "Fund peer respite in every county",
    status: str = Campaign.Status.ACTIVE,
    tags: list[str] | None = None,
    targets: list[Target] | None = None,
    created_by: User | None = None,
) -> Campaign:
    number = next(_numbers)
    campaign = Campaign.objects.create(
        slug=f"campaign-{number}",
        title=title,
        ask="Fund one peer respite house in every county by 2028.",
        why="People in crisis do better with peers than in emergency rooms.",
        status=status,
        tags=tags if tags is not None else ["loneliness"],
        created_by=created_by,
    )
    campaign.targets.set(targets if targets is not None else [make_target()])
    return campaign


def make_petition(campaign: Campaign, *, goal: int = 100, **fields: object) -> Petition:
    return Petition.objects.create(
        campaign=campaign,
        statement="We ask the county to fund peer respite.",
        goal=goal,
        **fields,
    )
