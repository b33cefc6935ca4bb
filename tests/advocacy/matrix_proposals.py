"""Rows of the authorisation matrix for member priorities and the OSDI export."""

from __future__ import annotations

from typing import Any

from peerlight.accounts.models import User
from peerlight.advocacy.models import Proposal
from tests.matrix import LOGIN, MEMBERS, NOT_ALLOWED, NOT_FOUND, OK, PUBLIC, Expect


def _open_proposal(people: dict[str, User]) -> dict[str, Any]:
    """A proposal of the member's, gathering support (made once)."""
    proposal = Proposal.objects.filter(
        proposer=people["member"], status=Proposal.Status.OPEN
    ).first() or Proposal.objects.create(
        proposer=people["member"], title="Respite", ask="Fund respite.", why="It helps."
    )
    return {"proposal_id": proposal.pk}


PROPOSAL_POST_ONLY = Expect(anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=_open_proposal)
# Coordinators who passed two-factor only; everyone else is told it is not there.
COORDINATORS = Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK)

ENTRIES: dict[str, Expect] = {
    # Public proposals are for everyone to read; proposing needs an account
    # (every account may take part, staff too).
    "advocacy:proposal_list": PUBLIC,
    "advocacy:proposal_new": MEMBERS,
    "advocacy:proposal": Expect(anonymous=OK, member=OK, kwargs=_open_proposal),
    **{
        f"advocacy:{name}": PROPOSAL_POST_ONLY
        for name in (
            "proposal_support",
            "proposal_unsupport",
            "proposal_vote",
            "proposal_withdraw",
            "proposal_decline",
            "proposal_make_campaign",
        )
    },
    "advocacy:export": COORDINATORS,
    "advocacy:export_osdi": COORDINATORS,
}
