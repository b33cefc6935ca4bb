"""What advocacy holds about a person, for "Download my data" and account deletion.

The export hands back everything a person did: signatures (with the
petition's title), letters with their own words, calls, testimony offers,
proposals, backings, votes and notices, and what they set up as staff.

Erasure deletes what was theirs and still changes nothing for anyone else:
signatures (the public counter drops by the confirmed ones, in the same
transaction), letters, testimony offers, backings and votes (counts are
taken again from the rows that stay), notices, and proposals nobody else saw.
What was already handed to a decision maker stays as it was sent, and what
staff did stays without their name; each registration's reason says exactly
what stays.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy as _

from peerlight.accounts.models import User


def _campaign_title(campaign: Any) -> str:
    return str(campaign.title) if campaign is not None else ""


# --- Export ------------------------------------------------------------------------------


def _signatures(user: User) -> list[dict[str, Any]]:
    from peerlight.advocacy.models import Signature

    rows = (
        Signature.objects.filter(user=user)
        .select_related("petition__campaign")
        .order_by("created_at", "pk")
    )
    return [
        {
            "petition": row.petition.campaign.title,
            "name": row.name,
            "email": row.email,
            "zip_code": row.zip_code,
            "in_district": row.in_district,
            "show_name": row.show_name,
            "comment": row.comment,
            "status": row.status,
            "signed_at": row.created_at,
            "confirmed_at": row.confirmed_at,
        }
        for row in rows
    ]


def _letters(user: User) -> list[dict[str, Any]]:
    from peerlight.advocacy.models import Letter

    rows = (
        Letter.objects.filter(writer=user)
        .select_related("action__campaign", "story")
        .order_by("created_at", "pk")
    )
    return [
        {
            "campaign": row.action.campaign.title,
            "subject": row.action.subject,
            "own_words": row.own_words,
            "story": row.story.public_id if row.story is not None else None,
            "share_name": row.share_name,
            "signed_name": row.signed_name,
            "zip_code": row.zip_code,
            "district": row.district,
            "status": row.status,
            "written_at": row.created_at,
            "delivered_at": row.delivered_at,
        }
        for row in rows
    ]


def _calls(user: User) -> list[dict[str, Any]]:
    from peerlight.advocacy.models import CallRecord

    rows = (
        CallRecord.objects.filter(caller=user)
        .select_related("action__campaign", "target")
        .order_by("created_at", "pk")
    )
    return [
        {
            "campaign": row.action.campaign.title,
            "called": str(row.target),
            "called_at": row.created_at,
        }
        for row in rows
    ]


def _testimony_offers(user: User) -> list[dict[str, Any]]:
    from peerlight.advocacy.models import TestimonyOffer

    rows = (
        TestimonyOffer.objects.filter(member=user)
        .select_related("campaign", "story")
        .order_by("created_at", "pk")
    )
    return [
        {
            "campaign": row.campaign.title,
            "story": row.story.public_id,
            "note": row.note,
            "willing_to_speak": row.willing_to_speak,
            "status": row.status,
            "offered_at": row.created_at,
        }
        for row in rows
    ]


def _notices(user: User) -> list[dict[str, Any]]:
    from peerlight.advocacy.models import ActionNotice

    rows = ActionNotice.objects.filter(user=user).select_related("campaign").order_by("created_at")
    return [
        {
            "kind": row.kind,
            "campaign": _campaign_title(row.campaign),
            "created_at": row.created_at,
            "seen_at": row.seen_at,
            "emailed_at": row.emailed_at,
        }
        for row in rows
    ]


def _proposals(user: User) -> list[dict[str, Any]]:
    from peerlight.advocacy.models import Proposal

    rows = Proposal.objects.filter(proposer=user).order_by("created_at", "pk")
    return [
        {
            "title": row.title,
            "ask": row.ask,
            "why": row.why,
            "status": row.status,
            "reason_if_declined": row.staff_note if row.status == row.Status.DECLINED else "",
            "proposed_at": row.created_at,
            "decided_at": row.decided_at,
        }
        for row in rows
    ]


def _supports(user: User) -> list[dict[str, Any]]:
    from peerlight.advocacy.models import ProposalSupport

    rows = (
        ProposalSupport.objects.filter(member=user)
        .select_related("proposal")
        .order_by("created_at", "pk")
    )
    return [{"proposal": row.proposal.title, "backed_at": row.created_at} for row in rows]


def _votes(user: User) -> list[dict[str, Any]]:
    from peerlight.advocacy.models import ProposalVote

    rows = (
        ProposalVote.objects.filter(member=user)
        .select_related("proposal")
        .order_by("created_at", "pk")
    )
    return [
        {"proposal": row.proposal.title, "vote": row.choice, "voted_at": row.created_at}
        for row in rows
    ]


def _campaigns_set_up(user: User) -> list[str]:
    from peerlight.advocacy.models import Campaign

    return list(
        Campaign.objects.filter(created_by=user)
        .order_by("created_at")
        .values_list("title", flat=True)
    )


def _campaign_updates(user: User) -> list[dict[str, Any]]:
    from peerlight.advocacy.models import CampaignUpdate

    rows = (
        CampaignUpdate.objects.filter(author=user)
        .select_related("campaign")
        .order_by("created_at", "pk")
    )
    return [
        {"campaign": row.campaign.title, "update": row.body, "posted_at": row.created_at}
        for row in rows
    ]


# --- Erasure -----------------------------------------------------------------------------


def _erase_signatures(user: User) -> None:
    from peerlight.advocacy.models import Petition, Signature

    mine = Signature.objects.filter(user=user)
    confirmed = dict(
        mine.filter(status=Signature.Status.CONFIRMED)
        .values("petition_id")
        .annotate(n=Count("pk"))
        .values_list("petition_id", "n")
    )
    for petition_id, count in confirmed.items():
        # Greatest: an erasure must not fail on a counter that drifted below its rows.
        Petition.objects.filter(pk=petition_id).update(
            signature_count=Greatest(F("signature_count") - count, 0)
        )
    mine.delete()


def _erase_letters(user: User) -> None:
    from peerlight.advocacy.models import Letter

    # Delivered ones too: the account must go from every row. Their words
    # stay only in the delivery's archive, as the decision maker received them.
    Letter.objects.filter(writer=user).delete()


def _erase_testimony_offers(user: User) -> None:
    from peerlight.advocacy.models import TestimonyOffer

    TestimonyOffer.objects.filter(member=user).delete()


def _recount_supports(proposal_ids: list[int]) -> None:
    from peerlight.advocacy.models import Proposal, ProposalSupport

    supports = (
        ProposalSupport.objects.filter(proposal=OuterRef("pk"))
        .order_by()
        .values("proposal")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Proposal.objects.filter(pk__in=proposal_ids).update(
        support_count=Coalesce(Subquery(supports), 0)
    )


def _erase_supports(user: User) -> None:
    from peerlight.advocacy.models import ProposalSupport

    mine = ProposalSupport.objects.filter(member=user)
    proposal_ids = list(mine.values_list("proposal_id", flat=True))
    mine.delete()
    _recount_supports(proposal_ids)


def _erase_proposals(user: User) -> None:
    from peerlight.advocacy.models import Proposal, ProposalSupport, ProposalVote

    others_backed = ProposalSupport.objects.filter(proposal=OuterRef("pk")).exclude(member=user)
    others_voted = ProposalVote.objects.filter(proposal=OuterRef("pk")).exclude(member=user)
    (
        Proposal.objects.filter(proposer=user, campaign__isnull=True)
        .exclude(Exists(others_backed))
        .exclude(Exists(others_voted))
        .delete()
    )
    Proposal.objects.filter(proposer=user).update(proposer=None)


def _erase_votes(user: User) -> None:
    from peerlight.advocacy.models import ProposalVote

    # Tallies are counted from the rows when a vote closes, so an open vote
    # is counted without these; a decided one keeps its outcome.
    ProposalVote.objects.filter(member=user).delete()


def register() -> None:
    from peerlight.accounts import privacy
    from peerlight.advocacy.models import (
        ActionNotice,
        AnswerLink,
        CallRecord,
        Campaign,
        CampaignUpdate,
        Commitment,
        EvidenceBrief,
        Letter,
        LetterDelivery,
        PaperSignatures,
        Proposal,
        ProposalSupport,
        ProposalVote,
        Signature,
        TestimonyOffer,
        TestimonyPacket,
    )

    delete = privacy.ErasurePolicy.delete()
    keep = privacy.ErasurePolicy.keep_pseudonymised

    privacy.register(
        Signature,
        export=_signatures,
        erase=privacy.ErasurePolicy.custom(
            _erase_signatures,
            reason=_("Your petition signatures are deleted and no longer counted."),
        ),
        description=_("Petitions you signed"),
    )
    privacy.register(
        Letter,
        export=_letters,
        erase=privacy.ErasurePolicy.custom(
            _erase_letters,
            reason=_(
                "Your letters are deleted. A letter already delivered stays in the record "
                "of that delivery exactly as the decision maker received it: your own "
                "words, and the name you signed with only if you chose to sign with a "
                "name. Nothing there links it to your account."
            ),
        ),
        description=_("Letters you wrote"),
    )
    privacy.register(
        CallRecord,
        export=_calls,
        erase=keep(
            _(
                "Calls you made stay in the tally of calls of their campaign, without your name "
                "or any link to you."
            )
        ),
        description=_("Calls you made"),
    )
    privacy.register(
        TestimonyOffer,
        export=_testimony_offers,
        erase=privacy.ErasurePolicy.custom(
            _erase_testimony_offers,
            reason=_(
                "Your testimony offers are deleted. A testimony packet already put together "
                "for a hearing keeps your story as it was included, under the name your "
                "consent for the story allowed (or none), with nothing linking it to your "
                "account."
            ),
        ),
        description=_("Stories you offered as testimony"),
    )
    privacy.register(
        ActionNotice,
        export=_notices,
        erase=delete,
        description=_("News about campaigns you took part in"),
    )
    privacy.register(
        Proposal,
        export=_proposals,
        erase=privacy.ErasurePolicy.custom(
            _erase_proposals,
            reason=_(
                "Your proposals are deleted, except those other members backed or voted on "
                "and those that became a campaign: they stay for the community as they "
                "were always shown, without your name."
            ),
        ),
        description=_("Campaigns you proposed"),
    )
    privacy.register(
        ProposalSupport,
        export=_supports,
        erase=privacy.ErasurePolicy.custom(
            _erase_supports,
            reason=_(
                "Your backing of proposals is deleted and their counts are taken again "
                "without it. A vote it helped to open stays open."
            ),
        ),
        description=_("Proposals you backed"),
    )
    privacy.register(
        ProposalVote,
        export=_votes,
        erase=privacy.ErasurePolicy.custom(
            _erase_votes,
            reason=_(
                "Your votes are deleted: an open vote is counted without them, and a vote "
                "already decided keeps its outcome."
            ),
        ),
        description=_("Your votes on proposals"),
    )
    privacy.register(
        Campaign,
        export=_campaigns_set_up,
        erase=keep(
            _("Campaigns you set up carry on for the people taking part, without your name.")
        ),
        description=_("Campaigns you set up"),
    )
    privacy.register(
        CampaignUpdate,
        export=_campaign_updates,
        erase=keep(_("Campaign updates you posted stay on the campaign, without your name.")),
        description=_("Campaign updates you posted"),
    )
    staff_rows: list[tuple[Any, Any, Any]] = [
        (
            AnswerLink,
            _("Answer links you made for decision makers stay, without your name."),
            _("Answer links you made"),
        ),
        (
            Commitment,
            _("What decision makers committed to, as you recorded it, stays without your name."),
            _("Commitments you recorded"),
        ),
        (
            EvidenceBrief,
            _(
                "Evidence briefs you built stay in the archive of their campaign, "
                "without your name."
            ),
            _("Evidence briefs you built"),
        ),
        (
            LetterDelivery,
            _("Records of letters you delivered stay in the archive, without your name."),
            _("Letter deliveries you made"),
        ),
        (
            TestimonyPacket,
            _("Testimony packets you put together stay in the archive, without your name."),
            _("Testimony packets you put together"),
        ),
        (
            PaperSignatures,
            _("Paper signatures you entered still count, without your name."),
            _("Paper signatures you entered"),
        ),
    ]
    for model, reason, description in staff_rows:
        privacy.register(model, export=None, erase=keep(reason), description=description)
