"""Forms of member priorities: proposing a campaign, voting, declining."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from peerlight.advocacy.proposal_models import TEXT_MAX, TITLE_MAX, ProposalVote
from peerlight.advocacy.proposals import DECLINE_REASON_MAX


class ProposalForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        help_text=_("A few words that say what should change. Up to 160 characters."),
        max_length=TITLE_MAX,
        error_messages={"required": _("Please give the proposal a title.")},
    )
    ask = forms.CharField(
        label=_("What should we ask for?"),
        help_text=_("Who should do what, and by when if you know. Up to 3,000 characters."),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Please say what the campaign should ask for.")},
    )
    why = forms.CharField(
        label=_("Why does it matter?"),
        help_text=_(
            "What it would change for people in our community. Please do not name anyone "
            "or share details that could identify a person. Up to 3,000 characters."
        ),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Please say why it matters.")},
    )


class VoteForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("Your vote"),
        choices=ProposalVote.Choice.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose yes, no or abstain."),
            "invalid_choice": _("Please choose yes, no or abstain."),
        },
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it declined?"),
        help_text=_(
            "The proposer reads this. Name the community rule it breaks, kindly. "
            "Up to 1,000 characters."
        ),
        max_length=DECLINE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please say why the proposal is declined.")},
    )
