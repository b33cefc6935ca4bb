"""Proposals, backings and votes made straight in the database, for the proposal tests."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.advocacy.models import Proposal, ProposalSupport, ProposalVote
from tests.conftest import make_user

Status = Proposal.Status


def make_proposal(
    proposer: User | None,
    *,
    title: str = "Peer respite in every county",
    status: str = Status.OPEN,
    support_count: int = 0,
    closes_in: dt.timedelta | None = None,
    **fields: object,
) -> Proposal:
    """A proposal; with ``closes_in``, in a vote that opened a day ago and closes then."""
    values: dict[str, object] = {
        "proposer": proposer,
        "title": title,
        "ask": "Fund a peer respite house in every county.",
        "why": "People in crisis do better with peers than in emergency rooms.",
        "status": status,
        "support_count": support_count,
    }
    if closes_in is not None:
        now = timezone.now()
        values.update(
            status=Status.VOTING,
            voting_opens_at=now - dt.timedelta(days=1),
            voting_closes_at=now + closes_in,
        )
    values.update(fields)
    return Proposal.objects.create(**values)


def add_backers(proposal: Proposal, count: int, *, prefix: str = "Backer") -> list[User]:
    """``count`` new members who back ``proposal``; its ``support_count`` follows."""
    people = [make_user(f"{prefix} {proposal.pk}-{n}") for n in range(count)]
    ProposalSupport.objects.bulk_create(
        ProposalSupport(proposal=proposal, member=person) for person in people
    )
    proposal.support_count += count
    proposal.save(update_fields=["support_count"])
    return people


def add_votes(proposal: Proposal, choice: str, count: int) -> list[User]:
    people = [make_user(f"Voter {proposal.pk}-{choice}-{n}") for n in range(count)]
    ProposalVote.objects.bulk_create(
        ProposalVote(proposal=proposal, member=person, choice=choice) for person in people
    )
    return people
