"""The petition benchmark's campaign, and what its database holds after a run.

Not a benchmark itself; both functions run inside ``peerlight shell``.

``main`` makes an active campaign with one target and an open petition that
counts a visitor's signature at once (``requires_confirmation=False``, an
organisation's documented choice for a petition that goes viral) and checks
no district (``check_district=False``), and prints one JSON line:
``{"slug": ..., "petition": id}``.

``stored`` reads ``{"petition": id}`` on stdin and prints one JSON line: the
petition's counter, its confirmed signatures' e-mail addresses (one entry per
row, decrypted, so a doubled row shows as a repeated address) and how many
rows still wait for confirmation.
"""

from __future__ import annotations

import json
import secrets
import sys

from django.db import transaction

from peerlight.advocacy.models import Campaign, Petition, Signature, Target


def main() -> None:
    run = secrets.token_hex(3)
    with transaction.atomic():
        target = Target.objects.create(
            name="Board of Supervisors",
            office="County Board",
            kind=Target.Kind.COUNTY_BOARD,
            district="The whole county",
            email="board@county.example",
        )
        campaign = Campaign.objects.create(
            slug=f"bench-petition-{run}",
            title="Fund peer respite in every county",
            ask="Fund one peer respite house in every county by 2028.",
            why="People in crisis do better with peers than in emergency rooms.",
            status=Campaign.Status.ACTIVE,
            tags=["loneliness"],
        )
        campaign.targets.add(target)
        petition = Petition.objects.create(
            campaign=campaign,
            statement="We ask the county to fund peer respite.",
            goal=100,
            requires_confirmation=False,
            check_district=False,
        )
    sys.stdout.write(json.dumps({"slug": campaign.slug, "petition": petition.pk}) + "\n")


def stored() -> None:
    request = json.loads(sys.stdin.read())
    petition = Petition.objects.get(pk=int(request["petition"]))
    signatures = Signature.objects.filter(petition=petition)
    confirmed = signatures.filter(status=Signature.Status.CONFIRMED)
    result = {
        "counter": petition.signature_count,
        "confirmed_emails": [
            signature.email.strip().casefold() for signature in confirmed.only("email")
        ],
        "pending_rows": signatures.filter(status=Signature.Status.PENDING).count(),
    }
    sys.stdout.write(json.dumps(result) + "\n")
